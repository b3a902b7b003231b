#include "chima/bpf/pin_dir.hpp"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/vfs.h>

#include <cerrno>
#include <system_error>

#include "chima/error.hpp"

namespace chima::bpf {
namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

bool on_bpffs(const std::filesystem::path& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == kBpfFsMagic;
}

}  // namespace

PinLock::PinLock(const std::filesystem::path& dir) {
    fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_)
        throw_errno("cannot open pin directory " + dir.string());
    while (::flock(fd_.get(), LOCK_EX) != 0) {
        if (errno != EINTR)
            throw_errno("cannot lock pin directory " + dir.string());
    }
}

void make_pin_dir(const std::filesystem::path& dir) {
    std::filesystem::path existing = dir;
    while (!existing.empty() && !std::filesystem::exists(existing))
        existing = existing.parent_path();
    if (existing.empty() || !on_bpffs(existing)) {
        throw RuntimeError("pin directory " + dir.string() + " is not on a BPF filesystem",
                           "mount it: mount -t bpf bpf /sys/fs/bpf");
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw RuntimeError("cannot create pin directory " + dir.string() + ": " + ec.message());
}

void pin_object(int fd, const std::filesystem::path& path) {
    if (bpf_obj_pin(fd, path.c_str()) != 0)
        throw_errno("cannot pin " + path.string());
}

UniqueFd open_pinned(const std::filesystem::path& path) {
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0)
        throw_errno("cannot open pinned object " + path.string());
    return UniqueFd(fd);
}

void remove_pin_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec)
        throw RuntimeError("cannot remove pin directory " + dir.string() + ": " + ec.message());
}

}  // namespace chima::bpf
