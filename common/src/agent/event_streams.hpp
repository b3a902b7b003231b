// The open event streams of the host API: each is a HealthWatcher of the device with the
// lines it produced and the client has not read yet. A stream is named (its id) so that a
// client can add and remove watches while it reads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "chima/container/health.hpp"

namespace chima::agent {

// Lines waiting for the client; the watcher's thread pushes, the response's thread pops.
class EventQueue {
  public:
    explicit EventQueue(size_t max_lines) : max_lines_(max_lines) {}
    // Drops the line when max_lines are waiting (a client that reads nothing).
    void push(std::string line);
    // The waiting lines, after waiting up to `wait` for one; nullopt once closed.
    std::optional<std::deque<std::string>> pop_all(std::chrono::milliseconds wait);
    void close();

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::string> lines_;
    size_t max_lines_;
    bool closed_ = false;
};

struct EventStream {
    std::string id;
    std::string kind;  // the backend whose instances it watches
    std::shared_ptr<EventQueue> queue;
    std::unique_ptr<container::HealthWatcher> watcher;
};

class EventStreams {
  public:
    size_t size() const;
    // Registers a stream whose watcher watches already (so that no one finds a stream
    // without one); nullptr when `limit` streams are open.
    std::shared_ptr<EventStream> add(const std::string& kind, std::shared_ptr<EventQueue> queue,
                                     std::unique_ptr<container::HealthWatcher> watcher,
                                     size_t limit);
    std::shared_ptr<EventStream> find(const std::string& id) const;
    void release(const std::string& id);
    // Ends every stream (their clients read the end of the stream).
    void close_all();

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<EventStream>> streams_;
    uint64_t next_id_ = 1;
};

}  // namespace chima::agent
