// Private to common/src/container: the backend constructors behind make_backend.
#pragma once

#include <memory>

#include "chima/container/backend.hpp"

namespace chima::container::detail {

// The OCI command-line backends; `program` is "podman" or "docker".
std::unique_ptr<Backend> make_podman(const BackendOptions& options);
std::unique_ptr<Backend> make_docker(const BackendOptions& options);
std::unique_ptr<Backend> make_process(const BackendOptions& options);

// True when a Docker engine answers `docker version` (within a short timeout).
bool docker_engine_answers(std::string* why = nullptr);

}  // namespace chima::container::detail
