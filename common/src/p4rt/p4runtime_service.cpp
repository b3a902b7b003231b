#include "chima/p4rt/p4runtime_service.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include <fstream>
#include <set>

#include "chima/base64.hpp"
#include "chima/bpf/table_entries.hpp"
#include "chima/error.hpp"
#include "chima/state_file.hpp"
#include "google/rpc/status.pb.h"

namespace chima::p4rt {

using grpc::Status;
using grpc::StatusCode;
namespace fs = std::filesystem;

// The version of the specification whose messages and rules this service follows.
constexpr const char* kApiVersion = "1.4.0";

namespace {

using SetRequest = ::p4::v1::SetForwardingPipelineConfigRequest;

std::map<uint32_t, SlotFunction> slot_functions(const DeviceConfig& device) {
    std::map<uint32_t, SlotFunction> slots;
    for (const auto& [slot, f] : device.functions)
        slots.emplace(slot, SlotFunction{slot, f.name, f.p4info, f.entries});
    return slots;
}

// One update's outcome as the specification's p4.v1.Error ("Error Reporting Messages").
::p4::v1::Error update_error(StatusCode code, const std::string& message) {
    ::p4::v1::Error e;
    e.set_canonical_code(static_cast<int>(code));
    e.set_message(message);
    e.set_space("chima-ebpf");
    return e;
}

// "Error Reporting Messages": UNKNOWN, with one p4.v1.Error per item, in order (OK for
// those that went through), in the google.rpc.Status of the grpc-status-details-bin trailer.
Status batch_failure(const std::vector<::p4::v1::Error>& errors, const std::string& what) {
    google::rpc::Status details;
    details.set_code(static_cast<int>(StatusCode::UNKNOWN));
    int bad = 0;
    for (const auto& e : errors) {
        bad += e.canonical_code() != 0;
        details.add_details()->PackFrom(e);
    }
    std::string message =
        std::to_string(bad) + " of " + std::to_string(errors.size()) + " " + what + " failed";
    for (const auto& e : errors)
        if (e.canonical_code() != 0 &&
            e.canonical_code() != static_cast<int>(StatusCode::ABORTED)) {
            message += ": " + e.message();
            break;
        }
    details.set_message(message);
    return Status(StatusCode::UNKNOWN, message, details.SerializeAsString());
}

}  // namespace

// A stream's outgoing side: gRPC allows one writer at a time, and notices for a stream
// come from other streams' threads.
class P4RuntimeService::StreamOut {
  public:
    explicit StreamOut(grpc::ServerReaderWriter<::p4::v1::StreamMessageResponse,
                                                ::p4::v1::StreamMessageRequest>* stream)
        : stream_(stream) {}
    void send(const ::p4::v1::StreamMessageResponse& m) {
        std::lock_guard lock(mutex_);
        if (open_)
            stream_->Write(m);
    }
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }

  private:
    std::mutex mutex_;
    bool open_ = true;
    grpc::ServerReaderWriter<::p4::v1::StreamMessageResponse, ::p4::v1::StreamMessageRequest>*
        stream_;
};

P4RuntimeService::P4RuntimeService(bpf::SwitchPipeline& pipeline, ServiceOptions options)
    : pipeline_(pipeline),
      options_(std::move(options)),
      arbitration_(options_.device_id),
      entities_(pipeline) {
    fs::create_directories(options_.object_dir);
}

P4RuntimeService::~P4RuntimeService() = default;

Status P4RuntimeService::check_device(uint64_t device_id) const {
    if (device_id != options_.device_id)
        return Status(StatusCode::NOT_FOUND, "no device " + std::to_string(device_id) +
                                                 " here (this agent is device " +
                                                 std::to_string(options_.device_id) + ")");
    return Status::OK;
}

template <class Request>
Status P4RuntimeService::check_primary(const Request& request) const {
    // Checked in the specification's order: the device, then the writer.
    if (Status s = check_device(request.device_id()); !s.ok())
        return s;
    return arbitration_.check_writer(request.role(), &request.election_id(),
                                     request.has_election_id());
}

Status P4RuntimeService::Capabilities(grpc::ServerContext*, const ::p4::v1::CapabilitiesRequest*,
                                      ::p4::v1::CapabilitiesResponse* response) {
    response->set_p4runtime_api_version(kApiVersion);
    return Status::OK;
}

void P4RuntimeService::deliver(std::vector<Notice>& notices) {
    for (auto& n : notices) {
        std::shared_ptr<StreamOut> out;
        {
            std::lock_guard lock(streams_mutex_);
            auto it = streams_.find(n.stream);
            if (it != streams_.end())
                out = it->second;
        }
        if (out)
            out->send(n.message);
    }
    notices.clear();
}

Status P4RuntimeService::StreamChannel(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<::p4::v1::StreamMessageResponse, ::p4::v1::StreamMessageRequest>*
        stream) {
    StreamId id = next_stream_++;
    auto out = std::make_shared<StreamOut>(stream);
    {
        std::lock_guard lock(streams_mutex_);
        streams_[id] = out;
    }
    std::vector<Notice> notices;
    Status result = Status::OK;
    ::p4::v1::StreamMessageRequest request;
    while (!context->IsCancelled() && stream->Read(&request)) {
        if (request.has_arbitration()) {
            Status s;
            {
                std::lock_guard lock(mutex_);
                s = arbitration_.update(id, request.arbitration(), notices);
            }
            deliver(notices);
            if (!s.ok()) {
                result = s;
                break;
            }
            continue;
        }
        bool known;
        {
            std::lock_guard lock(mutex_);
            known = arbitration_.known(id);
        }
        if (!known) {
            result = Status(StatusCode::FAILED_PRECONDITION,
                            "the first message on a StreamChannel must be a "
                            "MasterArbitrationUpdate");
            break;
        }
        // Packet I/O and digests: this target has no CPU port and no digests. A backup may
        // not do packet I/O at all ("Packet I/O": dropped, PERMISSION_DENIED).
        bool primary;
        {
            std::lock_guard lock(mutex_);
            primary = arbitration_.is_primary_stream(id);
        }
        ::p4::v1::StreamMessageResponse r;
        auto* e = r.mutable_error();
        e->set_canonical_code(
            static_cast<int>(primary ? StatusCode::UNIMPLEMENTED : StatusCode::PERMISSION_DENIED));
        if (request.has_packet()) {
            e->set_message(primary ? "packet I/O is not supported by the eBPF switch"
                                   : "only the primary client may send packets");
            *e->mutable_packet_out()->mutable_packet_out() = request.packet();
        } else if (request.has_digest_ack()) {
            e->set_message("digests are not supported by the eBPF switch");
            *e->mutable_digest_list_ack()->mutable_digest_list_ack() = request.digest_ack();
        } else {
            e->set_message("this stream message is not supported");
            if (request.has_other())
                *e->mutable_other()->mutable_other() = request.other();
            else
                e->mutable_other();
        }
        out->send(r);
    }
    out->close();
    {
        std::lock_guard lock(mutex_);
        arbitration_.closed(id, notices);
    }
    {
        std::lock_guard lock(streams_mutex_);
        streams_.erase(id);
    }
    deliver(notices);
    return result;
}

void P4RuntimeService::shutdown_streams() {
    std::lock_guard lock(streams_mutex_);
    for (auto& [id, out] : streams_)
        out->close();
}

Status P4RuntimeService::verify(const ::p4::v1::ForwardingPipelineConfig& config,
                                DeviceConfig& device) const {
    try {
        device = parse_device_config(config.p4_device_config());
    } catch (const InputError& e) {
        return Status(StatusCode::INVALID_ARGUMENT, e.what());
    }
    if (!config.has_p4info())
        return Status(StatusCode::INVALID_ARGUMENT, "the config has no P4Info");
    try {
        // The P4Info must describe exactly what the switch would run: the template's
        // entities and the pushed functions at their slots.
        entities_.check(config.p4info(), slot_functions(device));
    } catch (const P4rtError& e) {
        return Status(e.code, e.what());
    }
    return Status::OK;
}

void P4RuntimeService::load_function(const DeviceFunction& f,
                                     const bpf::SwitchPipeline::MapsReady& fill) {
    // The kernel keeps the loaded program (pinned with the slot): the object file is needed
    // for the load only, so it is written without fsync and removed right after.
    fs::path object = options_.object_dir / (f.hash + ".bpf.o");
    {
        std::ofstream out(object, std::ios::binary | std::ios::trunc);
        out.write(f.object.data(), static_cast<std::streamsize>(f.object.size()));
        if (!out)
            throw RuntimeError("cannot write " + object.string());
    }
    struct RemoveAfterLoad {
        fs::path path;
        ~RemoveAfterLoad() {
            std::error_code ec;
            fs::remove(path, ec);
        }
    } remove{object};
    // The function's `const entries` and the config's entries for it go in before its slot
    // serves (no packet meets it with empty tables); a refused entry keeps the old function.
    pipeline_.install_function(f.slot, object, f.program, [&](const fs::path& maps) {
        bpf::install_const_entries(maps, f.p4info);
        for (const auto& e : f.entries)
            bpf::install_entry(maps, f.p4info, e);
        if (fill)
            fill(maps);
    });
}

void P4RuntimeService::commit(const ::p4::v1::ForwardingPipelineConfig& config, DeviceConfig device,
                              bool reconcile) {
    const auto* old = committed_ ? &committed_->device : nullptr;
    BindOptions bind;
    if (!reconcile) {
        // VERIFY_AND_COMMIT: a full push. The forwarding state goes, every function is
        // loaded again.
        bind.clear_all = true;
        for (uint32_t slot = 1; slot < CHIMA_MAX_SLOTS; ++slot)
            if (!device.functions.count(slot) && pipeline_.slot_program_id(slot) != 0)
                pipeline_.clear_slot(slot);
        for (const auto& [slot, f] : device.functions) {
            load_function(f);
            bind.replaced_slots.insert(slot);
        }
    } else {
        // RECONCILE_AND_COMMIT: only slots whose function changed are swapped (one atomic
        // update of the slot each); every other table keeps its entries.
        for (const auto& [slot, f] : device.functions) {
            const DeviceFunction* before = nullptr;
            if (old && old->functions.count(slot))
                before = &old->functions.at(slot);
            if (before && same_function(*before, f) && pipeline_.slot_program_id(slot) != 0)
                continue;
            load_function(f);
            bind.replaced_slots.insert(slot);
        }
        if (old)
            for (const auto& [slot, f] : old->functions)
                if (!device.functions.count(slot)) {
                    pipeline_.clear_slot(slot);
                    bind.replaced_slots.insert(slot);
                }
    }
    entities_.bind(config.p4info(), slot_functions(device), bind);
    committed_ = Committed{config, std::move(device)};
}

// COMMIT ("SetForwardingPipelineConfig RPC": the saved config realised, the writes made
// since it was saved replayed). The forwarding state afterwards is the saved config's
// shadow, exactly (nothing of the committed state survives: the controller prepared the
// complete new state). It is realised with the least disruption: slots whose function is
// unchanged keep it, a new function's tables are filled before its slot serves, and the
// other maps change by difference (Entities::take_over). Nothing of it can fail on input:
// every write was checked when it was made. When the kernel refuses something, the
// previous config is put back and keeps serving.
void P4RuntimeService::commit_saved() {
    Saved& s = *saved_;
    const DeviceConfig& next = s.config.device;
    const DeviceConfig* old = committed_ ? &committed_->device : nullptr;
    nlohmann::json old_shadow = entities_.save();
    std::set<uint32_t> fresh;  // slots loaded or emptied
    try {
        for (const auto& [slot, f] : next.functions) {
            const DeviceFunction* before = nullptr;
            if (old && old->functions.count(slot))
                before = &old->functions.at(slot);
            if (before && same_function(*before, f) && pipeline_.slot_program_id(slot) != 0)
                continue;
            fresh.insert(slot);
            load_function(f,
                          [&, slot](const fs::path& maps) { s.entities->write_slot(slot, maps); });
        }
        for (uint32_t slot = 1; slot < CHIMA_MAX_SLOTS; ++slot) {
            bool was = old ? old->functions.count(slot) != 0 : pipeline_.slot_program_id(slot) != 0;
            if (was && !next.functions.count(slot)) {
                fresh.insert(slot);
                pipeline_.clear_slot(slot);
            }
        }
        entities_.take_over(*s.entities, fresh);
    } catch (const std::exception& e) {
        spdlog::error("COMMIT failed, putting the previous config back: {}", e.what());
        restore_committed(old_shadow, fresh);
        throw;
    }
    committed_ = std::move(s.config);
    saved_.reset();
}

// After a failed COMMIT: the committed config's functions back in the slots the commit
// loaded or emptied (their tables filled from the shadow before they serve), and its shadow
// back. take_over() undid its own map writes.
void P4RuntimeService::restore_committed(const nlohmann::json& shadow,
                                         const std::set<uint32_t>& fresh) {
    if (!committed_) {
        for (uint32_t slot : fresh) {
            try {
                pipeline_.clear_slot(slot);
            } catch (const std::exception& e) {
                spdlog::error("emptying slot {}: {}", slot, e.what());
            }
        }
        return;
    }
    const DeviceConfig& device = committed_->device;
    Entities before(nullptr);
    before.bind(committed_->config.p4info(), slot_functions(device));
    before.restore(shadow);
    for (uint32_t slot : fresh) {
        try {
            if (device.functions.count(slot))
                load_function(device.functions.at(slot),
                              [&, slot](const fs::path& maps) { before.write_slot(slot, maps); });
            else
                pipeline_.clear_slot(slot);
        } catch (const std::exception& e) {
            spdlog::error("putting slot {} back: {}", slot, e.what());
        }
    }
    BindOptions bind;
    bind.replaced_slots = fresh;
    entities_.bind(committed_->config.p4info(), slot_functions(device), bind);
    entities_.restore(shadow);
}

Status P4RuntimeService::SetForwardingPipelineConfig(
    grpc::ServerContext*, const SetRequest* request,
    ::p4::v1::SetForwardingPipelineConfigResponse*) {
    std::lock_guard lock(mutex_);
    if (Status s = check_primary(*request); !s.ok())
        return s;
    const auto action = request->action();
    if (action == SetRequest::UNSPECIFIED)
        return Status(StatusCode::INVALID_ARGUMENT, "SetForwardingPipelineConfig: no action");
    if (action == SetRequest::COMMIT) {
        if (request->has_config())
            return Status(StatusCode::INVALID_ARGUMENT,
                          "COMMIT takes no config: it realises the one saved by VERIFY_AND_SAVE");
        // "SetForwardingPipelineConfig RPC": COMMIT without a saved config is NOT_FOUND.
        if (!saved_)
            return Status(StatusCode::NOT_FOUND,
                          "COMMIT: no config was saved (VERIFY_AND_SAVE first)");
        auto started = std::chrono::steady_clock::now();
        try {
            commit_saved();
        } catch (const std::exception& e) {
            return Status(
                StatusCode::INTERNAL,
                std::string("COMMIT failed, the previous config still serves: ") + e.what());
        }
        spdlog::info(
            "saved pipeline committed ({} functions) in {:.1f} ms",
            committed_->device.functions.size(),
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count());
        return Status::OK;
    }
    if (action < SetRequest::VERIFY || action > SetRequest::RECONCILE_AND_COMMIT)
        return Status(StatusCode::INVALID_ARGUMENT,
                      "SetForwardingPipelineConfig: unknown action " + std::to_string(action));
    if (!request->has_config())
        return Status(StatusCode::INVALID_ARGUMENT,
                      "SetForwardingPipelineConfig: this action needs a config");
    const bool reconcile = action == SetRequest::RECONCILE_AND_COMMIT;
    DeviceConfig device;
    if (Status s = verify(request->config(), device); !s.ok())
        return s;
    switch (action) {
        case SetRequest::VERIFY:
            return Status::OK;
        case SetRequest::VERIFY_AND_SAVE: {
            // A new shadow: the writes made against an earlier saved config go with it.
            auto shadow = std::make_unique<Entities>(nullptr);
            try {
                shadow->bind(request->config().p4info(), slot_functions(device));
            } catch (const P4rtError& e) {
                return Status(e.code, e.what());
            }
            saved_ = Saved{Committed{request->config(), std::move(device)}, std::move(shadow)};
            return Status::OK;
        }
        default:
            break;
    }
    auto started = std::chrono::steady_clock::now();
    try {
        commit(request->config(), std::move(device), reconcile);
    } catch (const Error& e) {
        return Status(StatusCode::INTERNAL, std::string("commit failed: ") + e.what());
    } catch (const P4rtError& e) {
        return Status(e.code, e.what());
    }
    saved_.reset();
    spdlog::info(
        "pipeline {} ({} functions) in {:.1f} ms", reconcile ? "reconciled" : "committed",
        committed_->device.functions.size(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    return Status::OK;
}

Status P4RuntimeService::GetForwardingPipelineConfig(
    grpc::ServerContext*, const ::p4::v1::GetForwardingPipelineConfigRequest* request,
    ::p4::v1::GetForwardingPipelineConfigResponse* response) {
    using Get = ::p4::v1::GetForwardingPipelineConfigRequest;
    std::lock_guard lock(mutex_);
    if (Status s = check_device(request->device_id()); !s.ok())
        return s;
    if (!committed_)
        return Status::OK;  // "Get...": no config set is not an error, the config stays unset
    const auto& c = committed_->config;
    auto* out = response->mutable_config();
    if (c.has_cookie())
        *out->mutable_cookie() = c.cookie();
    switch (request->response_type()) {
        case Get::ALL:
            *out->mutable_p4info() = c.p4info();
            out->set_p4_device_config(c.p4_device_config());
            break;
        case Get::COOKIE_ONLY:
            break;
        case Get::P4INFO_AND_COOKIE:
            *out->mutable_p4info() = c.p4info();
            break;
        case Get::DEVICE_CONFIG_AND_COOKIE:
            out->set_p4_device_config(c.p4_device_config());
            break;
        default:
            return Status(StatusCode::INVALID_ARGUMENT,
                          "unknown response type " + std::to_string(request->response_type()));
    }
    return Status::OK;
}

Status P4RuntimeService::Write(grpc::ServerContext*, const ::p4::v1::WriteRequest* request,
                               ::p4::v1::WriteResponse*) {
    using Atomicity = ::p4::v1::WriteRequest;
    std::lock_guard lock(mutex_);
    if (Status s = check_primary(*request); !s.ok())
        return s;
    if (!committed_ && !saved_)
        return Status(StatusCode::FAILED_PRECONDITION,
                      "no forwarding pipeline config: SetForwardingPipelineConfig first");
    // "SetForwardingPipelineConfig RPC": after VERIFY_AND_SAVE, writes refer to the saved
    // config; they go to its shadow and reach the switch at COMMIT.
    Entities& entities = current_entities();
    const auto atomicity = request->atomicity();
    if (atomicity == Atomicity::DATAPLANE_ATOMIC)
        return Status(StatusCode::UNIMPLEMENTED,
                      "DATAPLANE_ATOMIC batches are not supported (ROLLBACK_ON_ERROR is)");
    if (atomicity != Atomicity::CONTINUE_ON_ERROR && atomicity != Atomicity::ROLLBACK_ON_ERROR)
        return Status(StatusCode::INVALID_ARGUMENT, "unknown atomicity");

    const int n = request->updates_size();
    std::vector<::p4::v1::Error> errors(n, update_error(StatusCode::OK, ""));
    std::vector<::p4::v1::Update> undo;  // inverses of what was applied, in order
    bool failed = false;
    for (int i = 0; i < n; ++i) {
        try {
            for (auto& u : entities.write(request->updates(i)))
                undo.push_back(std::move(u));
        } catch (const P4rtError& e) {
            errors[i] = update_error(e.code, e.what());
            failed = true;
        } catch (const std::exception& e) {
            errors[i] = update_error(StatusCode::INTERNAL, e.what());
            failed = true;
        }
        if (failed && atomicity == Atomicity::ROLLBACK_ON_ERROR) {
            // All or none: undo what went in, newest first; report the rest as aborted.
            for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
                try {
                    entities.write(*it);
                } catch (const std::exception& e) {
                    spdlog::error("rolling back a batch: {}", e.what());
                }
            }
            for (int k = 0; k < n; ++k)
                if (k != i)
                    errors[k] = update_error(
                        StatusCode::ABORTED,
                        k < i ? "rolled back: update " + std::to_string(i) + " of the batch failed"
                              : "not tried: update " + std::to_string(i) + " of the batch failed");
            break;
        }
    }
    if (!failed)
        return Status::OK;
    return batch_failure(errors, "updates");
}

Status P4RuntimeService::Read(grpc::ServerContext* context, const ::p4::v1::ReadRequest* request,
                              grpc::ServerWriter<::p4::v1::ReadResponse>* writer) {
    std::unique_lock lock(mutex_);
    if (Status s = check_device(request->device_id()); !s.ok())
        return s;
    if (!committed_ && !saved_)
        return Status(StatusCode::FAILED_PRECONDITION, "no forwarding pipeline config was set");
    // Reads, as writes, refer to the saved config while there is one.
    const Entities& entities = current_entities();
    // Everything is gathered (and checked) under the lock, then streamed without it.
    // A request that fails does not stop the others; as for Write, the failure is UNKNOWN
    // with one p4.v1.Error per requested entity ("Read RPC").
    std::vector<::p4::v1::ReadResponse> batches(1);
    std::vector<::p4::v1::Error> errors;
    bool failed = false;
    for (const auto& entity : request->entities()) {
        try {
            entities.read(entity, [&](::p4::v1::Entity&& e) {
                if (static_cast<size_t>(batches.back().entities_size()) >= options_.read_batch)
                    batches.emplace_back();
                *batches.back().add_entities() = std::move(e);
            });
            errors.push_back(update_error(StatusCode::OK, ""));
        } catch (const P4rtError& e) {
            errors.push_back(update_error(e.code, e.what()));
            failed = true;
        }
    }
    lock.unlock();
    if (failed)
        return batch_failure(errors, "requested entities");
    for (const auto& b : batches) {
        if (context->IsCancelled())
            return Status(StatusCode::CANCELLED, "the client went away");
        if (b.entities_size() == 0 && batches.size() > 1)
            continue;
        writer->Write(b);
    }
    return Status::OK;
}

nlohmann::json P4RuntimeService::save_state() const {
    std::lock_guard lock(mutex_);
    nlohmann::json state = {{"device_id", options_.device_id}};
    // A config saved and not committed is not kept: it has no switch state to adopt, and
    // a restarted agent serves the committed config (the controller saves again).
    if (saved_)
        spdlog::warn("the config saved by VERIFY_AND_SAVE and its writes are not kept");
    if (committed_) {
        state["config"] = base64_encode(committed_->config.SerializeAsString());
        state["entities"] = entities_.save();
    }
    return state;
}

void P4RuntimeService::restore_state(const nlohmann::json& state) {
    std::lock_guard lock(mutex_);
    if (state.value("device_id", uint64_t{0}) != options_.device_id)
        throw InputError("the kept state is of device " +
                         std::to_string(state.value("device_id", uint64_t{0})) +
                         ", this agent is device " + std::to_string(options_.device_id));
    if (!state.contains("config"))
        return;  // nothing was committed before the restart
    std::string bytes = base64_decode(state.at("config").get<std::string>(), "the kept config");
    ::p4::v1::ForwardingPipelineConfig config;
    if (!config.ParseFromString(bytes))
        throw InputError("the kept state's pipeline config is corrupt");
    DeviceConfig device = parse_device_config(config.p4_device_config());
    for (const auto& [slot, f] : device.functions)
        if (pipeline_.slot_program_id(slot) == 0)
            throw RuntimeError("the kept state says slot " + std::to_string(slot) + " serves '" +
                               f.name + "', but the slot is empty");
    entities_.bind(config.p4info(), slot_functions(device));
    entities_.restore(state.at("entities"));
    committed_ = Committed{std::move(config), std::move(device)};
}

}  // namespace chima::p4rt
