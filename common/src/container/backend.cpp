#include "chima/container/backend.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "backends.hpp"
#include "chima/content_hash.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"

namespace chima::container {

std::string_view to_string(RestartPolicy policy) {
    return policy == RestartPolicy::Never ? "never" : "on-failure";
}

std::optional<RestartPolicy> parse_restart_policy(std::string_view text) {
    if (text == "never")
        return RestartPolicy::Never;
    if (text == "on-failure")
        return RestartPolicy::OnFailure;
    return std::nullopt;
}

std::string_view to_string(State state) {
    switch (state) {
        case State::Running:
            return "running";
        case State::Exited:
            return "exited";
        default:
            return "missing";
    }
}

std::string detect_backend() {
    if (process::find_program("podman"))
        return "podman";
    if (process::find_program("docker") && detail::docker_engine_answers())
        return "docker";
    return "process";
}

std::unique_ptr<Backend> make_backend(std::string_view kind, const BackendOptions& options) {
    std::string chosen = kind == "auto" ? detect_backend() : std::string(kind);
    if (chosen == "podman")
        return detail::make_podman(options);
    if (chosen == "docker")
        return detail::make_docker(options);
    if (chosen == "process")
        return detail::make_process(options);
    throw InputError("unknown container backend '" + std::string(kind) + "'",
                     "use podman, docker, process or auto");
}

std::string image_ref(const ImageSpec& image) {
    return "chima/" + image.name + ":" + hash_build_context(image.context_dir);
}

std::string hash_build_context(const std::string& context_dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(context_dir)) {
        throw InputError("build context " + context_dir + " is not a directory");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(context_dir)) {
        if (entry.is_regular_file())
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    // A cache key for our own build contexts, not a security boundary.
    uint64_t h = kFnv1aOffset;
    auto mix = [&h](const char* data, size_t n) { h = fnv1a(std::string_view(data, n), h); };
    for (const auto& file : files) {
        std::string rel = fs::relative(file, context_dir).string();
        mix(rel.c_str(), rel.size() + 1);
        auto perms = static_cast<uint32_t>(fs::status(file).permissions());
        mix(reinterpret_cast<const char*>(&perms), sizeof perms);
        // One read of the whole file: a static function binary is megabytes, and this runs
        // before every container start.
        std::ifstream in(file, std::ios::binary);
        std::string bytes(fs::file_size(file), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<size_t>(in.gcount()));
        uint64_t size = bytes.size();
        mix(reinterpret_cast<const char*>(&size), sizeof size);
        mix(bytes.data(), bytes.size());
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

std::string write_containers_conf(const std::string& dir) {
    std::filesystem::create_directories(dir);
    std::string path = dir + "/containers.conf";
    write_file_atomic(path,
                      "# Written by chima: podman settings for this project (CONTAINERS_CONF).\n"
                      "# crun cannot run here and raising RLIMIT_NOFILE is not permitted.\n"
                      "[containers]\n"
                      "default_ulimits = []\n"
                      "\n"
                      "[engine]\n"
                      "runtime = \"runc\"\n");
    return path;
}

}  // namespace chima::container
