// P4Runtime client arbitration (P4Runtime specification, "Client Arbitration and
// Controller Replication"): who is primary, what each stream is told, and who may write.
#include <doctest/doctest.h>

#include "chima/p4rt/arbitration.hpp"

using chima::p4rt::Arbitration;
using chima::p4rt::Notice;
using grpc::StatusCode;

namespace {

::p4::v1::MasterArbitrationUpdate arbitrate(uint64_t device, uint64_t low,
                                            const char* role = nullptr, bool with_election = true) {
    ::p4::v1::MasterArbitrationUpdate m;
    m.set_device_id(device);
    if (with_election)
        m.mutable_election_id()->set_low(low);
    if (role)
        m.mutable_role()->set_name(role);
    return m;
}

// The status code each stream was told, by stream.
std::map<chima::p4rt::StreamId, int> told(const std::vector<Notice>& notices) {
    std::map<chima::p4rt::StreamId, int> out;
    for (const auto& n : notices)
        out[n.stream] = n.message.arbitration().status().code();
    return out;
}

::p4::v1::Uint128 id(uint64_t low) {
    ::p4::v1::Uint128 u;
    u.set_low(low);
    return u;
}

}  // namespace

TEST_CASE("p4rt arbitration: the highest election id is primary and everyone is told") {
    Arbitration a(1);
    std::vector<Notice> n;
    REQUIRE(a.update(1, arbitrate(1, 10), n).ok());
    CHECK(told(n) == std::map<chima::p4rt::StreamId, int>{{1, 0}});  // OK: primary
    CHECK(n[0].message.arbitration().election_id().low() == 10);
    n.clear();

    // A lower id is a backup, and only it is told (ALREADY_EXISTS, the primary's id).
    REQUIRE(a.update(2, arbitrate(1, 5), n).ok());
    CHECK(told(n) == std::map<chima::p4rt::StreamId, int>{{2, int(StatusCode::ALREADY_EXISTS)}});
    CHECK(n[0].message.arbitration().election_id().low() == 10);
    n.clear();
    auto ten = id(10), five = id(5);
    CHECK(a.check_writer("", &ten, true).ok());
    CHECK(a.check_writer("", &five, true).error_code() == StatusCode::PERMISSION_DENIED);
    CHECK(a.check_writer("", &ten, false).error_code() == StatusCode::PERMISSION_DENIED);

    // The backup raises its id above: it becomes primary, both are told.
    REQUIRE(a.update(2, arbitrate(1, 11), n).ok());
    auto t = told(n);
    CHECK(t[2] == 0);
    CHECK(t[1] == int(StatusCode::ALREADY_EXISTS));
    for (const auto& x : n)
        CHECK(x.message.arbitration().election_id().low() == 11);
    n.clear();
    auto old_primary = id(10);
    CHECK(a.check_writer("", &old_primary, true).error_code() == StatusCode::PERMISSION_DENIED);

    // The primary leaves: the backup learns there is none (NOT_FOUND) and is not promoted.
    a.closed(2, n);
    CHECK(told(n) == std::map<chima::p4rt::StreamId, int>{{1, int(StatusCode::NOT_FOUND)}});
    CHECK(n[0].message.arbitration().election_id().low() == 11);  // the highest ever seen
    n.clear();
    CHECK(a.check_writer("", &old_primary, true).error_code() == StatusCode::PERMISSION_DENIED);
}

TEST_CASE("p4rt arbitration: refusals end the stream with the specification's codes") {
    Arbitration a(7);
    std::vector<Notice> n;
    CHECK(a.update(1, arbitrate(8, 1), n).error_code() == StatusCode::NOT_FOUND);  // no device 8
    CHECK_FALSE(a.known(1));
    REQUIRE(a.update(1, arbitrate(7, 3), n).ok());
    // Two live clients with one election id: the second is refused.
    CHECK(a.update(2, arbitrate(7, 3), n).error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK_FALSE(a.known(2));
    // A stream keeps its device and its role.
    CHECK(a.update(1, arbitrate(8, 3), n).error_code() == StatusCode::FAILED_PRECONDITION);
    CHECK(a.update(1, arbitrate(7, 3, "other"), n).error_code() == StatusCode::FAILED_PRECONDITION);
    // The same id in another role is another client.
    CHECK(a.update(3, arbitrate(7, 3, "other"), n).ok());
}

TEST_CASE("p4rt arbitration: roles elect separately, an unset election id is never primary") {
    Arbitration a(1);
    std::vector<Notice> n;
    REQUIRE(a.update(1, arbitrate(1, 0, nullptr, false), n).ok());
    CHECK(told(n)[1] == int(StatusCode::NOT_FOUND));            // no primary at all
    CHECK_FALSE(n[0].message.arbitration().has_election_id());  // never a primary: unset
    n.clear();
    REQUIRE(a.update(2, arbitrate(1, 1, "telemetry"), n).ok());
    CHECK(told(n) == std::map<chima::p4rt::StreamId, int>{{2, 0}});  // the other role is untouched
    auto one = id(1);
    CHECK(a.check_writer("telemetry", &one, true).ok());
    CHECK(a.check_writer("", &one, true).error_code() == StatusCode::PERMISSION_DENIED);
    n.clear();
    // The primary steps down (a lower id than the highest seen): nobody is primary.
    REQUIRE(a.update(3, arbitrate(1, 5, "telemetry"), n).ok());
    n.clear();
    REQUIRE(a.update(3, arbitrate(1, 4, "telemetry"), n).ok());
    CHECK(told(n)[3] == int(StatusCode::NOT_FOUND));
    CHECK(told(n)[2] == int(StatusCode::NOT_FOUND));
    // A former primary regains it with the highest id again (greater or equal).
    n.clear();
    REQUIRE(a.update(3, arbitrate(1, 5, "telemetry"), n).ok());
    CHECK(told(n)[3] == 0);
}
