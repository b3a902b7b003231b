#include "p4runtime_arbitration.hpp"

#include <spdlog/spdlog.h>

namespace chima::remote::detail {

namespace {

std::string election_text(const ::p4::v1::Uint128& id) {
    if (id.high() == 0)
        return std::to_string(id.low());
    return std::to_string(id.high()) + ":" + std::to_string(id.low());
}

}  // namespace

PrimaryStream::PrimaryStream(P4RuntimeConnection& connection) : connection_(connection) {
    connection_.connect();
    stream_ = connection_.stub().StreamChannel(&context_);
    ::p4::v1::StreamMessageRequest hello;
    auto* a = hello.mutable_arbitration();
    a->set_device_id(connection_.endpoint().device_id);
    *a->mutable_election_id() = connection_.election_id();
    bool sent = stream_->Write(hello);
    reader_ = std::thread([this] { read_loop(); });

    std::unique_lock lock(mutex_);
    bool answered = changed_.wait_for(lock, connection_.endpoint().timeout,
                                      [&] { return last_.has_value() || ended_; });
    if (!answered || !last_) {
        lock.unlock();
        close();
        grpc::Status s = stream_->Finish();
        if (!answered || s.ok())
            s = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                             sent ? "no arbitration answer" : "the stream did not open");
        throw connection_.error("StreamChannel", s);
    }
    const auto update = *last_;
    lock.unlock();
    if (update.status().code() != 0) {
        close();
        stream_->Finish();
        std::string holder = update.has_election_id() ? "the primary holds election id " +
                                                            election_text(update.election_id())
                                                      : "there is no primary";
        throw NotPrimaryError(connection_.where() + ": not primary: " + holder + " (ours is " +
                              election_text(connection_.election_id()) + ")");
    }
    spdlog::debug("{}: primary with election id {}", connection_.where(),
                  election_text(connection_.election_id()));
}

void PrimaryStream::read_loop() {
    ::p4::v1::StreamMessageResponse m;
    while (stream_->Read(&m)) {
        if (!m.has_arbitration()) {
            if (m.has_error())
                spdlog::warn("{}: stream error: {}", connection_.where(), m.error().message());
            continue;
        }
        std::lock_guard lock(mutex_);
        last_ = m.arbitration();
        changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    ended_ = true;
    changed_.notify_all();
}

bool PrimaryStream::primary() const {
    std::lock_guard lock(mutex_);
    return !ended_ && last_ && last_->status().code() == 0;
}

void PrimaryStream::close() {
    // Our side ends; the server then ends its side. A server that does not answer within
    // the timeout is cut off.
    stream_->WritesDone();
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, connection_.endpoint().timeout, [&] { return ended_; })) {
        lock.unlock();
        context_.TryCancel();
    } else {
        lock.unlock();
    }
    if (reader_.joinable())
        reader_.join();
}

PrimaryStream::~PrimaryStream() {
    if (reader_.joinable()) {
        close();
        grpc::Status s = stream_->Finish();
        if (!s.ok() && s.error_code() != grpc::StatusCode::CANCELLED)
            spdlog::debug("{}: stream closed: {}", connection_.where(), s.error_message());
    }
}

}  // namespace chima::remote::detail
