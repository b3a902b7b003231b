#include "chima/device/memory_devices.hpp"

#include <ctime>

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
    std::lock_guard lock(mutex_);
    record("neighbours " + std::to_string(entries.size()));
    neighbours_.insert(neighbours_.end(), entries.begin(), entries.end());
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
    ports_[{port.netns, port.alternate}] = port;
}

void MemoryHost::remove_function_netns(const std::string& netns) {
    std::lock_guard lock(mutex_);
    record("remove_netns " + netns);
    netns_.erase(netns);
    ports_.erase({netns, false});
    ports_.erase({netns, true});
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

// What a watcher watches, shared with the host that reports exits to it: the watcher goes
// while the host may be reporting, so the host holds it weakly and reports under its lock.
struct MemoryHost::HealthWatch {
    std::string kind;
    container::HealthWatcher::Sink sink;
    std::mutex mutex;
    std::map<std::string, container::RestartPolicy> watched;
    bool closed = false;
};

class MemoryHost::Watcher final : public container::HealthWatcher {
  public:
    Watcher(MemoryHost& host, std::shared_ptr<HealthWatch> watch)
        : host_(host), watch_(std::move(watch)) {}
    ~Watcher() override {
        std::lock_guard lock(watch_->mutex);
        watch_->closed = true;  // no event after this returns
    }
    void watch(const std::string& name, container::RestartPolicy policy) override {
        auto inst = host_.inspect_function(watch_->kind, name);
        if (inst.state != container::State::Running) {
            throw RuntimeError("cannot watch " + name + ": it is " +
                               std::string(container::to_string(inst.state)));
        }
        std::lock_guard lock(watch_->mutex);
        watch_->watched[name] = policy;
    }
    void unwatch(const std::string& name) override {
        std::lock_guard lock(watch_->mutex);
        watch_->watched.erase(name);
    }

  private:
    MemoryHost& host_;
    std::shared_ptr<HealthWatch> watch_;
};

std::unique_ptr<container::HealthWatcher> MemoryHost::watch_health(
    const std::string& kind, container::HealthWatcher::Sink sink) {
    auto watch = std::make_shared<HealthWatch>();
    watch->kind = kind;
    watch->sink = std::move(sink);
    std::lock_guard lock(mutex_);
    std::erase_if(watches_, [](const auto& w) { return w.expired(); });
    watches_.push_back(watch);
    return std::make_unique<Watcher>(*this, std::move(watch));
}

namespace {

int64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

void MemoryHost::exit_function(const std::string& instance, int exit_code) {
    std::vector<std::shared_ptr<HealthWatch>> watches;
    container::Instance ended;
    {
        std::lock_guard lock(mutex_);
        auto it = instances_.find(instance);
        if (it == instances_.end() || it->second.state != container::State::Running)
            throw RuntimeError("instance " + instance + " is not running on " + name_);
        it->second.state = container::State::Exited;
        it->second.exit_code = exit_code;
        ended = it->second;
        for (const auto& w : watches_) {
            if (auto watch = w.lock())
                watches.push_back(std::move(watch));
        }
    }
    // The host's lock is not held while a sink runs (a sink may call the host).
    for (const auto& watch : watches) {
        std::lock_guard lock(watch->mutex);
        auto it = watch->watched.find(instance);
        if (watch->closed || it == watch->watched.end())
            continue;
        container::HealthEvent exited;
        exited.type = "exited";
        exited.name = instance;
        exited.backend = watch->kind;
        exited.id = ended.id;
        exited.exit_code = exit_code;
        exited.time_ns = realtime_ns();
        watch->sink(exited);
        if (it->second != container::RestartPolicy::OnFailure || exit_code == 0)
            continue;
        container::HealthEvent restarted = exited;
        restarted.type = "restarted";
        restarted.exit_code = -1;
        {
            std::lock_guard host_lock(mutex_);
            auto inst = instances_.find(instance);
            if (inst == instances_.end())
                continue;
            inst->second.state = container::State::Running;
            inst->second.exit_code = -1;
            inst->second.id = watch->kind + ":" + instance + "#" + std::to_string(next_start_++);
            restarted.id = inst->second.id;
        }
        restarted.time_ns = realtime_ns();
        watch->sink(restarted);
    }
}

std::set<std::string> MemoryHost::function_netns() const {
    std::lock_guard lock(mutex_);
    return netns_;
}

std::vector<Neighbour> MemoryHost::neighbours() const {
    std::lock_guard lock(mutex_);
    return neighbours_;
}

std::vector<FunctionPort> MemoryHost::function_ports(const std::string& netns) const {
    std::lock_guard lock(mutex_);
    std::vector<FunctionPort> out;
    for (bool alternate : {false, true}) {
        if (auto it = ports_.find({netns, alternate}); it != ports_.end())
            out.push_back(it->second);
    }
    return out;
}

std::set<std::string> MemoryHost::running() const {
    std::lock_guard lock(mutex_);
    std::set<std::string> out;
    for (const auto& [name, inst] : instances_) {
        if (inst.state == container::State::Running)
            out.insert(name);
    }
    return out;
}

}  // namespace chima::device
