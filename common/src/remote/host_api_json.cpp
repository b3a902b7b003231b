#include "chima/remote/host_api_json.hpp"

#include <cmath>

#include "chima/capabilities.hpp"
#include "chima/error.hpp"
#include "chima/names.hpp"

namespace chima::remote {

using nlohmann::json;

namespace {

// A string reaching argv, an environment or a label: a NUL would cut it short there.
std::string plain_string(const JsonReader& r, size_t max_length) {
    std::string s = r.str();
    if (s.find('\0') != std::string::npos)
        r.fail("a NUL character is not allowed");
    if (s.size() > max_length)
        r.fail("longer than " + std::to_string(max_length) + " characters");
    return s;
}

// An optional member: `read` runs only when it is present.
template <typename Read>
void optional_member(const JsonReader& object, const char* key, Read read) {
    if (object.has(key))
        read(object.at(key));
}

// Container label keys ("chima.function", "org.opencontainers.image.title"): what every
// engine accepts, so that nothing we pass on is refused there.
std::string label_key_problem(const std::string& key) {
    if (key.empty() || key.size() > 128)
        return "a label key is 1..128 characters";
    for (char c : key) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == '/';
        if (!ok)
            return "a label key holds only [A-Za-z0-9._/-]";
    }
    return {};
}

std::map<std::string, std::string> labels_from_json(const JsonReader& object) {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : object.members()) {
        if (auto problem = label_key_problem(key); !problem.empty())
            value.fail("label '" + key + "': " + problem);
        out[key] = plain_string(value, 1024);
    }
    return out;
}

}  // namespace

void reject_unknown_members(const JsonReader& object, std::initializer_list<const char*> known) {
    if (!object.raw().is_object())
        object.fail("expected an object");
    json unknown = unknown_members(object, known);
    if (!unknown.empty())
        object.at(unknown.begin().key()).fail("unknown member (a misspelt name?)");
}

json to_json(const LabelStack& stack) {
    json labels = json::array();
    for (const auto& sid : stack.segments())
        labels.push_back(sid.label());
    return labels;
}

LabelStack label_stack_from_json(const JsonReader& labels) {
    LabelStack stack;
    auto items = labels.items();
    if (items.size() > LabelStack::kMaxDepth)
        labels.fail("at most " + std::to_string(LabelStack::kMaxDepth) + " labels");
    for (const auto& item : items) {
        auto value = item.integer(0, (int64_t{1} << CHIMA_LABEL_BITS) - 1, "label");
        try {
            stack.push_back(SegmentId::decode(static_cast<uint32_t>(value)));
        } catch (const InputError& e) {
            item.fail(e.what());
        }
    }
    return stack;
}

json to_json(const device::Neighbour& n) {
    return {{"ip", n.ip.str()}, {"mac", n.mac.str()}};
}

device::Neighbour neighbour_from_json(const JsonReader& object) {
    reject_unknown_members(object, {"ip", "mac"});
    return {object.at("ip").ipv4(), object.at("mac").mac()};
}

std::vector<device::Neighbour> neighbours_from_json(const JsonReader& array) {
    std::vector<device::Neighbour> out;
    for (const auto& item : array.items())
        out.push_back(neighbour_from_json(item));
    return out;
}

json to_json(const device::FunctionPort& port) {
    json neighbours = json::array();
    for (const auto& n : port.neighbours)
        neighbours.push_back(to_json(n));
    return {{"netns", port.netns},         {"function_id", port.function_id},
            {"alternate", port.alternate}, {"mac", port.mac.str()},
            {"ip", port.ip.str()},         {"neighbours", neighbours}};
}

device::FunctionPort function_port_from_json(const JsonReader& object) {
    reject_unknown_members(object,
                           {"netns", "function_id", "alternate", "mac", "ip", "neighbours"});
    device::FunctionPort port;
    port.netns = object.at("netns").derived_name();
    port.function_id = object.at("function_id").uint32();
    optional_member(object, "alternate",
                    [&](const JsonReader& r) { port.alternate = r.boolean(); });
    port.mac = object.at("mac").mac();
    port.ip = object.at("ip").ipv4();
    optional_member(object, "neighbours",
                    [&](const JsonReader& r) { port.neighbours = neighbours_from_json(r); });
    return port;
}

json to_json(const container::ImageSpec& image) {
    return {{"name", image.name}, {"context_dir", image.context_dir}};
}

container::ImageSpec image_spec_from_json(const JsonReader& object) {
    reject_unknown_members(object, {"name", "context_dir"});
    container::ImageSpec image;
    image.name = object.at("name").name();
    JsonReader dir = object.at("context_dir");
    image.context_dir = plain_string(dir, 4096);
    if (image.context_dir.empty() || image.context_dir[0] != '/')
        dir.fail("expected an absolute path (a directory of the agent's host)");
    return image;
}

json to_json(const container::Image& image) {
    return {{"ref", image.ref}, {"id", image.id}, {"built", image.built}};
}

container::Image image_from_json(const JsonReader& object) {
    return {object.at("ref").str(), object.at("id").str(), object.at("built").boolean()};
}

json to_json(const container::FunctionSpec& spec) {
    return {{"name", spec.name},
            {"image", spec.image},
            {"args", spec.args},
            {"env", spec.env},
            {"labels", spec.labels},
            {"netns", spec.netns},
            {"capabilities", spec.capabilities}};
}

container::FunctionSpec function_spec_from_json(const JsonReader& object) {
    reject_unknown_members(object,
                           {"name", "image", "args", "env", "labels", "netns", "capabilities"});
    container::FunctionSpec spec;
    spec.name = object.at("name").derived_name();
    JsonReader image = object.at("image");
    spec.image = image.str();
    if (auto problem = image_ref_problem(spec.image); !problem.empty())
        image.fail("image '" + spec.image + "' is not valid: " + problem);
    optional_member(object, "args", [&](const JsonReader& r) {
        for (const auto& arg : r.items())
            spec.args.push_back(plain_string(arg, 4096));
    });
    optional_member(object, "env", [&](const JsonReader& r) {
        for (const auto& [key, value] : r.members()) {
            if (auto problem = env_name_problem(key); !problem.empty())
                value.fail("environment variable '" + key + "': " + problem);
            spec.env[key] = plain_string(value, 4096);
        }
    });
    optional_member(object, "labels",
                    [&](const JsonReader& r) { spec.labels = labels_from_json(r); });
    optional_member(object, "netns", [&](const JsonReader& r) {
        // Empty: the host's own namespace.
        if (!r.str().empty())
            spec.netns = r.derived_name();
    });
    optional_member(object, "capabilities",
                    [&](const JsonReader& r) { spec.capabilities = capability_list(r); });
    return spec;
}

std::optional<container::State> parse_state(const std::string& text) {
    for (auto state :
         {container::State::Running, container::State::Exited, container::State::Missing}) {
        if (text == container::to_string(state))
            return state;
    }
    return std::nullopt;
}

json to_json(const container::Instance& inst) {
    return {{"name", inst.name},    {"id", inst.id},
            {"image", inst.image},  {"state", std::string(container::to_string(inst.state))},
            {"pid", inst.pid},      {"exit_code", inst.exit_code},
            {"labels", inst.labels}};
}

container::Instance instance_from_json(const JsonReader& object) {
    container::Instance inst;
    inst.name = object.at("name").str();
    inst.id = object.at("id").str();
    inst.image = object.at("image").str();
    JsonReader state = object.at("state");
    auto parsed = parse_state(state.str());
    if (!parsed)
        state.fail("expected running, exited or missing");
    inst.state = *parsed;
    inst.pid = static_cast<pid_t>(object.at("pid").integer(0, INT32_MAX, "pid"));
    inst.exit_code = static_cast<int>(object.at("exit_code").integer(-1, 255, "exit code"));
    inst.labels = object.at("labels").string_map();
    return inst;
}

std::vector<container::Instance> instances_from_json(const JsonReader& array) {
    std::vector<container::Instance> out;
    for (const auto& item : array.items())
        out.push_back(instance_from_json(item));
    return out;
}

container::HealthEvent health_event_from_json(const JsonReader& object) {
    container::HealthEvent e;
    e.type = object.at("type").str();
    e.name = object.at("name").str();
    e.backend = object.at("backend").str();
    e.id = object.at("id").str();
    e.pid = static_cast<pid_t>(object.at("pid").integer(0, INT32_MAX, "pid"));
    e.time_ns = object.at("time_ns").integer();
    optional_member(object, "exit_code", [&](const JsonReader& r) {
        e.exit_code = static_cast<int>(r.integer(-1, 255, "exit code"));
    });
    optional_member(object, "detect_ms", [&](const JsonReader& r) {
        e.detect_ns = static_cast<int64_t>(std::llround(r.number() * 1e6));
    });
    optional_member(object, "message", [&](const JsonReader& r) { e.message = r.str(); });
    return e;
}

json to_json(const ApiError& error) {
    json j = {{"error", error.error}};
    if (!error.field.empty())
        j["field"] = error.field;
    return j;
}

ApiError api_error_from_json(const json& body) {
    ApiError error;
    if (body.is_object()) {
        if (auto it = body.find("error"); it != body.end() && it->is_string())
            error.error = it->get<std::string>();
        if (auto it = body.find("field"); it != body.end() && it->is_string())
            error.field = it->get<std::string>();
    }
    return error;
}

ApiError api_error_from(const InputError& error) {
    // JsonReader's messages: "at <pointer>: <what>" (no file: the body has no name).
    std::string text = error.what();
    if (text.rfind("at /", 0) == 0) {
        if (auto colon = text.find(": "); colon != std::string::npos)
            return {text.substr(colon + 2), text.substr(3, colon - 3)};
    }
    return {text, {}};
}

}  // namespace chima::remote
