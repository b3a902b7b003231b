#include "chima/relocate/staged_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "chima/error.hpp"

namespace chima::relocate {

namespace fs = std::filesystem;

namespace {

fs::path directory_of(const std::string& path) {
    fs::path p(path);
    return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

}  // namespace

StagedFile::StagedFile(std::string path, const std::string& content) : path_(std::move(path)) {
    fs::path target(path_);
    temp_ = (directory_of(path_) / ("." + target.filename().string() + ".tmpXXXXXX")).string();
    int fd = ::mkstemp(temp_.data());
    if (fd < 0)
        throw_errno("cannot create a temporary file for " + path_);
    auto fail = [&](const std::string& what) {
        int saved = errno;
        ::close(fd);
        ::unlink(temp_.c_str());
        errno = saved;
        throw_errno(what);
    };
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("cannot write " + temp_);
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0)
        fail("cannot chmod " + temp_);
    if (::fsync(fd) != 0)
        fail("cannot fsync " + temp_);
    ::close(fd);
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)), temp_(std::move(other.temp_)), published_(other.published_) {
    other.published_ = true;  // the moved-from object owns nothing
}

StagedFile::~StagedFile() {
    if (!published_)
        ::unlink(temp_.c_str());
}

void publish(std::vector<StagedFile>& files) {
    std::set<fs::path> dirs;
    for (auto& f : files) {
        if (::rename(f.temp_.c_str(), f.path_.c_str()) != 0)
            throw_errno("cannot rename " + f.temp_ + " to " + f.path_);
        f.published_ = true;
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

}  // namespace chima::relocate
