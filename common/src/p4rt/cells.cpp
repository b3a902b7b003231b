// CounterEntry and RegisterEntry: cells that always exist, written by MODIFY only
// (sections "CounterEntry" and "RegisterEntry").
#include "chima/p4rt/bytestring.hpp"
#include "operations.hpp"

namespace chima::p4rt::detail {

namespace {

using grpc::StatusCode;
using ::p4::v1::Update;

// The cells an index selects: one, or all when unset. "CounterEntry"/"RegisterEntry": a
// negative index is INVALID_ARGUMENT, one past the array OUT_OF_RANGE.
std::pair<int64_t, int64_t> cells(const std::string& what, bool has_index, int64_t index,
                                  int64_t size) {
    if (!has_index)
        return {0, size};
    if (index < 0)
        fail(StatusCode::INVALID_ARGUMENT, what + ": negative index " + std::to_string(index));
    if (index >= size)
        fail(StatusCode::OUT_OF_RANGE, what + ": index " + std::to_string(index) + " outside its " +
                                           std::to_string(size) + " cells");
    return {index, index + 1};
}

template <typename F>
void guarded(const std::string& what, F&& f) {
    try {
        f();
    } catch (const P4rtError&) {
        throw;
    } catch (const std::exception& e) {
        fail(StatusCode::INTERNAL, what + ": " + e.what());
    }
}

const CounterInfo& counter_of(const Bound& b, uint32_t id) {
    auto it = b.index.counters.find(id);
    if (it == b.index.counters.end())
        fail(StatusCode::INVALID_ARGUMENT,
             "no counter with id " + std::to_string(id) + " in the P4Info");
    return it->second;
}

const RegisterInfo& register_of(const Bound& b, uint32_t id) {
    auto it = b.index.registers.find(id);
    if (it == b.index.registers.end())
        fail(StatusCode::INVALID_ARGUMENT,
             "no register with id " + std::to_string(id) + " in the P4Info");
    return it->second;
}

void emit_counter(const CounterInfo& c, int64_t i, const Emit& emit) {
    ::p4::v1::Entity e;
    auto* ce = e.mutable_counter_entry();
    ce->set_counter_id(c.id);
    ce->mutable_index()->set_index(i);
    *ce->mutable_data() = c.backend->get(i);
    emit(std::move(e));
}

void emit_register(const RegisterInfo& r, int64_t i, const Emit& emit) {
    ::p4::v1::Entity e;
    auto* re = e.mutable_register_entry();
    re->set_register_id(r.id);
    re->mutable_index()->set_index(i);
    re->mutable_data()->set_bitstring(canonical_bitstring(r.backend->get(i) & width_mask(r.width)));
    emit(std::move(e));
}

}  // namespace

std::vector<Update> write_counter(Bound& b, Update::Type type, const ::p4::v1::CounterEntry& ce) {
    const CounterInfo& c = counter_of(b, ce.counter_id());
    std::string what = "counter '" + c.name + "'";
    // "CounterEntry": INSERT and DELETE are INVALID_ARGUMENT.
    if (type != Update::MODIFY)
        fail(StatusCode::INVALID_ARGUMENT, what + ": counter cells can only be modified");
    auto [first, end] = cells(what, ce.has_index(), ce.index().index(), c.size);
    if (!ce.has_data())
        return {};  // "the counter value is not modified if this field is not set"
    if (ce.data().packet_count() < 0 || ce.data().byte_count() < 0)
        fail(StatusCode::INVALID_ARGUMENT, what + ": negative count");
    std::vector<Update> undo;
    guarded(what, [&] {
        for (int64_t i = first; i < end; ++i) {
            Update u;
            u.set_type(Update::MODIFY);
            auto* old = u.mutable_entity()->mutable_counter_entry();
            old->set_counter_id(c.id);
            old->mutable_index()->set_index(i);
            *old->mutable_data() = c.backend->get(i);
            undo.push_back(std::move(u));
        }
        for (int64_t i = first; i < end; ++i)
            c.backend->set(i, ce.data());
    });
    return undo;
}

void read_counters(const Bound& b, const ::p4::v1::CounterEntry& req, const Emit& emit) {
    // "CounterEntry": counter_id 0 reads every counter; index unset every cell.
    if (req.counter_id() == 0) {
        for (const auto& [id, c] : b.index.counters)
            for (int64_t i = 0; i < c.size; ++i)
                emit_counter(c, i, emit);
        return;
    }
    const CounterInfo& c = counter_of(b, req.counter_id());
    auto [first, end] =
        cells("counter '" + c.name + "'", req.has_index(), req.index().index(), c.size);
    for (int64_t i = first; i < end; ++i)
        emit_counter(c, i, emit);
}

std::vector<Update> write_register(Bound& b, Update::Type type, const ::p4::v1::RegisterEntry& re) {
    const RegisterInfo& r = register_of(b, re.register_id());
    std::string what = "register '" + r.name + "'";
    // Register cells always exist: like counters, they are only modified.
    if (type != Update::MODIFY)
        fail(StatusCode::INVALID_ARGUMENT, what + ": register cells can only be modified");
    auto [first, end] = cells(what, re.has_index(), re.index().index(), r.size);
    // "RegisterEntry": data must match the register's type_spec (a bit<W> bitstring).
    if (!re.has_data() || re.data().data_case() != ::p4::v1::P4Data::kBitstring)
        fail(StatusCode::INVALID_ARGUMENT,
             what + ": data must be a bitstring (bit<" + std::to_string(r.width) + ">)");
    uint64_t value = parse_bitstring(re.data().bitstring(), r.width, what);
    std::vector<Update> undo;
    guarded(what, [&] {
        for (int64_t i = first; i < end; ++i) {
            Update u;
            u.set_type(Update::MODIFY);
            auto* old = u.mutable_entity()->mutable_register_entry();
            old->set_register_id(r.id);
            old->mutable_index()->set_index(i);
            old->mutable_data()->set_bitstring(
                canonical_bitstring(r.backend->get(i) & width_mask(r.width)));
            undo.push_back(std::move(u));
        }
        for (int64_t i = first; i < end; ++i)
            r.backend->set(i, value);
    });
    return undo;
}

void read_registers(const Bound& b, const ::p4::v1::RegisterEntry& req, const Emit& emit) {
    if (req.register_id() == 0) {
        for (const auto& [id, r] : b.index.registers)
            for (int64_t i = 0; i < r.size; ++i)
                emit_register(r, i, emit);
        return;
    }
    const RegisterInfo& r = register_of(b, req.register_id());
    auto [first, end] =
        cells("register '" + r.name + "'", req.has_index(), req.index().index(), r.size);
    for (int64_t i = first; i < end; ++i)
        emit_register(r, i, emit);
}

}  // namespace chima::p4rt::detail
