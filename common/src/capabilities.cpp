#include "chima/capabilities.hpp"

#include <algorithm>
#include <cctype>

namespace chima {

// The numbers are the index (linux/capability.h, up to CAP_CHECKPOINT_RESTORE = 40).
const std::vector<std::string>& capability_names() {
    static const std::vector<std::string> names{"CHOWN",
                                                "DAC_OVERRIDE",
                                                "DAC_READ_SEARCH",
                                                "FOWNER",
                                                "FSETID",
                                                "KILL",
                                                "SETGID",
                                                "SETUID",
                                                "SETPCAP",
                                                "LINUX_IMMUTABLE",
                                                "NET_BIND_SERVICE",
                                                "NET_BROADCAST",
                                                "NET_ADMIN",
                                                "NET_RAW",
                                                "IPC_LOCK",
                                                "IPC_OWNER",
                                                "SYS_MODULE",
                                                "SYS_RAWIO",
                                                "SYS_CHROOT",
                                                "SYS_PTRACE",
                                                "SYS_PACCT",
                                                "SYS_ADMIN",
                                                "SYS_BOOT",
                                                "SYS_NICE",
                                                "SYS_RESOURCE",
                                                "SYS_TIME",
                                                "SYS_TTY_CONFIG",
                                                "MKNOD",
                                                "LEASE",
                                                "AUDIT_WRITE",
                                                "AUDIT_CONTROL",
                                                "SETFCAP",
                                                "MAC_OVERRIDE",
                                                "MAC_ADMIN",
                                                "SYSLOG",
                                                "WAKE_ALARM",
                                                "BLOCK_SUSPEND",
                                                "AUDIT_READ",
                                                "PERFMON",
                                                "BPF",
                                                "CHECKPOINT_RESTORE"};
    return names;
}

std::optional<int> capability_number(std::string_view name) {
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper.rfind("CAP_", 0) == 0)
        upper.erase(0, 4);
    const auto& names = capability_names();
    auto it = std::find(names.begin(), names.end(), upper);
    if (it == names.end())
        return std::nullopt;
    return static_cast<int>(it - names.begin());
}

std::string capability_name(int number) {
    const auto& names = capability_names();
    if (number < 0 || static_cast<size_t>(number) >= names.size())
        return "CAP_" + std::to_string(number);
    return names[static_cast<size_t>(number)];
}

}  // namespace chima
