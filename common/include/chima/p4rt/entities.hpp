// TEMPORARY interface draft (replaced by the tables branch).
#pragma once
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>
#include "chima/bpf/switch_pipeline.hpp"
#include "p4/config/v1/p4info.pb.h"
#include "p4/v1/p4runtime.pb.h"
namespace chima::p4rt {
class P4rtError : public std::runtime_error {
  public:
    P4rtError(grpc::StatusCode code, const std::string& m) : std::runtime_error(m), code_(code) {}
    grpc::StatusCode code() const { return code_; }
  private:
    grpc::StatusCode code_;
};
struct SlotFunction { uint32_t slot; std::string name; nlohmann::json p4info; };
class Entities {
  public:
    explicit Entities(bpf::SwitchPipeline& sw) : sw_(sw) {}
    void bind(const ::p4::config::v1::P4Info&, const std::map<uint32_t, SlotFunction>&) {}
    void check_reconcile(const ::p4::config::v1::P4Info&, const std::map<uint32_t, SlotFunction>&, const std::set<uint32_t>&) const {}
    void forget_slot(uint32_t) {}
    void forget_all() {}
    ::p4::v1::Update write(const ::p4::v1::Update&) { throw P4rtError(grpc::StatusCode::UNIMPLEMENTED, "draft"); }
    void read(const ::p4::v1::Entity&, const std::function<void(::p4::v1::Entity&&)>&) {}
    nlohmann::json save() const { return {}; }
    void restore(const nlohmann::json&) {}
  private:
    bpf::SwitchPipeline& sw_;
};
}
