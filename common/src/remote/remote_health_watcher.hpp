// Private to common/src/remote: the health events of a remote host's instances, read from
// its agent's event stream (GET /v1/backends/KIND/events, JSON Lines) by a thread of the
// watcher's own.
//
// The agent's watches live as long as the stream (chima-agent(8), Health events): the
// watcher keeps what it was told to watch and tells the agent again (PUT
// /v1/events/STREAM/watches/NAME) each time the stream opens. A stream that ends, fails or
// stays silent longer than the endpoint's stream_idle is opened again, after a short
// backoff, for as long as the watcher lives. An instance that stopped running while no
// stream was open is reported "exited" when the stream is back, with the exit code the
// agent has.
#pragma once

#include <curl/curl.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "chima/container/health.hpp"
#include "http_transport.hpp"

namespace chima::remote::detail {

class RemoteHealthWatcher final : public container::HealthWatcher {
  public:
    // Opens the stream of the instances of backend `kind`: InputError when the agent answers
    // 400, RuntimeError when it refuses otherwise or cannot be reached. Events go to `sink`,
    // called from the watcher's thread.
    RemoteHealthWatcher(std::shared_ptr<HttpTransport> transport, std::string kind, Sink sink);
    ~RemoteHealthWatcher() override;
    RemoteHealthWatcher(const RemoteHealthWatcher&) = delete;
    RemoteHealthWatcher& operator=(const RemoteHealthWatcher&) = delete;

    // While the stream is open: RuntimeError when the instance does not exist or does not
    // run. While it is reopening, the watch is made when it is back.
    void watch(const std::string& name, container::RestartPolicy policy) override;
    void unwatch(const std::string& name) override;

  private:
    struct Connection;
    enum class End { Stopped, Ended, Failed };

    void run();
    // One stream, from the request until it ends.
    End read_stream(Connection& connection);
    void opened(const std::string& stream);
    void tell_agent(const std::string& stream, const std::string& name,
                    container::RestartPolicy policy);
    void report_missed_exit(const std::string& name);
    void deliver(std::string_view line);
    HttpRequest watch_request(const std::string& stream, const std::string& name,
                              container::RestartPolicy policy) const;
    void wait_before_reopening(std::chrono::milliseconds backoff);

    std::shared_ptr<HttpTransport> transport_;
    std::string kind_;
    Sink sink_;
    CURLM* multi_ = nullptr;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, container::RestartPolicy> watched_;
    std::string stream_;  // the open stream's id; empty while none is
    bool stopping_ = false;
    bool first_done_ = false;  // the first stream opened, or failed (first_error_)
    std::exception_ptr first_error_;
    std::thread thread_;
};

}  // namespace chima::remote::detail
