#include "chima/net/ip_batch.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "chima/error.hpp"
#include "chima/process/child_process.hpp"

namespace chima::net {

namespace {

// A batch file for ip, removed when this goes away.
class BatchFile {
  public:
    explicit BatchFile(const std::string& text) {
        char name[] = "/tmp/chima-neigh-XXXXXX";
        int fd = ::mkstemp(name);
        if (fd < 0)
            throw_errno("mkstemp /tmp/chima-neigh-XXXXXX");
        path_ = name;
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(fd, text.data() + done, text.size() - done);
            if (n < 0) {
                int saved = errno;
                ::close(fd);
                ::unlink(path_.c_str());
                errno = saved;
                throw_errno("write " + path_);
            }
            done += static_cast<size_t>(n);
        }
        ::close(fd);
    }
    ~BatchFile() { ::unlink(path_.c_str()); }
    BatchFile(const BatchFile&) = delete;
    BatchFile& operator=(const BatchFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace

void run_ip_batch(const std::string& netns, const std::vector<std::string>& commands) {
    if (commands.empty())
        return;
    std::string text;
    for (const auto& c : commands)
        text += c + "\n";
    BatchFile batch(text);
    process::run_checked({"ip", "-n", netns, "-batch", batch.path()});
}

void add_neighbours(const std::string& netns, const std::string& dev,
                    const std::vector<Neighbour>& entries) {
    std::vector<std::string> commands;
    for (const auto& e : entries)
        commands.push_back("neigh replace " + e.ip + " lladdr " + e.mac + " dev " + dev +
                           " nud permanent");
    run_ip_batch(netns, commands);
}

}  // namespace chima::net
