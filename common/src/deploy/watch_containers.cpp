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

// Appends one line per event, flushed at once (chima-watch tails the file), and keeps the
// installed.json document up to date.
class EventLog {
  public:
    EventLog(const std::string& path, json installed, std::optional<std::string> installed_file)
        : installed_(std::move(installed)), installed_file_(std::move(installed_file)) {
        if (!path.empty()) {
            file_.open(path, std::ios::app);
            if (!file_)
                throw RuntimeError("cannot open events file " + path);
        }
    }
    void write(const json& line) {
        std::lock_guard lock(mutex_);
        std::ostream& out = file_.is_open() ? static_cast<std::ostream&>(file_) : std::cout;
        out << line.dump() << "\n";
        out.flush();
        if (installed_file_)
            record(line);
    }

  private:
    void record(const json& line) {
        for (auto& f : installed_["functions"]) {
            if (f.value("instance", "") != line.value("instance", ""))
                continue;
            std::string type = line["type"];
            if (type == "function-exit") {
                f["state"] = "exited";
                f["exit_code"] = line["exit_code"];
                f["pid"] = 0;
            } else if (type == "function-restart") {
                f["state"] = "running";
                f["id"] = line["id"];
                f["pid"] = line["pid"];
                f["restarts"] = f.value("restarts", 0) + 1;
            } else {
                f["state"] = "restart-failed";
            }
        }
        try {
            write_file_atomic(*installed_file_, installed_.dump(2) + "\n");
        } catch (const std::exception& e) {
            spdlog::warn("recording the event in {}: {}", *installed_file_, e.what());
        }
    }

    std::mutex mutex_;
    std::ofstream file_;
    json installed_;
    std::optional<std::string> installed_file_;
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

}  // namespace

void watch_container_functions(device::DeviceRegistry& devices, const json& doc,
                               container::RestartPolicy policy, const std::string& events,
                               const std::optional<std::string>& installed_file) {
    const json& installed = doc["functions"];
    // Blocked before the watcher threads exist, so they inherit the mask and sigwait below
    // receives the signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    EventLog log(events, doc, installed_file);
    std::map<std::string, Who> who;  // instance name -> chain/function
    // One watcher per host and backend kind: the host's health events of that backend.
    std::map<std::pair<std::string, std::string>, std::unique_ptr<container::HealthWatcher>>
        watchers;
    for (const auto& e : installed) {  // complete before any watcher thread reads it
        if (e.value("type", "") == "container")
            who[e.value("instance", "")] = {e.value("chain", ""), e.value("name", "")};
    }
    for (const auto& e : installed) {
        if (e.value("type", "") != "container")
            continue;
        std::string kind = e.value("backend", "");
        std::string name = e.value("instance", "");
        auto key = std::make_pair(e.value("node", ""), kind);
        auto& watcher = watchers[key];
        if (!watcher) {
            watcher = devices.host_device(key.first).watch_health(
                kind, [&log, &who](const container::HealthEvent& ev) {
                    auto it = who.find(ev.name);
                    log.write(event_line(ev, it == who.end() ? Who{} : it->second));
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
