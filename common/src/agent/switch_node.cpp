#include "chima/agent/switch_node.hpp"

#include <net/if.h>

#include <charconv>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "chima/bpf/pin_dir.hpp"
#include "chima/error.hpp"
#include "chima/file_lock.hpp"
#include "chima/names.hpp"
#include "chima/net/link.hpp"
#include "chima/staged_file.hpp"
#include "chima/state_file.hpp"

namespace chima::agent {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStateFile = "switch-state.json";

// Interface names: what the kernel accepts (1..15 bytes, no '/', no whitespace, not . or ..).
bool valid_ifname(const std::string& n) {
    if (n.empty() || n.size() >= IFNAMSIZ || n == "." || n == "..")
        return false;
    for (char c : n)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
            return false;
    return true;
}

}  // namespace

const char* delivery_name(PortDelivery d) {
    return d == PortDelivery::Peer ? "peer" : "transmit";
}

std::vector<SwitchPort> parse_switch_ports(const std::string& text) {
    std::vector<SwitchPort> ports;
    std::set<uint32_t> numbers;
    std::set<std::string> names;
    std::stringstream in(text);
    std::string item;
    uint32_t next = 1;
    while (std::getline(in, item, ',')) {
        SwitchPort p;
        auto eq = item.find('=');
        if (eq != std::string::npos) {
            std::string num = item.substr(0, eq);
            unsigned v = 0;
            auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
            if (num.empty() || ec != std::errc() || end != num.data() + num.size() || v < 1 ||
                v >= CHIMA_MAX_PORTS)
                throw InputError("--ports: '" + item + "': the port number must be 1.." +
                                 std::to_string(CHIMA_MAX_PORTS - 1));
            p.number = v;
            p.ifname = item.substr(eq + 1);
        } else {
            p.number = next;
            p.ifname = item;
        }
        next = p.number + 1;
        if (!valid_ifname(p.ifname))
            throw InputError("--ports: '" + p.ifname + "' is not an interface name");
        if (!numbers.insert(p.number).second)
            throw InputError("--ports: port " + std::to_string(p.number) + " is given twice");
        if (!names.insert(p.ifname).second)
            throw InputError("--ports: interface " + p.ifname + " is given twice");
        if (p.number >= CHIMA_MAX_PORTS)
            throw InputError("--ports: too many ports (at most " +
                             std::to_string(CHIMA_MAX_PORTS - 1) + ")");
        ports.push_back(p);
    }
    if (ports.empty() || text.back() == ',')
        throw InputError("--ports: expected IF1,IF2,... or N=IF,...");
    return ports;
}

SwitchNode::SwitchNode(Options options) : options_(std::move(options)) {
    check_name(options_.name, "agent name");
    pin_dir_ = fs::path("/sys/fs/bpf/chima/agent") / options_.name / "switch";
    state_dir_ = fs::path(run_dir()) / "agent" / options_.name / "switch";
    // Every port is looked at before anything is made.
    for (const auto& p : options_.ports) {
        if (!net::link_exists("", p.ifname))
            throw RuntimeError("port " + std::to_string(p.number) + ": no interface " + p.ifname +
                               " in this namespace");
        net::LinkInfo link = net::link_info("", p.ifname);
        ports_.push_back({p, static_cast<uint32_t>(link.ifindex),
                          Mac::parse(link.mac).value_or(Mac{}),
                          link.kind == "veth" ? PortDelivery::Peer : PortDelivery::Transmit});
    }
    fs::create_directories(state_dir_);

    fs::path state_file = state_dir_ / kStateFile;
    bool pinned = fs::exists(pin_dir_);
    if (pinned && fs::exists(state_file)) {
        nlohmann::json kept = nlohmann::json::parse(read_file(state_file.string()), nullptr, false);
        bool same_ports =
            !kept.is_discarded() && kept.contains("ports") && kept["ports"] == status()["ports"];
        if (same_ports) {
            pipeline_.emplace(bpf::SwitchPipeline::open(pin_dir_));
            adopted_ = true;
            kept_state_ = kept.value("service", nlohmann::json::object());
            // The state is used once: a later crash must not adopt it again.
            fs::remove(state_file);
            spdlog::info("adopted the kept switch pipeline at {} ({} ports)", pin_dir_.string(),
                         ports_.size());
            return;
        }
        spdlog::warn("the kept state at {} is for other ports: starting afresh",
                     state_file.string());
    }
    if (pinned) {
        spdlog::warn("removing a switch pipeline left at {} (no kept state)", pin_dir_.string());
        bpf::SwitchPipeline::remove(pin_dir_);
    }
    fs::remove(state_file);
    fs::remove_all(state_dir_ / "objects");
    pipeline_.emplace(bpf::SwitchPipeline::create(pin_dir_));
    try {
        for (const auto& p : ports_) {
            pipeline_->set_port(p.port.number,
                                {.ifindex = p.ifindex,
                                 .own_mac = p.mac,
                                 .peer_mac = {},
                                 .rewrite_mac = false,
                                 .deliver_to_peer = p.delivery == PortDelivery::Peer});
        }
        for (const auto& p : ports_)
            pipeline_->attach(static_cast<int>(p.ifindex));
    } catch (...) {
        for (const auto& p : ports_)
            pipeline_->detach(static_cast<int>(p.ifindex));
        bpf::SwitchPipeline::remove(pin_dir_);
        throw;
    }
    spdlog::info("switch pipeline on {} ports, pinned at {}", ports_.size(), pin_dir_.string());
}

SwitchNode::~SwitchNode() {
    if (!released_) {
        try {
            release(false, {});
        } catch (const std::exception& e) {
            spdlog::error("releasing the switch pipeline: {}", e.what());
        }
    }
}

nlohmann::json SwitchNode::status() const {
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& p : ports_)
        ports.push_back({{"port", p.port.number},
                         {"interface", p.port.ifname},
                         {"ifindex", p.ifindex},
                         {"delivery", delivery_name(p.delivery)}});
    return {{"ports", ports}};
}

void SwitchNode::release(bool keep, const nlohmann::json& state) {
    released_ = true;
    if (keep) {
        nlohmann::json doc = status();
        doc["service"] = state;
        write_file_atomic((state_dir_ / kStateFile).string(), doc.dump() + "\n");
        spdlog::info("kept the switch pipeline forwarding at {}", pin_dir_.string());
        return;
    }
    for (const auto& p : ports_)
        pipeline_->detach(static_cast<int>(p.ifindex));
    bpf::SwitchPipeline::remove(pin_dir_);
    fs::remove_all(state_dir_);
    std::error_code ec;  // the node's directories, when no other role keeps them
    fs::remove(pin_dir_.parent_path(), ec);
    fs::remove(state_dir_.parent_path(), ec);
    spdlog::info("detached and removed the switch pipeline");
}

}  // namespace chima::agent
