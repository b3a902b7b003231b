// Client arbitration of the P4Runtime StreamChannel (P4Runtime specification, "Client
// Arbitration and Controller Replication"): per role, the live stream with the highest
// election id ever seen is the primary; it alone may Write or set the pipeline. Every
// change of primary is announced to the role's streams: OK to the primary, ALREADY_EXISTS
// to backups, NOT_FOUND to all when there is no primary.
//
// Not thread-safe: the service calls it under its own lock, the same lock Writes take, so a
// Write in flight finishes before a new primary is announced (the specification's order).
// Messages to streams are returned, not sent, so the caller sends them after unlocking.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "p4/v1/p4runtime.pb.h"

namespace chima::p4rt {

struct ElectionId {
    uint64_t high = 0, low = 0;
    auto operator<=>(const ElectionId&) const = default;
    static std::optional<ElectionId> from(const ::p4::v1::Uint128* id, bool has);
    std::string str() const;
};

using StreamId = uint64_t;

// A message for one stream.
struct Notice {
    StreamId stream;
    ::p4::v1::StreamMessageResponse message;
};

class Arbitration {
  public:
    explicit Arbitration(uint64_t device_id) : device_id_(device_id) {}

    // An arbitration update received on `stream` (its first or a later one). A non-OK
    // status: the stream must be ended with it. `notices` gets what to send to whom.
    grpc::Status update(StreamId stream, const ::p4::v1::MasterArbitrationUpdate& update,
                        std::vector<Notice>& notices);
    // The stream ended: when it was a primary, the role's other streams learn there is none.
    void closed(StreamId stream, std::vector<Notice>& notices);
    // Whether a stream has arbitrated (a later message may then be a packet, for example).
    bool known(StreamId stream) const { return streams_.count(stream) > 0; }
    bool is_primary_stream(StreamId stream) const;

    // OK when (role, election id) is the role's primary; PERMISSION_DENIED otherwise.
    grpc::Status check_writer(const std::string& role, const ::p4::v1::Uint128* election,
                              bool has_election) const;

    uint64_t device_id() const { return device_id_; }

  private:
    struct Client {
        std::string role;
        std::optional<ElectionId> election;  // unset: never primary
    };
    struct RoleState {
        std::optional<ElectionId> highest;  // ever seen
        std::optional<StreamId> primary;
        std::optional<::p4::v1::Role> role;  // as the primary last gave it
    };

    void announce(const std::string& role, std::vector<Notice>& notices,
                  std::optional<StreamId> only = std::nullopt) const;
    ::p4::v1::StreamMessageResponse notice_for(const std::string& role, StreamId to) const;

    uint64_t device_id_;
    std::map<StreamId, Client> streams_;
    std::map<std::string, RoleState> roles_;
};

}  // namespace chima::p4rt
