// A state file written and fsynced ahead of time, published later by one rename: the
// expensive part of an atomic write (the data reaching the disk) happens before the moment
// that needs the file, the cheap part (making it visible, atomically) at that moment.
#pragma once

#include <string>
#include <vector>

namespace chima::relocate {

class StagedFile {
  public:
    // Writes `content` to a temporary file beside `path` (mode 0644) and fsyncs it.
    StagedFile(std::string path, const std::string& content);
    ~StagedFile();  // removes the temporary file unless published
    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&&) = delete;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;

    const std::string& path() const { return path_; }

  private:
    friend void publish(std::vector<StagedFile>& files);
    std::string path_, temp_;
    bool published_ = false;
};

// Renames every staged file over its path (each atomically), then fsyncs each directory
// involved once, so the new names are durable too.
void publish(std::vector<StagedFile>& files);

}  // namespace chima::relocate
