#include "event_streams.hpp"

#include <spdlog/spdlog.h>

namespace chima::agent {

void EventQueue::push(std::string line) {
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            return;
        if (lines_.size() >= max_lines_) {
            spdlog::warn("host API: an event stream's client reads nothing; event dropped");
            return;
        }
        lines_.push_back(std::move(line));
    }
    ready_.notify_all();
}

std::optional<std::deque<std::string>> EventQueue::pop_all(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [&] { return closed_ || !lines_.empty(); });
    if (closed_)
        return std::nullopt;
    return std::exchange(lines_, {});
}

void EventQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    ready_.notify_all();
}

size_t EventStreams::size() const {
    std::lock_guard lock(mutex_);
    return streams_.size();
}

std::shared_ptr<EventStream> EventStreams::add(const std::string& kind,
                                               std::shared_ptr<EventQueue> queue,
                                               std::unique_ptr<container::HealthWatcher> watcher,
                                               size_t limit) {
    auto stream = std::make_shared<EventStream>();
    stream->kind = kind;
    stream->queue = std::move(queue);
    stream->watcher = std::move(watcher);
    std::lock_guard lock(mutex_);
    if (streams_.size() >= limit)
        return nullptr;  // the watcher goes with `stream`
    stream->id = std::to_string(next_id_++);
    streams_[stream->id] = stream;
    return stream;
}

std::shared_ptr<EventStream> EventStreams::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
}

void EventStreams::release(const std::string& id) {
    std::shared_ptr<EventStream> stream;
    {
        std::lock_guard lock(mutex_);
        auto it = streams_.find(id);
        if (it == streams_.end())
            return;
        stream = std::move(it->second);
        streams_.erase(it);
    }
    stream->queue->close();
    // The watcher (its thread) goes with the last reference, outside the lock.
}

void EventStreams::close_all() {
    std::lock_guard lock(mutex_);
    for (auto& [id, stream] : streams_)
        stream->queue->close();
}

}  // namespace chima::agent
