#include "chima/net/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <thread>

#include "chima/error.hpp"
#include "chima/net/names.hpp"

namespace chima::net {
namespace {

std::string ns_path(const std::string& name) {
    return std::string(kNetnsDir) + "/" + name;
}

// Makes /run/netns a shared mount point (bind-mounting it on itself first if needed), so a
// namespace mounted here later also appears in mount namespaces cloned from ours.
void prepare_netns_dir() {
    if (::mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST)
        throw_errno("mkdir /run/netns");
    if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) == 0)
        return;
    if (errno != EINVAL)
        throw_errno("make /run/netns shared");
    if (::mount(kNetnsDir, kNetnsDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
        throw_errno("bind mount /run/netns");
    }
    if (::mount("", kNetnsDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
        throw_errno("make /run/netns shared");
    }
}

// Runs fn on a new thread (namespaces are per thread) and rethrows its exception here.
void on_thread(const std::function<void()>& fn) {
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure)
        std::rethrow_exception(failure);
}

}  // namespace

NetNs NetNs::create(const std::string& name) {
    prepare_netns_dir();
    const std::string path = ns_path(name);
    int marker = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (marker < 0) {
        if (errno == EEXIST)
            throw RuntimeError("network namespace " + name + " already exists");
        throw_errno("create " + path);
    }
    ::close(marker);
    try {
        on_thread([&] {
            if (::unshare(CLONE_NEWNET) != 0)
                throw_errno("unshare(CLONE_NEWNET)");
            if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
                throw_errno("bind mount " + path);
            }
        });
    } catch (...) {
        ::unlink(path.c_str());
        throw;
    }
    NetNs ns = open(name);
    ns.owned_ = true;
    return ns;
}

NetNs NetNs::name_current(const std::string& name) {
    struct stat self {};
    if (::stat("/proc/self/ns/net", &self) != 0)
        throw_errno("stat /proc/self/ns/net");
    if (exists(name)) {
        NetNs ns = open(name);
        if (ns.inode() != self.st_ino)
            throw RuntimeError("network namespace " + name + " exists and is not this one");
        ns.owned_ = true;
        return ns;
    }
    prepare_netns_dir();
    const std::string path = ns_path(name);
    int marker = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (marker < 0)
        throw_errno("create " + path);
    ::close(marker);
    if (::mount("/proc/self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
        int saved = errno;
        ::unlink(path.c_str());
        errno = saved;
        throw_errno("bind mount " + path);
    }
    NetNs ns = open(name);
    ns.owned_ = true;
    return ns;
}

NetNs NetNs::open(const std::string& name) {
    int fd = ::open(ns_path(name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw_errno("open network namespace " + name);
    return NetNs(name, fd, false);
}

bool NetNs::exists(const std::string& name) {
    struct stat st {};
    return ::stat(ns_path(name).c_str(), &st) == 0;
}

std::vector<std::string> NetNs::list(const std::string& prefix) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(kNetnsDir, ec)) {
        std::string n = entry.path().filename().string();
        if (n.rfind(prefix, 0) == 0)
            names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
}

bool NetNs::remove(const std::string& name) {
    const std::string path = ns_path(name);
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        throw_errno("unmount " + path);
    }
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT)
            return false;
        throw_errno("remove " + path);
    }
    return true;
}

NetNs::NetNs(NetNs&& other) noexcept
    : name_(std::move(other.name_)), fd_(other.fd_), owned_(other.owned_) {
    other.fd_ = -1;
    other.owned_ = false;
}

NetNs& NetNs::operator=(NetNs&& other) noexcept {
    if (this != &other) {
        reset();
        name_ = std::move(other.name_);
        fd_ = other.fd_;
        owned_ = other.owned_;
        other.fd_ = -1;
        other.owned_ = false;
    }
    return *this;
}

NetNs::~NetNs() {
    reset();
}

void NetNs::reset() noexcept {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (owned_) {
        try {
            remove(name_);
        } catch (...) {
            // Destructors must not throw; `chima-net down` finds leftovers by name.
        }
    }
    owned_ = false;
}

std::string NetNs::path() const {
    return ns_path(name_);
}

unsigned long NetNs::inode() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
        throw_errno("fstat " + path());
    return st.st_ino;
}

void NetNs::run(const std::function<void()>& fn) const {
    on_thread([&] {
        if (::setns(fd_, CLONE_NEWNET) != 0)
            throw_errno("enter network namespace " + name_);
        fn();
    });
}

}  // namespace chima::net
