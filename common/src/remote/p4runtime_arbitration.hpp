// The client's StreamChannel: opened with a MasterArbitrationUpdate carrying the election
// id, kept open for as long as the client holds the primary role (the role ends with the
// stream), closed cleanly (WritesDone, then the server's status) on destruction.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "p4runtime_connection.hpp"

namespace chima::remote::detail {

class PrimaryStream {
  public:
    // Arbitrates and waits for the answer (the endpoint's timeout). RuntimeError when the
    // stream fails or nothing comes; NotPrimaryError when another client is primary.
    explicit PrimaryStream(P4RuntimeConnection& connection);
    ~PrimaryStream();
    PrimaryStream(const PrimaryStream&) = delete;
    PrimaryStream& operator=(const PrimaryStream&) = delete;

    // Whether the stream is still open and the last arbitration said primary.
    bool primary() const;

  private:
    void read_loop();
    void close();

    P4RuntimeConnection& connection_;
    grpc::ClientContext context_;
    std::unique_ptr<
        grpc::ClientReaderWriter<::p4::v1::StreamMessageRequest, ::p4::v1::StreamMessageResponse>>
        stream_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<::p4::v1::MasterArbitrationUpdate> last_;  // the server's latest answer
    bool ended_ = false;
};

}  // namespace chima::remote::detail
