#include "chima/p4rt/entities.hpp"

#include <spdlog/spdlog.h>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "operations.hpp"
#include "table_entry.hpp"

namespace chima::p4rt {

namespace detail {

void fail(grpc::StatusCode code, const std::string& message) {
    throw P4rtError(code, message);
}

std::string TableBackend::plane_key(const TableInfo&, const EntryValue& entry) const {
    return match_key(entry);
}

bool TableBackend::has_room(const TableInfo&, const EntryValue&) const {
    return true;
}

}  // namespace detail

namespace {

using detail::Bound;
using detail::fail;
using grpc::StatusCode;

[[noreturn]] void not_bound() {
    // "Write RPC" / "Read RPC": before a pipeline config, FAILED_PRECONDITION.
    fail(StatusCode::FAILED_PRECONDITION, "no forwarding pipeline config set");
}

// Forgets the entries the old binding wrote into function tables that stay (a full push
// empties the switch's state; replaced slots have new maps already).
void erase_function_entries(const Bound& old, const std::set<uint32_t>& replaced) {
    for (const auto& [id, state] : old.state) {
        auto slot = old.index.table_slot.find(id);
        if (slot == old.index.table_slot.end() || replaced.count(slot->second))
            continue;
        const detail::TableInfo& t = old.index.tables.at(id);
        for (const auto& [key, s] : state.entries) {
            if (s.is_const)
                continue;
            try {
                t.backend->erase(t, s.value);
            } catch (const std::exception& e) {
                spdlog::debug("p4rt: {}: entry not erased: {}", t.name, e.what());
            }
        }
    }
}

}  // namespace

Entities::Entities(bpf::SwitchPipeline* pipeline) : pipeline_(pipeline) {}

Entities::~Entities() = default;

void Entities::check(const ::p4::config::v1::P4Info& info,
                     const std::map<uint32_t, SlotFunction>& slots) const {
    detail::index_p4info(pipeline_, info, slots);
}

void Entities::bind(const ::p4::config::v1::P4Info& info,
                    const std::map<uint32_t, SlotFunction>& slots, const BindOptions& options) {
    auto next = std::make_unique<Bound>();
    next->index = detail::index_p4info(pipeline_, info, slots);
    next->info = info;
    next->slots = slots;
    if (options.clear_all) {
        if (bound_)
            erase_function_entries(*bound_, options.replaced_slots);
        if (pipeline_)
            pipeline_->clear_forwarding_state();
    }
    for (auto& [id, t] : next->index.tables) {
        // RECONCILE: a table that is still there with the same shape keeps its entries.
        if (!options.clear_all && bound_) {
            auto old = bound_->index.tables.find(id);
            auto slot = next->index.table_slot.find(id);
            bool replaced =
                slot != next->index.table_slot.end() && options.replaced_slots.count(slot->second);
            if (old != bound_->index.tables.end() && old->second.shape == t.shape && !replaced) {
                next->state[id] = std::move(bound_->state[id]);
                continue;
            }
        }
        detail::TableState& st = next->state[id];
        auto adopt = [&](const detail::EntryValue& v, bool is_const) {
            detail::StoredEntry s = detail::stored_entry(next->index, t, v, is_const);
            if (!pipeline_)
                t.backend->put(t, v);  // a shadow counts what the loader would write
            std::string key = detail::entry_key(v);
            st.by_plane[s.plane_key] = key;
            st.entries.insert_or_assign(key, std::move(s));
        };
        for (const auto& v : t.initial_entries)
            adopt(v, t.is_const);
        for (const auto& v : t.config_entries)
            adopt(v, false);
    }
    bound_ = std::move(next);
}

std::vector<::p4::v1::Update> Entities::write(const ::p4::v1::Update& update) {
    if (!bound_)
        not_bound();
    const ::p4::v1::Entity& e = update.entity();
    switch (e.entity_case()) {
        case ::p4::v1::Entity::kTableEntry:
            return detail::write_table_entry(*bound_, update.type(), e.table_entry());
        case ::p4::v1::Entity::kCounterEntry:
            return detail::write_counter(*bound_, update.type(), e.counter_entry());
        case ::p4::v1::Entity::kRegisterEntry:
            return detail::write_register(*bound_, update.type(), e.register_entry());
        case ::p4::v1::Entity::ENTITY_NOT_SET:
            fail(StatusCode::INVALID_ARGUMENT, "the update has no entity");
        default:
            fail(StatusCode::UNIMPLEMENTED,
                 "the eBPF switch serves table entries, counters and registers only");
    }
}

void Entities::read(const ::p4::v1::Entity& request,
                    const std::function<void(::p4::v1::Entity&&)>& emit) const {
    if (!bound_)
        not_bound();
    switch (request.entity_case()) {
        case ::p4::v1::Entity::kTableEntry:
            return detail::read_table_entries(*bound_, request.table_entry(), emit);
        case ::p4::v1::Entity::kCounterEntry:
            return detail::read_counters(*bound_, request.counter_entry(), emit);
        case ::p4::v1::Entity::kRegisterEntry:
            return detail::read_registers(*bound_, request.register_entry(), emit);
        case ::p4::v1::Entity::ENTITY_NOT_SET:
            // "Wildcard Reads": the entity oneof must be set.
            fail(StatusCode::INVALID_ARGUMENT, "the read request has an empty entity");
        default:
            fail(StatusCode::UNIMPLEMENTED,
                 "the eBPF switch serves table entries, counters and registers only");
    }
}

}  // namespace chima::p4rt
