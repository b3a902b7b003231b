#include "chima/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "chima/error.hpp"

namespace chima {

std::string run_dir() {
    if (const char* dir = std::getenv("CHIMA_RUN_DIR"); dir && *dir)
        return dir;
    return "/run/chima";
}

std::string network_run_dir(const std::string& net) {
    std::string dir = run_dir() + "/" + net;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw RuntimeError("cannot create " + dir + ": " + ec.message());
    return dir;
}

FileLock::FileLock(const std::string& path, const std::string& what) : path_(path) {
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_)
        throw_errno("cannot open the lock file " + path);
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0)
        return;
    if (errno != EWOULDBLOCK)
        throw_errno("cannot lock " + path);
    spdlog::info("waiting for another chima tool to finish changing {} ({})", what, path);
    while (::flock(fd_.get(), LOCK_EX) != 0) {
        if (errno != EINTR)
            throw_errno("cannot lock " + path);
    }
}

FileLock lock_network(const std::string& net) {
    return FileLock(network_run_dir(net) + "/lock", "network " + net);
}

}  // namespace chima
