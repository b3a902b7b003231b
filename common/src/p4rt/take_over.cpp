// A shadow realised on the switch (COMMIT of a config saved by VERIFY_AND_SAVE): the maps
// are brought from the committed state to the shadow's by a difference, so an entry both
// states hold never leaves its map, and every map write is undone when a later one fails.
#include <spdlog/spdlog.h>

#include "chima/bpf/switch_pipeline.hpp"
#include "chima/error.hpp"
#include "model.hpp"

namespace chima::p4rt {

namespace {

using detail::EntryValue;
using detail::Index;
using detail::TableInfo;
using detail::TableState;

bool same_entry(const EntryValue& a, const EntryValue& b) {
    if (a.priority != b.priority || a.action_id != b.action_id || a.params != b.params ||
        a.fields.size() != b.fields.size())
        return false;
    for (size_t i = 0; i < a.fields.size(); ++i) {
        const auto& x = a.fields[i];
        const auto& y = b.fields[i];
        if (x.present != y.present || x.value != y.value || x.mask != y.mask ||
            x.prefix_len != y.prefix_len)
            return false;
    }
    return true;
}

bool in_slots(const Index& ix, uint32_t table_id, const std::set<uint32_t>& slots) {
    auto s = ix.table_slot.find(table_id);
    return s != ix.table_slot.end() && slots.count(s->second);
}

// A table of one state, found by name: the maps a name reaches are the same in both configs
// (the template's by name, a function's by slot and name, and its slot is not fresh).
struct Side {
    const TableInfo* info = nullptr;
    const TableState* state = nullptr;
};

std::map<std::string, Side> by_name(const Index& ix, const std::map<uint32_t, TableState>& state,
                                    const std::set<uint32_t>& fresh) {
    std::map<std::string, Side> out;
    for (const auto& [id, t] : ix.tables) {
        if (in_slots(ix, id, fresh))
            continue;
        auto st = state.find(id);
        out[t.name] = {&t, st == state.end() ? nullptr : &st->second};
    }
    return out;
}

const detail::StoredEntry* on_plane(const TableState* st, const std::string& plane) {
    if (!st)
        return nullptr;
    auto key = st->by_plane.find(plane);
    return key == st->by_plane.end() ? nullptr : &st->entries.at(key->second);
}

}  // namespace

void Entities::write_slot(uint32_t slot, const std::filesystem::path& maps) const {
    if (!bound_)
        throw RuntimeError("P4Runtime entities: no config to fill slot " + std::to_string(slot));
    Index ix = detail::index_p4info(nullptr, bound_->info, bound_->slots, {{slot, maps}});
    for (const auto& [id, st] : bound_->state) {
        if (!in_slots(ix, id, {slot}))
            continue;
        const TableInfo& t = ix.tables.at(id);
        for (const auto& [key, s] : st.entries)
            if (!s.is_const)
                t.backend->put(t, s.value);
    }
}

void Entities::take_over(const Entities& staged, const std::set<uint32_t>& fresh_slots) {
    if (!pipeline_ || !staged.bound_)
        throw RuntimeError("P4Runtime entities: take_over needs a switch and a staged config");
    auto next = std::make_unique<detail::Bound>();
    next->info = staged.bound_->info;
    next->slots = staged.bound_->slots;
    next->index = detail::index_p4info(pipeline_, next->info, next->slots);
    next->state = staged.bound_->state;
    // Nothing committed: what the maps hold is nobody's, as before a full push.
    if (!bound_)
        pipeline_->clear_forwarding_state();

    std::map<std::string, Side> before;
    if (bound_)
        before = by_name(bound_->index, bound_->state, fresh_slots);
    auto after = by_name(next->index, next->state, fresh_slots);
    std::vector<std::function<void()>> undo;
    try {
        // First the entries the new state has not (a plane it uses is overwritten below):
        // frees room, ternary mask slots included.
        for (const auto& [name, old] : before) {
            if (!old.state)
                continue;
            auto now = after.find(name);
            const TableState* target = now == after.end() ? nullptr : now->second.state;
            for (const auto& [key, s] : old.state->entries) {
                if (s.is_const || on_plane(target, s.plane_key))
                    continue;
                const TableInfo& t = *old.info;
                t.backend->erase(t, s.value);
                undo.push_back([&t, v = s.value] { t.backend->put(t, v); });
            }
        }
        // Then every entry of the new state the maps do not hold as it is.
        for (const auto& [name, side] : after) {
            if (!side.state)
                continue;
            auto was = before.find(name);
            for (const auto& [key, s] : side.state->entries) {
                if (s.is_const)
                    continue;
                const detail::StoredEntry* old =
                    was == before.end() ? nullptr : on_plane(was->second.state, s.plane_key);
                if (old && same_entry(old->value, s.value))
                    continue;
                const TableInfo& t = *side.info;
                t.backend->put(t, s.value);
                if (old)
                    undo.push_back(
                        [&t = *was->second.info, v = old->value] { t.backend->put(t, v); });
                else
                    undo.push_back([&t, v = s.value] { t.backend->erase(t, v); });
            }
        }
        // The cells written since the config was saved.
        for (const auto& [id, c] : staged.bound_->index.counters) {
            const auto& live = next->index.counters.at(id);
            for (int64_t i : c.backend->written()) {
                undo.push_back([&live, i, v = live.backend->get(i)] { live.backend->set(i, v); });
                live.backend->set(i, c.backend->get(i));
            }
        }
        for (const auto& [id, r] : staged.bound_->index.registers) {
            const auto& live = next->index.registers.at(id);
            for (int64_t i : r.backend->written()) {
                undo.push_back([&live, i, v = live.backend->get(i)] { live.backend->set(i, v); });
                live.backend->set(i, r.backend->get(i));
            }
        }
    } catch (const std::exception& e) {
        for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
            try {
                (*it)();
            } catch (const std::exception& u) {
                spdlog::error("p4rt: undoing a commit: {}", u.what());
            }
        }
        throw;
    }
    bound_ = std::move(next);
}

}  // namespace chima::p4rt
