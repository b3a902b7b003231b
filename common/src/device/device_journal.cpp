#include "chima/device/memory_devices.hpp"

#include <algorithm>

#include "chima/error.hpp"

namespace chima::device {

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

// "s0 load" matches entries of s0 starting so; "* load" those of any device.
bool matches(const std::string& entry, const std::string& pattern) {
    if (!starts_with(pattern, "* "))
        return starts_with(entry, pattern);
    auto space = entry.find(' ');
    return space != std::string::npos &&
           entry.compare(space + 1, pattern.size() - 2, pattern, 2) == 0;
}

}  // namespace

void DeviceJournal::record(const std::string& entry) {
    std::lock_guard lock(mutex_);
    if (crashed_)
        throw SimulatedCrash{entry};
    if (!crash_pattern_.empty() && matches(entry, crash_pattern_)) {
        crashed_ = true;
        crash_pattern_.clear();
        entries_.push_back(entry + " [crash]");
        throw SimulatedCrash{entry};
    }
    auto failing = std::find_if(failures_.begin(), failures_.end(),
                                [&](const std::string& p) { return matches(entry, p); });
    if (failing != failures_.end()) {
        failures_.erase(failing);
        entries_.push_back(entry + " [failed]");
        throw RuntimeError("injected failure: " + entry);
    }
    entries_.push_back(entry);
}

void DeviceJournal::fail_next(const std::string& prefix) {
    std::lock_guard lock(mutex_);
    failures_.push_back(prefix);
}

void DeviceJournal::crash_at(const std::string& pattern) {
    std::lock_guard lock(mutex_);
    crash_pattern_ = pattern;
}

void DeviceJournal::revive() {
    std::lock_guard lock(mutex_);
    crashed_ = false;
}

std::vector<std::string> DeviceJournal::entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

std::vector<std::string> DeviceJournal::matching(const std::string& prefix) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& e : entries_)
        if (matches(e, prefix))
            out.push_back(e);
    return out;
}

long DeviceJournal::index_of(const std::string& prefix) const {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < entries_.size(); ++i)
        if (matches(entries_[i], prefix))
            return static_cast<long>(i);
    return -1;
}

long DeviceJournal::last_index_of(const std::string& prefix) const {
    std::lock_guard lock(mutex_);
    for (size_t i = entries_.size(); i-- > 0;)
        if (matches(entries_[i], prefix))
            return static_cast<long>(i);
    return -1;
}

void DeviceJournal::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    failures_.clear();
}

std::unique_ptr<DeviceRegistry> memory_devices(DeviceJournal& journal) {
    return std::make_unique<DeviceRegistry>(
        [&journal](const std::string& node) -> std::unique_ptr<SwitchDevice> {
            return std::make_unique<MemorySwitch>(node, journal);
        },
        [&journal](const std::string& node) -> std::unique_ptr<HostDevice> {
            return std::make_unique<MemoryHost>(node, journal);
        });
}

}  // namespace chima::device
