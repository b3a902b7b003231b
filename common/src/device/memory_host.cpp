#include "chima/device/memory_devices.hpp"

#include "chima/error.hpp"

namespace chima::device {

namespace {

std::string flow_text(Ipv4 src, Ipv4 dst) {
    return src.str() + ">" + dst.str();
}

std::string labels_text(const LabelStack& stack) {
    std::string out = "[";
    for (const auto& s : stack.segments())
        out += (out.size() > 1 ? "," : "") + std::to_string(s.label());
    return out + "]";
}

}  // namespace

// Each operation is journalled before it changes anything: an injected failure leaves the
// host as it was.
void MemoryHost::set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) {
    std::lock_guard lock(mutex_);
    record("set_flow " + flow_text(src, dst) + " " + labels_text(stack));
    flows_[{src.value, dst.value}] = stack;
}

void MemoryHost::delete_flow(Ipv4 src, Ipv4 dst) {
    std::lock_guard lock(mutex_);
    record("delete_flow " + flow_text(src, dst));
    flows_.erase({src.value, dst.value});
}

std::optional<LabelStack> MemoryHost::flow(Ipv4 src, Ipv4 dst) const {
    std::lock_guard lock(mutex_);
    auto it = flows_.find({src.value, dst.value});
    if (it == flows_.end())
        return std::nullopt;
    return it->second;
}

void MemoryHost::add_neighbours(const std::vector<Neighbour>& entries) {
    record("neighbours " + std::to_string(entries.size()));
}

bool MemoryHost::has_function_netns(const std::string& netns) const {
    std::lock_guard lock(mutex_);
    return netns_.count(netns) > 0;
}

void MemoryHost::create_function_netns(const std::string& netns) {
    std::lock_guard lock(mutex_);
    if (netns_.count(netns))
        throw RuntimeError("namespace " + netns + " exists on " + name_);
    record("netns " + netns);
    netns_.insert(netns);
}

void MemoryHost::plumb_function_port(const FunctionPort& port) {
    std::lock_guard lock(mutex_);
    if (!netns_.count(port.netns))
        throw RuntimeError("no namespace " + port.netns + " on " + name_);
    record("port " + port.netns + " " + port.ip.str());
}

void MemoryHost::remove_function_netns(const std::string& netns) {
    std::lock_guard lock(mutex_);
    record("remove_netns " + netns);
    netns_.erase(netns);
}

bool MemoryHost::wait_serving(const std::string& netns, uint16_t, std::chrono::milliseconds) const {
    // An instance in memory serves from its start.
    std::lock_guard lock(mutex_);
    for (const auto& [instance, ns] : instance_netns_)
        if (ns == netns)
            return true;
    return false;
}

container::Image MemoryHost::ensure_image(const std::string&, const container::ImageSpec& image) {
    return {"memory/" + image.name, "memory-" + image.name, false};
}

container::Instance MemoryHost::start_function(const std::string& kind,
                                               const container::FunctionSpec& spec) {
    std::lock_guard lock(mutex_);
    if (!spec.netns.empty() && !netns_.count(spec.netns))
        throw RuntimeError("no namespace " + spec.netns + " on " + name_);
    record("start " + spec.name);
    container::Instance inst;
    inst.name = spec.name;
    inst.id = kind + ":" + spec.name;
    inst.image = spec.image;
    inst.state = container::State::Running;
    inst.labels = spec.labels;
    instances_[spec.name] = inst;
    instance_netns_[spec.name] = spec.netns;
    return inst;
}

void MemoryHost::stop_function(const std::string&, const std::string& instance) {
    std::lock_guard lock(mutex_);
    record("stop " + instance);
    instances_.erase(instance);
    instance_netns_.erase(instance);
}

container::Instance MemoryHost::inspect_function(const std::string&, const std::string& instance) {
    std::lock_guard lock(mutex_);
    auto it = instances_.find(instance);
    if (it == instances_.end()) {
        container::Instance missing;
        missing.name = instance;
        return missing;
    }
    return it->second;
}

std::vector<container::Instance> MemoryHost::list_functions(const std::string&,
                                                            const std::string& label_key,
                                                            const std::string& label_value) {
    std::lock_guard lock(mutex_);
    std::vector<container::Instance> out;
    for (const auto& [name, inst] : instances_) {
        auto it = inst.labels.find(label_key);
        if (it != inst.labels.end() && (label_value.empty() || it->second == label_value))
            out.push_back(inst);
    }
    return out;
}

std::unique_ptr<container::HealthWatcher> MemoryHost::watch_health(const std::string&,
                                                                   container::HealthWatcher::Sink) {
    throw RuntimeError("a host in memory has no processes whose health could be watched");
}

std::set<std::string> MemoryHost::function_netns() const {
    std::lock_guard lock(mutex_);
    return netns_;
}

std::set<std::string> MemoryHost::running() const {
    std::lock_guard lock(mutex_);
    std::set<std::string> out;
    for (const auto& [name, inst] : instances_)
        out.insert(name);
    return out;
}

}  // namespace chima::device
