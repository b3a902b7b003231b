// The P4Runtime entities of the eBPF switch: TableEntry, CounterEntry and RegisterEntry
// written to and read from the maps of one bpf::SwitchPipeline, with the validation and the
// error codes of the P4Runtime specification (v1, docs/v1/P4Runtime-Spec.adoc; comments
// cite its sections by title).
//
//   p4rt::Entities entities(pipeline);
//   entities.bind(p4info, {{3, {3, "marker", marker_p4info}}});   // a committed config
//   auto undo = entities.write(update);        // throws P4rtError; nothing changed then
//   entities.read(request_entity, [&](::p4::v1::Entity&& e) { ... });
//
// The template pipeline's tables, counters and register are bound by their fully qualified
// names in p4/chima.p4 (the one table: common/src/p4rt/template_bindings.cpp); a function's
// entities are "ChimaIngress.functions.fn_<slot>.<local name>" and map onto the tables,
// counters and registers of the slot's chima-p4info-1 document. The maps are the data
// plane; a shadow of every written entry is the control plane's view, so reads return
// what was written (canonical match, action, priority, metadata).
//
// Without a switch (Entities(nullptr)) the entities are a shadow of a config that no switch
// runs yet (SetForwardingPipelineConfig VERIFY_AND_SAVE): writes are checked exactly as
// against a switch (the tables' own limits and mask slots included) and kept in memory,
// reads answer from them, counter and register cells read what was written (zero else).
// take_over() then realises such a shadow on a switch (COMMIT).
//
// Not thread-safe: the service serialises writes and reads.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/p4/entries.hpp"
#include "p4/config/v1/p4info.pb.h"
#include "p4/v1/p4runtime.pb.h"

namespace chima::bpf {
class SwitchPipeline;
}

namespace chima::p4rt {

// One refused update or read: the specification's canonical code and what was wrong (the
// service turns it into the p4.v1.Error of the update).
struct P4rtError : std::runtime_error {
    P4rtError(grpc::StatusCode code, const std::string& message)
        : std::runtime_error(message), code(code) {}
    grpc::StatusCode code;
};

// The function a slot serves: its local name and its chima-p4info-1 document (the map
// layout chima-compile wrote beside the object).
struct SlotFunction {
    uint32_t slot = 0;
    std::string name;
    nlohmann::json p4info;
    // The device config's entries the loader wrote after the const entries: they join the
    // shadow as ordinary (modifiable) entries, so a Read returns them.
    std::vector<p4::EntrySpec> entries{};
};

struct BindOptions {
    // Forget every entry and empty the template's maps (VERIFY_AND_COMMIT: a full push).
    bool clear_all = false;
    // Slots whose function was replaced: their entries are gone with the old maps.
    std::set<uint32_t> replaced_slots;
};

namespace detail {
struct Bound;
}

class Entities {
  public:
    explicit Entities(bpf::SwitchPipeline& pipeline) : Entities(&pipeline) {}
    // Without a switch (nullptr): a shadow, nothing reaches a map.
    explicit Entities(bpf::SwitchPipeline* pipeline);
    ~Entities();
    Entities(const Entities&) = delete;
    Entities& operator=(const Entities&) = delete;

    // Throws P4rtError(INVALID_ARGUMENT) naming the first entity of `info` that maps onto
    // nothing of this switch or whose shape disagrees (SetForwardingPipelineConfig VERIFY).
    void check(const ::p4::config::v1::P4Info& info,
               const std::map<uint32_t, SlotFunction>& slots) const;
    // check(), then makes `info` the one writes and reads refer to. Entries of tables that
    // still exist with the same shape are kept (RECONCILE_AND_COMMIT), unless `options`
    // says to forget them. The const entries of a new function's tables join the shadow.
    void bind(const ::p4::config::v1::P4Info& info, const std::map<uint32_t, SlotFunction>& slots,
              const BindOptions& options = {});
    bool bound() const { return bound_ != nullptr; }

    // Validates the whole update, then applies it; returns the updates that undo it, in
    // order (one but for a counter or register write of every cell). Throws P4rtError with
    // nothing changed when the update is refused.
    std::vector<::p4::v1::Update> write(const ::p4::v1::Update& update);

    // Every entity `request` selects (wildcards as the specification's Read RPC allows).
    void read(const ::p4::v1::Entity& request,
              const std::function<void(::p4::v1::Entity&&)>& emit) const;

    // A shadow's entries of the function tables of `slot` written into the maps pinned in
    // `maps` (a function being loaded into the slot, before it serves; its const entries
    // are there already).
    void write_slot(uint32_t slot, const std::filesystem::path& maps) const;

    // Makes the shadow `staged` this switch's state, its config the one writes refer to:
    // afterwards the maps hold exactly its entries and the cells it wrote. Make before
    // break: an entry both hold stays in its map untouched, changed entries are replaced
    // in place, then those `staged` has not are erased. `fresh_slots` were just loaded
    // (write_slot filled them) or emptied: their maps are not touched. All or nothing:
    // when the kernel refuses a map write, what was done is undone and the error thrown.
    void take_over(const Entities& staged, const std::set<uint32_t>& fresh_slots);

    // The shadow, for the agent's warm restart: restore() takes it back after bind() with
    // the same P4Info, without writing the maps (the pinned maps still hold the entries).
    nlohmann::json save() const;
    void restore(const nlohmann::json& saved);

  private:
    bpf::SwitchPipeline* pipeline_;
    std::unique_ptr<detail::Bound> bound_;
};

}  // namespace chima::p4rt
