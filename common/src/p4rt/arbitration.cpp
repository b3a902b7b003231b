#include "chima/p4rt/arbitration.hpp"

#include "google/rpc/status.pb.h"

namespace chima::p4rt {

using grpc::Status;
using grpc::StatusCode;

std::optional<ElectionId> ElectionId::from(const ::p4::v1::Uint128* id, bool has) {
    if (!has || id == nullptr)
        return std::nullopt;
    return ElectionId{id->high(), id->low()};
}

std::string ElectionId::str() const {
    return high == 0 ? std::to_string(low)
                     : "(" + std::to_string(high) + "," + std::to_string(low) + ")";
}

Status Arbitration::update(StreamId stream, const ::p4::v1::MasterArbitrationUpdate& m,
                           std::vector<Notice>& notices) {
    // "Rules for Handling MasterArbitrationUpdate Messages Received from Controllers".
    const std::string role = m.has_role() ? m.role().name() : "";
    auto election = ElectionId::from(&m.election_id(), m.has_election_id());
    auto known_stream = streams_.find(stream);
    if (known_stream == streams_.end()) {
        if (m.device_id() != device_id_)
            return Status(StatusCode::NOT_FOUND, "no device " + std::to_string(m.device_id()) +
                                                     " here (this agent is device " +
                                                     std::to_string(device_id_) + ")");
    } else {
        if (m.device_id() != device_id_)
            return Status(StatusCode::FAILED_PRECONDITION,
                          "a stream keeps its device id: open a new stream for another device");
        if (known_stream->second.role != role)
            return Status(StatusCode::FAILED_PRECONDITION,
                          "a stream keeps its role: open a new stream for role '" + role + "'");
    }
    if (election) {
        for (const auto& [id, c] : streams_)
            if (id != stream && c.role == role && c.election == election)
                return Status(StatusCode::INVALID_ARGUMENT, "election id " + election->str() +
                                                                " is in use by another client "
                                                                "of role '" +
                                                                role + "'");
    }

    RoleState& rs = roles_[role];
    bool was_primary = rs.primary == stream;
    streams_[stream] = Client{role, election};
    bool becomes_primary = election && (!rs.highest || *election >= *rs.highest);
    if (becomes_primary) {
        bool had_primary = rs.primary.has_value();
        rs.highest = election;
        rs.primary = stream;
        if (m.has_role())
            rs.role = m.role();
        else
            rs.role.reset();
        (void)had_primary;
        announce(role, notices);  // everyone learns the (new) primary's election id
        return Status::OK;
    }
    if (was_primary) {  // the primary stepped down to backup: nobody is primary now
        rs.primary.reset();
        announce(role, notices);
        return Status::OK;
    }
    announce(role, notices, stream);  // a new backup: only it is told
    return Status::OK;
}

void Arbitration::closed(StreamId stream, std::vector<Notice>& notices) {
    auto it = streams_.find(stream);
    if (it == streams_.end())
        return;
    std::string role = it->second.role;
    streams_.erase(it);
    RoleState& rs = roles_[role];
    if (rs.primary == stream) {
        rs.primary.reset();
        announce(role, notices);
    }
}

bool Arbitration::is_primary_stream(StreamId stream) const {
    auto it = streams_.find(stream);
    if (it == streams_.end())
        return false;
    auto rs = roles_.find(it->second.role);
    return rs != roles_.end() && rs->second.primary == stream;
}

Status Arbitration::check_writer(const std::string& role, const ::p4::v1::Uint128* election,
                                 bool has_election) const {
    auto rs = roles_.find(role);
    auto id = ElectionId::from(election, has_election);
    if (rs == roles_.end() || !rs->second.primary)
        return Status(
            StatusCode::PERMISSION_DENIED,
            "no primary client for role '" + role + "': open a StreamChannel and arbitrate first");
    const Client& primary = streams_.at(*rs->second.primary);
    if (!id || primary.election != id)
        return Status(StatusCode::PERMISSION_DENIED,
                      "not the primary client of role '" + role + "' (election id " +
                          (id ? id->str() : std::string("unset")) + ", the primary's is " +
                          primary.election->str() + ")");
    return Status::OK;
}

::p4::v1::StreamMessageResponse Arbitration::notice_for(const std::string& role,
                                                        StreamId to) const {
    // "Client Arbitration Notifications": the highest election id seen (unset when there
    // never was a primary), and the recipient's standing in the status.
    const RoleState& rs = roles_.at(role);
    ::p4::v1::StreamMessageResponse r;
    auto* a = r.mutable_arbitration();
    a->set_device_id(device_id_);
    if (rs.role)
        *a->mutable_role() = *rs.role;
    else if (!role.empty())
        a->mutable_role()->set_name(role);
    if (rs.highest) {
        a->mutable_election_id()->set_high(rs.highest->high);
        a->mutable_election_id()->set_low(rs.highest->low);
    }
    auto* st = a->mutable_status();
    if (rs.primary == to) {
        st->set_code(static_cast<int>(StatusCode::OK));
        st->set_message("you are the primary");
    } else if (rs.primary) {
        st->set_code(static_cast<int>(StatusCode::ALREADY_EXISTS));
        st->set_message("another client is the primary; you are a backup");
    } else {
        st->set_code(static_cast<int>(StatusCode::NOT_FOUND));
        st->set_message("there is no primary client");
    }
    return r;
}

void Arbitration::announce(const std::string& role, std::vector<Notice>& notices,
                           std::optional<StreamId> only) const {
    for (const auto& [id, c] : streams_) {
        if (c.role != role || (only && *only != id))
            continue;
        notices.push_back({id, notice_for(role, id)});
    }
}

}  // namespace chima::p4rt
