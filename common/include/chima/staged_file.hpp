// A state file written and fsynced ahead of time, published later by one rename: the
// expensive part of an atomic write (the data reaching the disk) happens before the moment
// that needs the file, the cheap part (making it visible, atomically) at that moment.
// write_file_atomic (state_file.hpp) is one StagedFile published at once.
//
// The temporary file is ".<name>.tmpXXXXXX" beside the target, held under an exclusive
// flock(2) for as long as it is open. A process killed between writing and renaming leaves
// it behind unlocked (the kernel drops the lock with the process); the next StagedFile of the
// same path removes such leftovers, and never a temporary file a live writer still holds.
#pragma once

#include <string>
#include <vector>

namespace chima {

class StagedFile {
  public:
    // Removes the unlocked leftovers of earlier writes to `path`, then writes `content` to a
    // new temporary file beside it (mode 0644) and fsyncs it. RuntimeError when it cannot.
    StagedFile(std::string path, const std::string& content);
    ~StagedFile();  // removes the temporary file unless published
    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&&) = delete;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;

    const std::string& path() const { return path_; }
    // The temporary file (until published), for a record of a write in progress.
    const std::string& temp() const { return temp_; }

  private:
    friend void publish(std::vector<StagedFile>& files);
    std::string path_, temp_;
    int fd_ = -1;  // open and locked until published or destroyed
    bool published_ = false;
};

// Renames every staged file over its path (each atomically), then fsyncs each directory
// involved once, so the new names are durable too.
void publish(std::vector<StagedFile>& files);

// Removes the temporary files of interrupted writes to `path` (".<name>.tmpXXXXXX" beside it
// that no process holds locked). Returns how many went.
size_t remove_stale_temps(const std::string& path);

}  // namespace chima
