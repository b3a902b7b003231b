// A named network namespace, visible to `ip netns` and to podman (`--network
// ns:/run/netns/NAME`) exactly like one made by `ip netns add`: a bind mount of the
// namespace on /run/netns/NAME, with /run/netns a shared mount so other mount namespaces
// (containers) see it too.
//
//   auto ns = NetNs::create("chima.demo.s0");   // owned: deleted when `ns` goes away
//   ns.run([] { /* this runs on a thread inside the namespace */ });
//   ns.release();                               // keep it after all
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace chima::net {

class NetNs {
  public:
    // Creates /run/netns/NAME holding a fresh namespace; throws RuntimeError if it exists.
    static NetNs create(const std::string& name);
    // Names the calling process's own namespace NAME (what `ip netns attach NAME $$` does),
    // so that tools which address namespaces by name reach it. Owned: the name (only the
    // name: the namespace lives on with this process) goes when the object does. When NAME
    // already names this very namespace (a restarted process) it is adopted as it is;
    // RuntimeError when it names another one.
    static NetNs name_current(const std::string& name);
    // Opens an existing named namespace (not owned: never deleted by this object).
    static NetNs open(const std::string& name);
    static bool exists(const std::string& name);
    // Names under /run/netns starting with `prefix`, sorted.
    static std::vector<std::string> list(const std::string& prefix);
    // Unmounts and removes /run/netns/NAME; the namespace dies with its last user (its
    // interfaces are deleted, veth peers elsewhere with them). Returns false if absent.
    static bool remove(const std::string& name);

    NetNs(NetNs&& other) noexcept;
    NetNs& operator=(NetNs&& other) noexcept;
    NetNs(const NetNs&) = delete;
    NetNs& operator=(const NetNs&) = delete;
    ~NetNs();

    const std::string& name() const { return name_; }
    std::string path() const;
    int fd() const { return fd_; }
    // Inode of the namespace: equal to that of /proc/PID/ns/net for processes inside it.
    unsigned long inode() const;
    bool owned() const { return owned_; }

    // Runs fn on a dedicated thread that has entered this namespace, waits, and rethrows
    // what fn threw. Sockets and netlink opened inside stay bound to the namespace.
    void run(const std::function<void()>& fn) const;

    // Keep the namespace when this object is destroyed.
    void release() { owned_ = false; }

  private:
    NetNs(std::string name, int fd, bool owned) : name_(std::move(name)), fd_(fd), owned_(owned) {}
    void reset() noexcept;

    std::string name_;
    int fd_ = -1;
    bool owned_ = false;
};

}  // namespace chima::net
