#include "chima/file_change.hpp"

#include <utility>

namespace chima {

FileChange::FileChange(std::string path) : path_(std::move(path)), last_(stamp()) {}

FileChange::Stamp FileChange::stamp() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0)
        return {};
    return {true, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

bool FileChange::changed() {
    Stamp now = stamp();
    if (now == last_)
        return false;
    last_ = now;
    return true;
}

}  // namespace chima
