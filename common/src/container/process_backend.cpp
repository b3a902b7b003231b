// The process backend: a function's static binary run as a plain process in its netns.
// Each instance has a record <state_dir>/processes/<name>.json (what podman keeps for a
// container): the command, so it can be started again, and the pid with its start time, so a
// reused pid is never mistaken for ours. Output goes to <name>.log next to it.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends.hpp"
#include "chima/capabilities.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"
#include "chima/state_file.hpp"

namespace chima::container::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Field 22 of /proc/<pid>/stat (start time in clock ticks) and the state letter; nullopt
// when no such process exists.
struct ProcStat {
    char state;
    unsigned long long start_time;
};
std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (text.empty() || close == std::string::npos)
        return std::nullopt;
    std::istringstream rest(text.substr(close + 2));
    ProcStat st{};
    rest >> st.state;
    std::string skip;
    for (int field = 4; field < 22; ++field)
        rest >> skip;  // fields 4..21
    rest >> st.start_time;
    if (!rest)
        return std::nullopt;
    return st;
}

class ProcessBackend : public Backend {
  public:
    explicit ProcessBackend(std::string dir) : dir_(std::move(dir)) {
        fs::create_directories(dir_);
    }

    std::string_view kind() const override { return "process"; }

    Image ensure_image(const ImageSpec& spec) override {
        Image image;
        image.ref = fs::absolute(fs::path(spec.context_dir) / spec.name).string();
        if (::access(image.ref.c_str(), X_OK) != 0) {
            throw InputError("process backend: " + image.ref + " is not an executable",
                             "build the functions first (cmake --build)");
        }
        image.id = hash_build_context(spec.context_dir);
        return image;
    }

    Instance run(const FunctionSpec& spec) override {
        std::lock_guard lock(mutex_);
        stop_locked(spec.name);
        json record = {{"name", spec.name},
                       {"image", spec.image},
                       {"args", spec.args},
                       {"env", spec.env},
                       {"netns", spec.netns},
                       {"labels", spec.labels},
                       {"capabilities", spec.capabilities}};
        record["labels"][kManagedLabel] = "1";
        record["labels"][kFunctionLabel] = spec.name;
        launch_locked(record);
        return to_instance(record);
    }

    Instance start(const std::string& name) override {
        std::lock_guard lock(mutex_);
        auto record = load(name);
        if (!record)
            throw RuntimeError("process backend: no function instance named " + name);
        refresh_locked(*record);
        if (!alive(*record))
            launch_locked(*record);
        return to_instance(*record);
    }

    void remove(const std::string& name) override {
        std::lock_guard lock(mutex_);
        stop_locked(name);
        fs::remove(record_path(name));
        fs::remove(log_path(name));
    }

    std::vector<Instance> list(const std::string& key, const std::string& value) override {
        std::lock_guard lock(mutex_);
        std::vector<Instance> out;
        for (const auto& entry : fs::directory_iterator(dir_)) {
            if (entry.path().extension() != ".json")
                continue;
            auto record = load(entry.path().stem().string());
            if (!record)
                continue;
            const json& labels = (*record)["labels"];
            if (!labels.contains(key))
                continue;
            if (!value.empty() && labels[key] != value)
                continue;
            refresh_locked(*record);
            out.push_back(to_instance(*record));
        }
        return out;
    }

    Instance inspect(const std::string& name) override {
        std::lock_guard lock(mutex_);
        auto record = load(name);
        if (!record) {
            Instance missing;
            missing.name = name;
            return missing;
        }
        refresh_locked(*record);
        return to_instance(*record);
    }

  private:
    std::string record_path(const std::string& name) const { return dir_ + "/" + name + ".json"; }
    std::string log_path(const std::string& name) const { return dir_ + "/" + name + ".log"; }

    std::optional<json> load(const std::string& name) const {
        std::ifstream in(record_path(name));
        if (!in)
            return std::nullopt;
        json doc = json::parse(in, nullptr, false);
        if (!doc.is_object())
            return std::nullopt;
        return doc;
    }

    // Atomic (rename) but not fsynced: the processes these describe do not outlive a
    // reboot, and two fsyncs would double the start time of a function.
    void save(const json& record) const {
        std::string path = record_path(record["name"]);
        std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << record.dump(2) << "\n";
            if (!out)
                throw RuntimeError("cannot write " + tmp);
        }
        fs::rename(tmp, path);
    }

    // True when the recorded pid is still our process (same start time) and not a zombie.
    static bool alive(const json& record) {
        pid_t pid = record.value("pid", 0);
        if (pid <= 0)
            return false;
        auto st = read_proc_stat(pid);
        return st && st->start_time == record.value("start_time", 0ull) && st->state != 'Z';
    }

    // Notices an exit: reaps the process when it is our child (that gives the exit code;
    // otherwise the code stays unknown, -1) and records it.
    void refresh_locked(json& record) {
        pid_t pid = record.value("pid", 0);
        if (pid <= 0 || alive(record))
            return;
        int ws = 0;
        int code = -1;
        if (::waitpid(pid, &ws, WNOHANG) == pid) {
            code = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
        }
        record["pid"] = 0;
        record["exit_code"] = code;
        save(record);
    }

    void launch_locked(json& record) {
        process::Spec spec;
        spec.argv = {record["image"].get<std::string>()};
        for (const auto& a : record["args"])
            spec.argv.push_back(a.get<std::string>());
        for (const auto& [k, v] : record["env"].items())
            spec.env.emplace_back(k, v.get<std::string>());
        std::string netns = record["netns"];
        if (!netns.empty())
            spec.netns_path = "/run/netns/" + netns;
        spec.out = process::Output::append_to(log_path(record["name"]));
        spec.err = spec.out;
        spec.new_session = true;  // outlives the tool that started it, like a container
        // Least privilege as the OCI backends give it, but for the read-only root: a plain
        // process shares the host's filesystem (see chima-install(1), Backends).
        spec.no_new_privileges = true;
        spec.keep_capabilities.emplace();
        for (const auto& cap : record.value("capabilities", json::array()))
            if (auto number = capability_number(cap.get<std::string>()))
                spec.keep_capabilities->push_back(*number);
        process::Child child = process::Child::spawn(spec);
        auto st = read_proc_stat(child.pid());
        record["start_time"] = st ? st->start_time : 0ull;
        record["pid"] = child.release();
        record["exit_code"] = -1;
        save(record);
    }

    // SIGTERM to the instance's process group, SIGKILL after 2 s; reaps it when it is ours.
    void stop_locked(const std::string& name) {
        auto record = load(name);
        if (!record || !alive(*record)) {
            if (record)
                refresh_locked(*record);
            return;
        }
        pid_t pid = (*record)["pid"];
        int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        ::kill(-pid, SIGTERM);
        bool gone = false;
        if (pidfd >= 0) {
            pollfd pfd{pidfd, POLLIN, 0};
            gone = ::poll(&pfd, 1, 2000) == 1;
        }
        if (!gone)
            ::kill(-pid, SIGKILL);
        if (pidfd >= 0) {
            pollfd pfd{pidfd, POLLIN, 0};
            ::poll(&pfd, 1, 2000);
            ::close(pidfd);
        }
        refresh_locked(*record);
    }

    static Instance to_instance(const json& record) {
        Instance inst;
        inst.name = record["name"];
        inst.image = record["image"];
        inst.pid = record.value("pid", 0);
        inst.state = inst.pid > 0 ? State::Running : State::Exited;
        inst.exit_code = inst.pid > 0 ? -1 : record.value("exit_code", -1);
        inst.id = inst.pid > 0 ? "pid:" + std::to_string(inst.pid) : "";
        for (const auto& [k, v] : record["labels"].items())
            inst.labels[k] = v.get<std::string>();
        return inst;
    }

    std::string dir_;
    std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Backend> make_process(const BackendOptions& options) {
    return std::make_unique<ProcessBackend>(options.state_dir + "/processes");
}

}  // namespace chima::container::detail
