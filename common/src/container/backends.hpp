// Private to common/src/container: the backend constructors behind make_backend.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "chima/container/backend.hpp"

namespace chima::container::detail {

// The OCI command-line backends; `program` is "podman" or "docker".
std::unique_ptr<Backend> make_podman(const BackendOptions& options);
std::unique_ptr<Backend> make_docker(const BackendOptions& options);
std::unique_ptr<Backend> make_process(const BackendOptions& options);

// The podman API (libpod, version 4) under the service's socket.
inline constexpr const char* kLibpodApi = "/v4.0.0/libpod";

// Labels of a container document ("Labels", or "Config"."Labels" of an inspect): strings only.
std::map<std::string, std::string> labels_of(const nlohmann::json& labels);

// podman through its API service at options.podman_socket (PodmanService); `builder` (the
// command-line podman backend) builds the images the service does not have.
std::unique_ptr<Backend> make_podman_api(const BackendOptions& options,
                                         std::unique_ptr<Backend> builder);

// One container of `podman container inspect` (the API's inspect has the same shape) or of
// `docker inspect`.
Instance instance_from_inspect(const nlohmann::json& container);

// True when a Docker engine answers `docker version` (within a short timeout).
bool docker_engine_answers(std::string* why = nullptr);

}  // namespace chima::container::detail
