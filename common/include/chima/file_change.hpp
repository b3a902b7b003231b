// Notices that a file was replaced or rewritten (a new inode, size or modification time):
// long-running tools (chima-watch, chima-collect) follow the deployment file chima-relocate
// replaces atomically.
#pragma once

#include <sys/stat.h>

#include <string>

namespace chima {

class FileChange {
  public:
    // Remembers the file as it is now (a missing file counts as a state too).
    explicit FileChange(std::string path);
    // True once per change since the last call (or construction).
    bool changed();
    const std::string& path() const { return path_; }

  private:
    struct Stamp {
        bool exists = false;
        ino_t inode = 0;
        off_t size = 0;
        long mtime_sec = 0, mtime_nsec = 0;
        bool operator==(const Stamp&) const = default;
    };
    Stamp stamp() const;

    std::string path_;
    Stamp last_;
};

}  // namespace chima
