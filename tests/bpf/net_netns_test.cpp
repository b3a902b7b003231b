// chima::net building blocks on the real kernel: named namespaces, the build transaction
// with Ctrl-C, cleanup by name after a "crash".
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <thread>

#include "chima/net/cleanup.hpp"
#include "chima/net/link.hpp"
#include "chima/net/names.hpp"
#include "chima/net/net_builder.hpp"
#include "chima/net/netns.hpp"
#include "chima/net/perturb.hpp"
#include "net_support.hpp"

using namespace chima::net;
using chima::test::sh;

namespace {
unsigned long self_netns_inode() {
    struct stat st {};
    ::stat("/proc/thread-self/ns/net", &st);
    return st.st_ino;
}
}  // namespace

TEST_CASE("net: a named namespace is visible to ip netns, runs code inside, goes away with RAII") {
    const std::string name = node_netns("t-ns", "n0");
    cleanup_network("t-ns");
    {
        NetNs ns = NetNs::create(name);
        CHECK(NetNs::exists(name));
        CHECK(sh("ip netns list").out.find(name) != std::string::npos);
        unsigned long inside = 0;
        ns.run([&] { inside = self_netns_inode(); });
        CHECK(inside == ns.inode());
        CHECK(inside != self_netns_inode());
        CHECK_THROWS_AS(NetNs::create(name), chima::RuntimeError);
        // ip sees the interfaces we make there; sysctls land in that namespace only.
        prepare_namespace(ns, true);
        CHECK(sh("ip netns exec " + name + " sysctl -n net.ipv4.ip_forward").out == "1\n");
        CHECK(sh("ip netns exec " + name + " sysctl -n net.ipv6.conf.all.disable_ipv6").out ==
              "1\n");
    }
    CHECK_FALSE(NetNs::exists(name));
    CHECK(sh("ip netns list").out.find(name) == std::string::npos);
}

TEST_CASE("net: a build interrupted by SIGINT leaves nothing behind") {
    cleanup_network("t-int");
    {
        InterruptGuard guard;
        bool interrupted = false;
        try {
            NetBuilder b("t-int", &guard);
            b.add_node("a", true);
            b.add_node("b", false);
            b.add_link({{"a", "p0"}, "02:00:00:00:01:01", {"b", "eth0"}, "02:00:00:00:01:02"});
            CHECK(NetNs::list(netns_prefix("t-int")).size() == 2);
            ::kill(::getpid(), SIGINT);  // blocked: pending until the next step checks
            CHECK(guard.pending());
            b.add_address("b", "eth0", "10.77.0.2/24");
            FAIL("the step after SIGINT must not run");
        } catch (const Interrupted& e) {
            interrupted = true;
            CHECK(e.signal_number() == SIGINT);
        }
        CHECK(interrupted);
    }
    CHECK(NetNs::list(netns_prefix("t-int")).empty());
    CHECK_FALSE(network_exists("t-int"));
}

TEST_CASE("net: builder refuses an existing network, failure rolls back") {
    cleanup_network("t-tx");
    {
        NetBuilder b("t-tx");
        b.add_node("a", false);
        CHECK_THROWS_AS(NetBuilder("t-tx"), chima::RuntimeError);
        // A link to a node that does not exist fails; the destructor rolls back.
        CHECK_THROWS(b.add_link({{"a", "p0"}, "", {"nope", "p0"}, ""}));
    }
    CHECK_FALSE(network_exists("t-tx"));
}

TEST_CASE("net: cleanup after a crash finds namespaces, delay-line daemons and pins by name") {
    cleanup_network("t-crash");
    {
        NetBuilder b("t-crash");
        b.add_node("a", true);
        b.add_node("b", true);
        b.add_link({{"a", "p0"}, "", {"b", "p0"}, ""});
        b.commit();
    }
    set_delay_line({"t-crash", {"a", "p0"}, {"b", "p0"}}, Impairment{std::chrono::milliseconds(5)});
    const std::string dl = delay_line_netns("t-crash", "b", "p0");
    auto pids = processes_in_netns(dl);
    REQUIRE(pids.size() == 1);
    sh("mkdir -p /sys/fs/bpf/chima/t-crash/a");
    // The tool "crashed": no state but the name.
    CleanupReport r = cleanup_network("t-crash");
    CHECK(r.netns_removed.size() == 3);
    CHECK(r.processes_killed == pids);
    CHECK(r.pins_removed);
    CHECK(::kill(pids[0], 0) != 0);
    CHECK_FALSE(network_exists("t-crash"));
    CHECK(sh("ip netns list").out.find("chima.t-crash.") == std::string::npos);
    CHECK(cleanup_network("t-crash").nothing_found());  // idempotent
}

TEST_CASE("net: SIGINT at any moment of a real build (another process) leaves nothing behind") {
    cleanup_network("t-sig");
    // The signal comes when the build has made that many namespaces (a point reached, not a
    // time guessed: a fast machine would finish a build before a fixed delay ran out).
    for (size_t after_namespaces : {1, 8, 30}) {
        pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            int code = 1;
            try {
                InterruptGuard guard;
                NetBuilder b("t-sig", &guard);
                for (int i = 0; i < 400; ++i) {  // far more than the signal lets it build
                    b.add_node("n" + std::to_string(i), true);
                    if (i > 0) {
                        b.add_link({{"n" + std::to_string(i - 1), "right"},
                                    "",
                                    {"n" + std::to_string(i), "left"},
                                    ""});
                    }
                }
                b.commit();
                code = 3;  // finished before the signal came
            } catch (const Interrupted& e) {
                code = e.exit_status();
            } catch (...) {
            }
            ::_exit(code);
        }
        int status = 0;
        bool exited_early = false;
        for (int i = 0; i < 60'000; ++i) {  // up to a minute on a slow machine
            if (NetNs::list(netns_prefix("t-sig")).size() >= after_namespaces)
                break;
            if (::waitpid(child, &status, WNOHANG) == child) {
                exited_early = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        INFO("SIGINT after " << after_namespaces << " namespaces");
        REQUIRE_FALSE(exited_early);
        ::kill(child, SIGINT);
        ::waitpid(child, &status, 0);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + SIGINT);
        CHECK_FALSE(network_exists("t-sig"));
        CHECK(sh("ip netns list").out.find("chima.t-sig.") == std::string::npos);
        cleanup_network("t-sig");
    }
}
