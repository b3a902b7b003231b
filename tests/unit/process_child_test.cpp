// chima::process: children from argv vectors, capture, exit status, timeouts, RAII kill.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "chima/error.hpp"
#include "chima/process/child_process.hpp"

using namespace chima::process;
using namespace std::chrono_literals;

TEST_CASE("process: run captures stdout and stderr separately, argv is not split by a shell") {
    Result r = run({"sh", "-c", "printf '%s|' \"$0\" \"$1\"; echo oops >&2", "a b", "$HOME;x"});
    CHECK(r.status.ok());
    CHECK(r.out == "a b|$HOME;x|");
    CHECK(r.err == "oops\n");
}

TEST_CASE("process: exit codes and signals are reported") {
    CHECK(run({"sh", "-c", "exit 3"}).status.code == 3);
    Result killed = run({"sh", "-c", "kill -9 $$"});
    CHECK(killed.status.signal == SIGKILL);
    CHECK(killed.status.code == 128 + SIGKILL);
    CHECK(killed.status.describe() == "killed by SIGKILL");
}

TEST_CASE("process: run_checked throws with the command and its stderr") {
    CHECK(run_checked({"echo", "hi"}) == "hi\n");
    try {
        run_checked({"sh", "-c", "echo 'bad thing' >&2; exit 1"});
        FAIL("expected an error");
    } catch (const chima::RuntimeError& e) {
        CHECK(std::string(e.what()).find("bad thing") != std::string::npos);
        CHECK(std::string(e.what()).find("sh -c") != std::string::npos);
    }
    CHECK_THROWS_AS(run_checked({"no-such-program-chima"}), chima::RuntimeError);
}

TEST_CASE("process: a timeout kills the child and says so") {
    // Killed, not waited for: sleep would have exited 0 after its 10 s.
    Result r = run({"sleep", "10"}, 200ms);
    CHECK(r.timed_out);
    CHECK(r.status.signal == SIGKILL);
}

TEST_CASE("process: environment is set over ours, or cleared") {
    Spec spec;
    spec.argv = {"sh", "-c", "echo \"$CHIMA_X:${PATH:+has-path}\""};
    spec.env = {{"CHIMA_X", "42"}};
    CHECK(run_checked(spec) == "42:has-path\n");
    spec.clear_env = true;
    spec.argv = {"/usr/bin/env"};
    CHECK(run_checked(spec) == "CHIMA_X=42\n");
}

TEST_CASE("process: waiting stops at the child's exit even when a grandchild keeps the pipe") {
    // The background sleep inherits stdout; waiting for it to close would run into the
    // timeout (the grandchild outlives it), and the run would report a kill.
    Result r = run({"sh", "-c", "sleep 60 & echo started"}, 30s);
    CHECK_FALSE(r.timed_out);
    CHECK(r.status.ok());
    CHECK(r.out == "started\n");
}

TEST_CASE("process: destroying a running child kills its process group") {
    pid_t pid;
    {
        Spec spec;
        spec.argv = {"sleep", "30"};
        Child child = Child::spawn(spec);
        pid = child.pid();
        CHECK(::kill(pid, 0) == 0);
        CHECK_FALSE(child.poll().has_value());
    }
    CHECK(::kill(pid, 0) != 0);  // reaped: the pid is gone
}

TEST_CASE("process: terminate sends SIGTERM first") {
    Spec spec;
    spec.argv = {"sh", "-c", "trap 'exit 7' TERM; echo trapped; while :; do sleep 0.05; done"};
    Child child = Child::spawn(spec);
    // SIGTERM once the trap is set (before, sh would die of it and no exit 7 would prove it).
    for (int i = 0; i < 3000 && child.out().find("trapped") == std::string::npos; ++i)
        REQUIRE_FALSE(child.wait_for(10ms).has_value());
    REQUIRE(child.out().find("trapped") != std::string::npos);
    CHECK(child.terminate(10s).code == 7);
}

TEST_CASE("process: output appended to a file, release leaves the process running") {
    auto dir =
        std::filesystem::temp_directory_path() / ("chima-proc-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    Spec spec;
    spec.argv = {"sh", "-c", "echo line; sleep 30"};
    spec.out = Output::append_to((dir / "log").string());
    spec.new_session = true;
    pid_t pid;
    {
        Child child = Child::spawn(spec);
        pid = child.release();
    }
    CHECK(::kill(pid, 0) == 0);
    for (int i = 0; i < 3000 && std::filesystem::file_size(dir / "log") == 0; ++i)
        usleep(10000);
    ::kill(-pid, SIGKILL);
    int ws;
    ::waitpid(pid, &ws, 0);
    std::ifstream in(dir / "log");
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == "line\n");
    std::filesystem::remove_all(dir);
}

TEST_CASE("process: die_with_parent ends the child with SIGTERM when its spawning thread ends") {
    for (bool die : {true, false}) {
        CAPTURE(die);
        pid_t pid = -1;
        std::thread([&] {
            Spec spec;
            spec.argv = {"sleep", "30"};
            spec.die_with_parent = die;
            pid = Child::spawn(spec).release();  // not killed by the Child going away
        }).join();
        REQUIRE(pid > 0);
        int ws = 0;
        pid_t got = 0;
        // Ended: waited for (up to 30 s); kept: still running after a second.
        for (int i = 0; i < (die ? 6000 : 200) && got == 0; ++i) {
            got = ::waitpid(pid, &ws, WNOHANG);
            if (got == 0)
                usleep(5000);
        }
        if (die) {
            REQUIRE(got == pid);
            CHECK(WIFSIGNALED(ws));
            CHECK(WTERMSIG(ws) == SIGTERM);
        } else {
            CHECK(got == 0);  // still running a second later
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &ws, 0);
        }
    }
}

TEST_CASE("process: format_command quotes what a shell would split") {
    CHECK(format_command({"ip", "link", "add", "a b", "it's"}) == "ip link add 'a b' 'it'\\''s'");
}
