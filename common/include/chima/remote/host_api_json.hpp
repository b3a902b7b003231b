// The JSON of the host API (man chima-agent(8), HOST API), one function pair per type, so
// that the server and an HTTP HostDevice client read and write the same documents. Each
// reader takes a chima::JsonReader (chima/model/json_reader.hpp) and validates everything:
// an InputError names the JSON pointer of the offending value ("at /labels/2: ...").
//
//   LabelStack     [262147, 524290]               (the 20-bit labels, top of stack first)
//   Neighbour      {"ip": "10.0.0.2", "mac": "02:00:00:00:00:02"}
//   FunctionPort   {"netns", "function_id", "alternate", "mac", "ip", "neighbours": [...]}
//   ImageSpec      {"name", "context_dir"}
//   Image          {"ref", "id", "built"}
//   FunctionSpec   {"name", "image", "args", "env", "labels", "netns", "capabilities"}
//   Instance       {"name", "id", "image", "state", "pid", "exit_code", "labels"}
//   HealthEvent    container::to_json (chima/container/health.hpp), one per line
//   ApiError       {"error": "...", "field": "/json/pointer" | "path or query parameter"}
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chima/container/backend.hpp"
#include "chima/container/health.hpp"
#include "chima/device/host_device.hpp"
#include "chima/error.hpp"
#include "chima/label_stack.hpp"
#include "chima/model/json_reader.hpp"

namespace chima::remote {

// The readers of request bodies refuse members they do not know (a misspelt optional member
// would otherwise be ignored silently); the readers of answers accept them (a newer agent).
void reject_unknown_members(const JsonReader& object, std::initializer_list<const char*> known);

nlohmann::json to_json(const LabelStack& stack);
LabelStack label_stack_from_json(const JsonReader& labels);

nlohmann::json to_json(const device::Neighbour& neighbour);
device::Neighbour neighbour_from_json(const JsonReader& object);
std::vector<device::Neighbour> neighbours_from_json(const JsonReader& array);

nlohmann::json to_json(const device::FunctionPort& port);
device::FunctionPort function_port_from_json(const JsonReader& object);

nlohmann::json to_json(const container::ImageSpec& image);
container::ImageSpec image_spec_from_json(const JsonReader& object);

nlohmann::json to_json(const container::Image& image);
container::Image image_from_json(const JsonReader& object);

nlohmann::json to_json(const container::FunctionSpec& spec);
container::FunctionSpec function_spec_from_json(const JsonReader& object);

nlohmann::json to_json(const container::Instance& instance);
container::Instance instance_from_json(const JsonReader& object);
std::vector<container::Instance> instances_from_json(const JsonReader& array);

// container::to_json(HealthEvent) writes the events; this reads one back (detect_ms, a
// number of milliseconds, becomes detect_ns).
container::HealthEvent health_event_from_json(const JsonReader& object);

// "running" | "exited" | "missing" (container::to_string(State)); nullopt otherwise.
std::optional<container::State> parse_state(const std::string& text);

// The body of every error answer. `field` names what is wrong: a JSON pointer into the
// request body ("/labels/2"), or a path or query parameter ("netns", "port"); empty when
// the request as a whole is.
struct ApiError {
    std::string error;
    std::string field;
};
nlohmann::json to_json(const ApiError& error);
ApiError api_error_from_json(const nlohmann::json& body);
// An InputError of a JsonReader ("at /labels/2: label 7 ...") as an ApiError (field
// "/labels/2", error "label 7 ...").
ApiError api_error_from(const InputError& error);

// The header of an event stream's answer that names the stream, for adding and removing
// watches while it runs (PUT/DELETE /v1/events/{stream}/watches/{instance}).
inline constexpr const char* kEventStreamHeader = "X-Chima-Stream";

}  // namespace chima::remote
