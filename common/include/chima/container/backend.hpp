// Where container functions run: one interface, three backends.
//   podman  (default when installed): OCI containers joining the function's netns, through
//           one podman process per call or through a podman API service (PodmanService)
//   docker  (when a Docker engine answers): detection and a clear error for netns joins
//   process (fallback): the function's binary as a supervised process in its netns
// Every command is run from an argv vector (chima/process/child_process.hpp).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chima::container {

// Labels that mark what we started; `list` finds ours by them.
inline constexpr const char* kManagedLabel = "chima.managed";
inline constexpr const char* kFunctionLabel = "chima.function";

enum class RestartPolicy { Never, OnFailure };
std::string_view to_string(RestartPolicy policy);
// "never" | "on-failure"; nullopt otherwise.
std::optional<RestartPolicy> parse_restart_policy(std::string_view text);

enum class State { Running, Exited, Missing };
std::string_view to_string(State state);

// A function image: the build context holds a Containerfile (COPYing the function's static
// binary). The process backend runs <context_dir>/<name> directly.
struct ImageSpec {
    std::string name;         // function name: echo, toupper, ...
    std::string context_dir;  // directory with Containerfile + binary
};

struct Image {
    std::string ref;     // what FunctionSpec::image takes: "chima/echo:<hash>" or a binary path
    std::string id;      // image id (podman/docker) or the context hash (process)
    bool built = false;  // built now (false: found in the cache)
};

struct FunctionSpec {
    std::string name;               // unique instance name, e.g. "<chain>-<function>"
    std::string image;              // Image::ref
    std::vector<std::string> args;  // arguments after the image's entrypoint / the binary
    std::map<std::string, std::string> env;
    std::map<std::string, std::string> labels;  // kManagedLabel/kFunctionLabel are added
    std::string netns;  // name under /run/netns to join; empty: the host's namespace
    // Least privilege, on every backend: all capabilities dropped but these (canonical
    // names, "NET_RAW"), no new privileges, and (OCI backends) a read-only root filesystem.
    std::vector<std::string> capabilities;
};

struct Instance {
    std::string name;
    std::string id;  // container id, or "pid:<pid>" for the process backend
    std::string image;
    State state = State::Missing;
    pid_t pid = 0;       // the function's process in our pid namespace (0 when not running)
    int exit_code = -1;  // when exited; -1 when unknown
    std::map<std::string, std::string> labels;
};

class Backend {
  public:
    virtual ~Backend() = default;
    virtual std::string_view kind() const = 0;

    // Builds the image when no image of the context's content hash exists (cached).
    virtual Image ensure_image(const ImageSpec& image) = 0;
    // Starts a new instance (replacing an old one of the same name).
    virtual Instance run(const FunctionSpec& spec) = 0;
    // Starts an exited instance again, with the spec it was created with.
    virtual Instance start(const std::string& name) = 0;
    // Stops (SIGTERM, then SIGKILL after a short grace) and removes; a missing one is fine.
    virtual void remove(const std::string& name) = 0;
    // Instances carrying label key=value (all of ours when value is empty: key present).
    virtual std::vector<Instance> list(const std::string& label_key,
                                       const std::string& label_value = {}) = 0;
    virtual Instance inspect(const std::string& name) = 0;
};

struct BackendOptions {
    // Backend state: the podman containers.conf, the process backend's records and logs.
    std::string state_dir = "/run/chima/containers";
    // podman only: talk to the API service on this socket (PodmanService) instead of
    // running one podman process per call. Same containers, same storage: either way
    // manages what the other started.
    std::string podman_socket;
};

// The backend kinds a tool's --backend accepts (make_backend's `kind`).
inline const std::vector<std::string>& backend_kinds() {
    static const std::vector<std::string> kinds{"podman", "docker", "process", "auto"};
    return kinds;
}

// "podman" | "docker" | "process" | "auto" (podman when installed, docker when an engine
// answers, else process). InputError for an unknown kind, RuntimeError when the chosen
// backend cannot work here (says why).
std::unique_ptr<Backend> make_backend(std::string_view kind, const BackendOptions& options = {});
// What "auto" picks on this machine.
std::string detect_backend();

// "chima/<name>:<hash_build_context>": the tag the OCI backends give a function's image.
std::string image_ref(const ImageSpec& image);

// The content hash of a build context (relative paths, modes and bytes of every file):
// 16 hex digits, the image tag.
std::string hash_build_context(const std::string& context_dir);

// Writes the project's podman settings to <dir>/containers.conf and returns the path. On this
// project's machines crun cannot run and raising RLIMIT_NOFILE is not permitted.
std::string write_containers_conf(const std::string& dir);

}  // namespace chima::container
