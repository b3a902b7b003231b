// `chima-install --watch`: the health of the installed container functions as JSON lines.
#include <signal.h>

#include <chrono>
#include <filesystem>
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
#include "chima/file_change.hpp"
#include "chima/file_lock.hpp"
#include "chima/model/installed.hpp"
#include "chima/state_file.hpp"

namespace chima::deploy {

using nlohmann::json;

namespace {

// <run_dir>/retiring: beside the networks' run-time records ($CHIMA_RUN_DIR honoured).
std::filesystem::path retiring_dir() {
    return std::filesystem::path(run_dir()) / "retiring";
}

}  // namespace

void announce_retiring(const std::string& instance, const std::string& id) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(retiring_dir(), ec);
    auto now = fs::file_time_type::clock::now();
    for (const auto& old : fs::directory_iterator(retiring_dir(), ec)) {
        std::error_code age;
        auto written = old.last_write_time(age);
        if (!age && now - written > std::chrono::minutes(10))
            fs::remove(old.path(), age);
    }
    std::ofstream marker(retiring_dir() / instance, std::ios::trunc);
    marker << id << "\n";
    if (!marker)
        spdlog::debug("cannot announce the removal of {} in {}", instance, retiring_dir().string());
}

bool take_retiring(const std::string& instance, const std::string& id) {
    namespace fs = std::filesystem;
    fs::path path = retiring_dir() / instance;
    std::ifstream marker(path);
    std::string announced;
    if (!marker || !std::getline(marker, announced) || announced.empty() || id.empty())
        return false;
    // Backends spell ids in full or short (12 hex digits): one is a prefix of the other.
    std::size_t n = std::min(announced.size(), id.size());
    if (n < std::min<std::size_t>(12, std::max(announced.size(), id.size())) ||
        announced.compare(0, n, id, 0, n) != 0)
        return false;
    std::error_code ec;
    fs::remove(path, ec);
    return true;
}

namespace {

struct Who {
    std::string chain, function;
};

json event_line(const container::HealthEvent& e, const Who& who) {
    std::string type = e.type == "exited"      ? "function-exit"
                       : e.type == "retired"   ? "function-retired"
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
        if (e.type == "retired")
            return;  // the tool that removed it rewrites the file
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
                               const std::optional<std::string>& installed_file,
                               const std::optional<std::string>& follow) {
    // Blocked before the watcher threads exist, so they inherit the mask and sigtimedwait
    // below receives the signal.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    EventLog log(events, installed, installed_file);
    // instance name -> chain/function; read by the watcher threads, rewritten when the
    // followed installed.json changes.
    std::mutex who_mutex;
    std::map<std::string, Who> who;
    // One watcher per host and backend kind: the host's health events of that backend.
    std::map<std::pair<std::string, std::string>, std::unique_ptr<container::HealthWatcher>>
        watchers;
    // instance -> (its watcher's key, container id): an instance started again under the
    // same name (a new id) is watched anew.
    struct Watching {
        std::pair<std::string, std::string> watcher;
        std::string id;
    };
    std::map<std::string, Watching> watched;
    auto sink = [&log, &who, &who_mutex](const container::HealthEvent& ev) {
        Who w;
        {
            std::lock_guard lock(who_mutex);
            auto it = who.find(ev.name);
            if (it != who.end())
                w = it->second;
        }
        // A CHIMA tool removing the instance on purpose announced it: not a failure.
        if (ev.type == "exited" && take_retiring(ev.name, ev.id)) {
            container::HealthEvent retired = ev;
            retired.type = "retired";
            log.write(retired, w);
            return;
        }
        log.write(ev, w);
    };
    // Watches the running container functions of `doc` and stops watching those it no
    // longer lists. An instance that is not running is reported once and skipped.
    auto watch_all = [&](const Installed& doc) {
        const auto functions = doc.of_type(FunctionType::Container);
        std::map<std::string, Watching> wanted;
        {
            std::lock_guard lock(who_mutex);
            for (const InstalledFunction* e : functions) {
                who[e->container.instance] = {e->chain, e->name};
                wanted[e->container.instance] = {{e->node, e->container.backend}, e->container.id};
            }
        }
        for (auto it = watched.begin(); it != watched.end();) {
            auto w = wanted.find(it->first);
            if (w != wanted.end() && w->second.watcher == it->second.watcher &&
                w->second.id == it->second.id) {
                ++it;
                continue;
            }
            watchers.at(it->second.watcher)->unwatch(it->first);
            it = watched.erase(it);
        }
        for (const auto& [name, want] : wanted) {
            if (watched.count(name))
                continue;
            auto& watcher = watchers[want.watcher];
            if (!watcher)
                watcher =
                    devices.host_device(want.watcher.first).watch_health(want.watcher.second, sink);
            try {
                watcher->watch(name, policy);
                watched[name] = want;
            } catch (const std::exception& e) {
                spdlog::warn("not watching {}: {}", name, e.what());
            }
        }
    };
    watch_all(installed);
    std::optional<FileChange> changed;
    if (follow)
        changed.emplace(*follow);
    spdlog::info("watching {} container functions (restart {}){}; SIGINT/SIGTERM ends",
                 watched.size(), container::to_string(policy),
                 follow ? " following " + *follow : std::string());
    int sig = 0;
    for (;;) {
        // Without a file to follow, just the signal; with one, a look at it every 100 ms.
        timespec tick{0, 100'000'000};
        sig = follow ? sigtimedwait(&stop_signals, nullptr, &tick)
                     : sigwaitinfo(&stop_signals, nullptr);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (changed && changed->changed()) {
            try {
                watch_all(load_installed(*follow));
                spdlog::info("{} changed: watching {} container function(s)", *follow,
                             watched.size());
            } catch (const std::exception& e) {
                spdlog::warn("{} changed but cannot be read ({}); the watch stays", *follow,
                             e.what());
            }
        }
    }
    spdlog::info("stopping the watch ({})", sig == SIGINT ? "SIGINT" : "SIGTERM");
    watchers.clear();  // joins the watcher threads before the log and names go
}

}  // namespace chima::deploy
