#include "chima/staged_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include "chima/error.hpp"

namespace chima {

namespace fs = std::filesystem;

namespace {

fs::path directory_of(const std::string& path) {
    fs::path p(path);
    return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

// ".<name>.tmp" + mkstemp's six characters.
std::string temp_prefix(const std::string& path) {
    return "." + fs::path(path).filename().string() + ".tmp";
}

bool is_temp_of(const std::string& entry, const std::string& prefix) {
    return entry.size() == prefix.size() + 6 && entry.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

size_t remove_stale_temps(const std::string& path) {
    const std::string prefix = temp_prefix(path);
    std::error_code ec;
    fs::directory_iterator it(directory_of(path), ec);
    if (ec)
        return 0;  // the directory missing or unreadable: creating the temp file will say so
    size_t removed = 0;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (!is_temp_of(name, prefix))
            continue;
        int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
            continue;
        // Locked: a writer is alive and will rename or remove it itself.
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlink(entry.path().c_str()) == 0)
            ++removed;
        ::close(fd);
    }
    return removed;
}

StagedFile::StagedFile(std::string path, const std::string& content) : path_(std::move(path)) {
    remove_stale_temps(path_);
    temp_ = (directory_of(path_) / (temp_prefix(path_) + "XXXXXX")).string();
    fd_ = ::mkstemp(temp_.data());
    if (fd_ < 0)
        throw_errno("cannot create a temporary file for " + path_);
    auto fail = [&](const std::string& what) {
        int saved = errno;
        ::unlink(temp_.c_str());
        ::close(fd_);
        fd_ = -1;
        errno = saved;
        throw_errno(what);
    };
    // Before anything else: an unlocked temp file is a leftover to anyone cleaning up.
    if (::flock(fd_, LOCK_EX) != 0)
        fail("cannot lock " + temp_);
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("cannot write " + temp_);
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd_, 0644) != 0)
        fail("cannot chmod " + temp_);
    if (::fsync(fd_) != 0)
        fail("cannot fsync " + temp_);
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(other.fd_),
      published_(other.published_) {
    other.fd_ = -1;
    other.published_ = true;  // the moved-from object owns nothing
}

StagedFile::~StagedFile() {
    if (!published_)
        ::unlink(temp_.c_str());  // while still locked: nobody else removes it meanwhile
    if (fd_ >= 0)
        ::close(fd_);
}

void publish(std::vector<StagedFile>& files) {
    std::set<fs::path> dirs;
    for (auto& f : files) {
        if (::rename(f.temp_.c_str(), f.path_.c_str()) != 0)
            throw_errno("cannot rename " + f.temp_ + " to " + f.path_);
        f.published_ = true;
        ::close(f.fd_);
        f.fd_ = -1;
        dirs.insert(directory_of(f.path_));
    }
    for (const auto& d : dirs) {
        int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace chima
