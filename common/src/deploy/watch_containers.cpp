// `chima-install --watch`: the health of the installed container functions as JSON lines.
#include <signal.h>

#include <iostream>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

#include "chima/container/health.hpp"
#include "chima/deploy/containers.hpp"
#include "chima/error.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

struct Who {
    std::string chain, function;
};

json event_line(const container::HealthEvent& e, const Who& who) {
    std::string type = e.type == "exited"      ? "function-exit"
                       : e.type == "restarted" ? "function-restart"
                                               : "function-restart-failed";
    json j = {{"type", type},       {"chain", who.chain},   {"function", who.function},
              {"instance", e.name}, {"backend", e.backend}, {"id", e.id},
              {"ts_ns", e.time_ns}};
    if (e.type == "exited") {
        j["exit_code"] = e.exit_code;
        j["detect_ns"] = e.detect_ns;
    }
    if (e.type == "restarted")
        j["pid"] = e.pid;
    if (!e.message.empty())
        j["message"] = e.message;
    return j;
}

// Appends one line per event, flushed at once (chima-watch tails the file), and keeps the
// installed.json document up to date.
class EventLog {
  public:
    EventLog(const std::string& path, Installed installed,
             std::optional<std::string> installed_file)
        : installed_(std::move(installed)), installed_file_(std::move(installed_file)) {
        if (!path.empty()) {
            file_.open(path, std::ios::app);
            if (!file_)
                throw RuntimeError("cannot open events file " + path);
        }
    }
    void write(const container::HealthEvent& e, const Who& who) {
        std::lock_guard lock(mutex_);
        std::ostream& out = file_.is_open() ? static_cast<std::ostream&>(file_) : std::cout;
        out << event_line(e, who).dump() << "\n";
        out.flush();
        if (installed_file_)
            record(e);
    }

  private:
    void record(const container::HealthEvent& e) {
        for (auto& f : installed_.functions) {
            if (f.type != FunctionType::Container || f.container.instance != e.name)
                continue;
            InstalledContainer& c = f.container;
            if (e.type == "exited") {
                f.state = "exited";
                c.exit_code = e.exit_code;
                c.pid = 0;
            } else if (e.type == "restarted") {
                f.state = "running";
                c.id = e.id;
                c.pid = e.pid;
                c.restarts = c.restarts.value_or(0) + 1;
            } else {
                f.state = "restart-failed";
            }
        }
        try {
            write_file_atomic(*installed_file_, to_json(installed_).dump(2) + "\n");
        } catch (const std::exception& e) {
            spdlog::warn("recording the event in {}: {}", *installed_file_, e.what());
        }
    }

    std::mutex mutex_;
    std::ofstream file_;
    Installed installed_;
    std::optional<std::string> installed_file_;
};

}  // namespace

void watch_container_functions(device::DeviceRegistry& devices, const Installed& installed,
                               container::RestartPolicy policy, const std::string& events,
                               const std::optional<std::string>& installed_file) {
    const auto functions = installed.of_type(FunctionType::Container);
    // Blocked before the watcher threads exist, so they inherit the mask and sigwait below
    // receives the signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    EventLog log(events, installed, installed_file);
    std::map<std::string, Who> who;  // instance name -> chain/function
    // One watcher per host and backend kind: the host's health events of that backend.
    std::map<std::pair<std::string, std::string>, std::unique_ptr<container::HealthWatcher>>
        watchers;
    for (const InstalledFunction* e : functions)  // complete before any watcher thread reads it
        who[e->container.instance] = {e->chain, e->name};
    for (const InstalledFunction* e : functions) {
        const std::string& kind = e->container.backend;
        const std::string& name = e->container.instance;
        auto key = std::make_pair(e->node, kind);
        auto& watcher = watchers[key];
        if (!watcher) {
            watcher = devices.host_device(key.first).watch_health(
                kind, [&log, &who](const container::HealthEvent& ev) {
                    auto it = who.find(ev.name);
                    log.write(ev, it == who.end() ? Who{} : it->second);
                });
        }
        watcher->watch(name, policy);
    }
    spdlog::info("watching {} container functions (restart {}); SIGINT/SIGTERM ends", who.size(),
                 container::to_string(policy));
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("stopping the watch ({})", sig == SIGINT ? "SIGINT" : "SIGTERM");
    watchers.clear();  // joins the watcher threads before the log and names go
}

}  // namespace chima::deploy
