#include "remote_health_watcher.hpp"

#include <strings.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "chima/error.hpp"
#include "chima/remote/host_api_json.hpp"

namespace chima::remote::detail {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{2000};
constexpr size_t kMaxErrorBody = 64 << 10;
constexpr size_t kMaxLine = 1 << 20;

int64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    return std::string(text);
}

}  // namespace

// What one stream's callbacks see.
struct RemoteHealthWatcher::Connection {
    RemoteHealthWatcher* watcher = nullptr;
    long status = 0;
    std::string stream;         // X-Chima-Stream
    bool headers_done = false;  // the answer's headers are all in
    std::string pending;        // the start of a line not complete yet
    std::string error_body;     // the body of a refusal
    Clock::time_point last_byte = Clock::now();
    char error[CURL_ERROR_SIZE] = "";
    CURLcode result = CURLE_OK;

    static size_t on_header(char* data, size_t size, size_t count, void* user) {
        auto& c = *static_cast<Connection*>(user);
        std::string_view line(data, size * count);
        c.last_byte = Clock::now();
        if (line.starts_with("HTTP/")) {  // a status line: a new answer begins
            auto space = line.find(' ');
            c.status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
            c.stream.clear();
            c.headers_done = false;
        } else if (line == "\r\n" || line == "\n") {
            c.headers_done = true;
        } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
            std::string name(line.substr(0, colon));
            if (::strcasecmp(name.c_str(), kEventStreamHeader) == 0)
                c.stream = trimmed(line.substr(colon + 1));
        }
        return size * count;
    }

    static size_t on_body(char* data, size_t size, size_t count, void* user) {
        auto& c = *static_cast<Connection*>(user);
        std::string_view chunk(data, size * count);
        c.last_byte = Clock::now();
        if (c.status != 200) {
            if (c.error_body.size() + chunk.size() <= kMaxErrorBody)
                c.error_body.append(chunk);
            return size * count;
        }
        c.pending.append(chunk);
        size_t start = 0;
        for (auto nl = c.pending.find('\n'); nl != std::string::npos;
             nl = c.pending.find('\n', start)) {
            std::string_view line(c.pending.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (!line.empty())  // an empty line is the agent's keepalive
                c.watcher->deliver(line);
            start = nl + 1;
        }
        c.pending.erase(0, start);
        if (c.pending.size() > kMaxLine)
            return 0;  // not JSON Lines: libcurl ends the stream, which is opened again
        return size * count;
    }
};

RemoteHealthWatcher::RemoteHealthWatcher(std::shared_ptr<HttpTransport> transport, std::string kind,
                                         Sink sink)
    : transport_(std::move(transport)), kind_(std::move(kind)), sink_(std::move(sink)) {
    multi_ = curl_multi_init();
    if (multi_ == nullptr)
        throw RuntimeError("host " + transport_->device() + ": libcurl cannot open a stream");
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return first_done_; });
    if (first_error_) {
        lock.unlock();
        thread_.join();
        curl_multi_cleanup(multi_);
        std::rethrow_exception(first_error_);
    }
}

RemoteHealthWatcher::~RemoteHealthWatcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    curl_multi_wakeup(multi_);
    thread_.join();
    curl_multi_cleanup(multi_);
}

HttpRequest RemoteHealthWatcher::watch_request(const std::string& stream, const std::string& name,
                                               container::RestartPolicy policy) const {
    return {"PUT", "/v1/events/" + url_escape(stream) + "/watches/" + url_escape(name),
            json{{"restart", std::string(container::to_string(policy))}}.dump(), true};
}

void RemoteHealthWatcher::watch(const std::string& name, container::RestartPolicy policy) {
    std::string stream;
    {
        std::lock_guard lock(mutex_);
        watched_[name] = policy;  // before the request: a stream opening now tells it too
        stream = stream_;
    }
    if (stream.empty())
        return;  // told to the agent when the stream is open again
    auto request = watch_request(stream, name, policy);
    HttpAnswer answer;
    try {
        answer = transport_->send(request);
    } catch (const RuntimeError& e) {
        spdlog::warn("{}; {} is watched once the event stream is open again", e.what(), name);
        return;
    }
    if (answer.status == 204)
        return;
    if (answer.status == 404 &&
        api_error_from_json(json::parse(answer.body, nullptr, false)).field == "stream")
        return;  // the stream just ended: the next one is told
    {
        std::lock_guard lock(mutex_);
        watched_.erase(name);
    }
    transport_->refuse(request, answer);
}

void RemoteHealthWatcher::unwatch(const std::string& name) {
    std::string stream;
    {
        std::lock_guard lock(mutex_);
        if (watched_.erase(name) == 0)
            return;
        stream = stream_;
    }
    if (stream.empty())
        return;
    HttpRequest request{"DELETE",
                        "/v1/events/" + url_escape(stream) + "/watches/" + url_escape(name),
                        std::nullopt, true};
    try {
        auto answer = transport_->send(request);
        if (answer.status != 204 && answer.status != 404)
            spdlog::warn("{}: answered {}", transport_->context(request), answer.status);
    } catch (const RuntimeError& e) {
        // The agent is going: its watches go with the stream. Events of the instance that
        // still arrive are not passed on (deliver).
        spdlog::warn("{}", e.what());
    }
}

void RemoteHealthWatcher::deliver(std::string_view line) {
    container::HealthEvent event;
    try {
        json j = json::parse(line);
        event = health_event_from_json(JsonReader(j, "event stream"));
    } catch (const std::exception& e) {
        spdlog::warn("host {}: an event line that is not a health event: {}", transport_->device(),
                     e.what());
        return;
    }
    {
        std::lock_guard lock(mutex_);
        auto it = watched_.find(event.name);
        if (it == watched_.end())
            return;  // unwatched while the agent was writing it
        // The agent's watch ends with an exit it does not restart after: so does ours, or
        // the next stream would report that exit again.
        bool restarts = it->second == container::RestartPolicy::OnFailure && event.exit_code != 0;
        if ((event.type == "exited" && !restarts) || event.type == "restart-failed")
            watched_.erase(it);
    }
    try {
        sink_(event);
    } catch (const std::exception& e) {
        spdlog::warn("host {}: a health event's receiver failed: {}", transport_->device(),
                     e.what());
    }
}

void RemoteHealthWatcher::report_missed_exit(const std::string& name) {
    container::HealthEvent event;
    event.type = "exited";
    event.name = name;
    event.backend = kind_;
    event.message = "stopped running while the event stream was reopened";
    HttpRequest request{"GET",
                        "/v1/backends/" + url_escape(kind_) + "/functions/" + url_escape(name),
                        std::nullopt, true};
    try {
        auto answer = transport_->send(request);
        if (answer.status == 200) {
            json j = json::parse(answer.body);
            auto inst = instance_from_json(JsonReader(j, "answer"));
            event.id = inst.id;
            event.exit_code = inst.exit_code;
        }
    } catch (const std::exception& e) {
        spdlog::warn("{}", e.what());  // the event still says that it exited
    }
    event.time_ns = realtime_ns();
    try {
        sink_(event);
    } catch (const std::exception& e) {
        spdlog::warn("host {}: a health event's receiver failed: {}", transport_->device(),
                     e.what());
    }
}

void RemoteHealthWatcher::tell_agent(const std::string& stream, const std::string& name,
                                     container::RestartPolicy policy) {
    auto request = watch_request(stream, name, policy);
    HttpAnswer answer;
    try {
        answer = transport_->send(request);
    } catch (const RuntimeError& e) {
        spdlog::warn("{}", e.what());  // the stream fails too, and is opened again
        return;
    }
    if (answer.status == 204)
        return;
    auto error = api_error_from_json(json::parse(answer.body, nullptr, false));
    if (answer.status == 404 && error.field == "stream")
        return;  // that stream ended already
    bool gone = answer.status == 409 || (answer.status == 404 && error.field == "instance");
    if (!gone) {
        spdlog::warn("{}: {} {}", transport_->context(request), answer.status, error.error);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (watched_.erase(name) == 0)
            return;  // unwatched meanwhile
    }
    report_missed_exit(name);
}

void RemoteHealthWatcher::opened(const std::string& stream) {
    std::map<std::string, container::RestartPolicy> watched;
    {
        std::lock_guard lock(mutex_);
        stream_ = stream;
        watched = watched_;
        first_done_ = true;
    }
    changed_.notify_all();
    for (const auto& [name, policy] : watched)
        tell_agent(stream, name, policy);
}

RemoteHealthWatcher::End RemoteHealthWatcher::read_stream(Connection& c) {
    CurlHandle easy(curl_easy_init());
    if (!easy) {
        std::snprintf(c.error, sizeof c.error, "libcurl cannot create a request");
        return End::Failed;
    }
    transport_->configure(easy.get(), "GET", "/v1/backends/" + url_escape(kind_) + "/events");
    curl_easy_setopt(easy.get(), CURLOPT_HEADERFUNCTION, &Connection::on_header);
    curl_easy_setopt(easy.get(), CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &Connection::on_body);
    curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, c.error);
    curl_multi_add_handle(multi_, easy.get());

    const auto& endpoint = transport_->endpoint();
    auto started = Clock::now();
    bool open = false;
    End end = End::Failed;
    for (;;) {
        int running = 0;
        curl_multi_perform(multi_, &running);
        bool finished = false;
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
            if (msg->msg == CURLMSG_DONE) {
                finished = true;
                c.result = msg->data.result;
            }
        }
        if (!open && c.headers_done && c.status == 200 && !c.stream.empty()) {
            open = true;
            opened(c.stream);
        }
        if (finished) {
            end = open && c.result == CURLE_OK ? End::Ended : End::Failed;
            break;
        }
        {
            std::lock_guard lock(mutex_);
            if (stopping_) {
                end = End::Stopped;
                break;
            }
        }
        auto now = Clock::now();
        if (!c.headers_done && now - started > endpoint.timeout) {
            std::snprintf(c.error, sizeof c.error, "no answer within %lld ms",
                          static_cast<long long>(endpoint.timeout.count()));
            break;
        }
        if (open && now - c.last_byte > endpoint.stream_idle) {
            std::snprintf(c.error, sizeof c.error, "nothing arrived for %lld ms",
                          static_cast<long long>(endpoint.stream_idle.count()));
            break;
        }
        curl_multi_poll(multi_, nullptr, 0, 200, nullptr);
    }
    curl_multi_remove_handle(multi_, easy.get());
    return end;
}

void RemoteHealthWatcher::wait_before_reopening(milliseconds backoff) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, backoff, [&] { return stopping_; });
}

void RemoteHealthWatcher::run() {
    HttpRequest request{"GET", "/v1/backends/" + url_escape(kind_) + "/events", std::nullopt, true};
    milliseconds backoff = kFirstBackoff;
    for (bool first = true;; first = false) {
        Connection c;
        c.watcher = this;
        End end = read_stream(c);
        {
            std::lock_guard lock(mutex_);
            stream_.clear();
            if (end == End::Stopped || stopping_)
                return;
        }
        bool was_open = !c.stream.empty() && c.status == 200;
        std::string why;
        if (c.status != 0 && c.status != 200) {
            why = std::to_string(c.status);  // the agent refused the stream
            if (first) {
                try {
                    transport_->refuse(request, {c.status, c.error_body});
                } catch (...) {
                    std::lock_guard lock(mutex_);
                    first_error_ = std::current_exception();
                    first_done_ = true;
                }
                changed_.notify_all();
                return;
            }
            why += " " + api_error_from_json(json::parse(c.error_body, nullptr, false)).error;
        } else if (end == End::Ended) {
            why = "the agent ended it";
        } else {
            why = c.error[0] ? c.error : curl_easy_strerror(c.result);
            if (c.status == 200 && c.stream.empty())
                why = "the answer names no stream (" + std::string(kEventStreamHeader) + ")";
        }
        if (first && !was_open) {
            std::lock_guard lock(mutex_);
            first_error_ = std::make_exception_ptr(
                RuntimeError(transport_->context(request) + ": cannot reach the agent: " + why));
            first_done_ = true;
            changed_.notify_all();
            return;
        }
        if (was_open)
            backoff = kFirstBackoff;
        spdlog::warn("{}: the event stream ended ({}); opening it again in {} ms",
                     transport_->context(request), why, backoff.count());
        wait_before_reopening(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
    }
}

}  // namespace chima::remote::detail
