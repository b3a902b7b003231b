// podman and docker through their command lines (argv vectors, never a shell).
#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "backends.hpp"
#include "chima/error.hpp"
#include "chima/process/child_process.hpp"

namespace chima::container::detail {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class OciCliBackend : public Backend {
  public:
    // `state_dir`: where podman writes the pid files of the containers it starts.
    OciCliBackend(std::string program, std::vector<std::pair<std::string, std::string>> env,
                  std::string state_dir = {})
        : program_(std::move(program)), env_(std::move(env)), state_dir_(std::move(state_dir)) {}

    std::string_view kind() const override { return program_; }

    Image ensure_image(const ImageSpec& spec) override {
        Image image;
        image.ref = image_ref(spec);
        auto found = cli({"image", "inspect", "--format", "{{.Id}}", image.ref}, 30s);
        if (!found.status.ok()) {
            checked({"build", "--quiet", "--tag", image.ref, "--file",
                     spec.context_dir + "/Containerfile", spec.context_dir},
                    300s);
            image.built = true;
            found = cli({"image", "inspect", "--format", "{{.Id}}", image.ref}, 30s);
            prune_older(spec.name, image.ref);
        }
        image.id = trim(found.out);
        return image;
    }

    Instance run(const FunctionSpec& spec) override {
        std::vector<std::string> args = {"run", "--detach", "--name", spec.name};
        if (program_ == "podman") {
            // podman replaces an old container of that name atomically; it never pulls ours.
            args.insert(args.end(), {"--replace", "--pull", "never"});
        } else {
            remove(spec.name);
        }
        args.push_back("--network");
        args.push_back(network_arg(spec.netns));
        args.insert(args.end(), {"--stop-timeout", "2"});
        // Least privilege: no capability but those declared, no setuid gains, nothing written
        // to the image (podman and docker mount /tmp, /run and /dev as tmpfs with --read-only).
        args.insert(args.end(),
                    {"--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only"});
        for (const auto& cap : spec.capabilities)
            args.insert(args.end(), {"--cap-add", "CAP_" + cap});
        auto labels = spec.labels;
        labels[kManagedLabel] = "1";
        labels[kFunctionLabel] = spec.name;
        for (const auto& [k, v] : labels)
            args.insert(args.end(), {"--label", k + "=" + v});
        for (const auto& [k, v] : spec.env)
            args.insert(args.end(), {"--env", k + "=" + v});
        // podman writes the container's pid and prints its id: the container is known without
        // a second podman process (`inspect` costs as much CPU as a start's tail).
        std::string pidfile;
        if (program_ == "podman" && !state_dir_.empty()) {
            pidfile = pidfile_of(spec.name);
            args.insert(args.end(), {"--pidfile", pidfile});
        }
        args.push_back(spec.image);
        args.insert(args.end(), spec.args.begin(), spec.args.end());
        std::string id = trim(checked(args, 60s));
        if (pidfile.empty())
            return inspect(spec.name);
        Instance inst;
        inst.name = spec.name;
        inst.id = id;
        inst.image = spec.image;
        inst.labels = labels;
        inst.pid = read_pidfile(pidfile);
        inst.state = inst.pid > 0 ? State::Running : State::Missing;
        return inst.pid > 0 && !inst.id.empty() ? inst : inspect(spec.name);
    }

    Instance start(const std::string& name) override {
        checked({"start", name}, 60s);
        // The container keeps the --pidfile of its run: conmon writes it again on each start.
        if (program_ == "podman" && !state_dir_.empty())
            std::remove(pidfile_of(name).c_str());
        return inspect(name);
    }

    void remove(const std::string& name) override {
        std::vector<std::string> args = {"rm", "--force"};
        if (program_ == "podman")
            args.insert(args.end(), {"--ignore", "--time", "2"});
        args.push_back(name);
        auto r = cli(args, 60s);
        if (!r.status.ok() && r.err.find("No such container") == std::string::npos &&
            r.err.find("no such container") == std::string::npos) {
            throw RuntimeError(program_ + " rm " + name + ": " + trim(r.err));
        }
        if (program_ == "podman" && !state_dir_.empty())
            std::remove(pidfile_of(name).c_str());  // written by a restart, see start()
    }

    std::vector<Instance> list(const std::string& key, const std::string& value) override {
        std::string filter = value.empty() ? key : key + "=" + value;
        std::string ids =
            checked({"ps", "--all", "--quiet", "--no-trunc", "--filter", "label=" + filter}, 30s);
        std::vector<std::string> args = {"container", "inspect"};
        size_t first = args.size();
        for (size_t pos = 0; pos < ids.size();) {
            size_t end = ids.find('\n', pos);
            if (end == std::string::npos)
                end = ids.size();
            std::string id = trim(ids.substr(pos, end - pos));
            if (!id.empty())
                args.push_back(id);
            pos = end + 1;
        }
        std::vector<Instance> out;
        if (args.size() == first)
            return out;
        auto r = cli(args, 30s);  // a container removed meanwhile makes this fail: skip those
        for (const auto& c : parse_array(r.out))
            out.push_back(instance_from_inspect(c));
        return out;
    }

    Instance inspect(const std::string& name) override {
        auto r = cli({"container", "inspect", name}, 30s);
        Instance missing;
        missing.name = name;
        if (!r.status.ok())
            return missing;
        auto all = parse_array(r.out);
        return all.empty() ? missing : instance_from_inspect(all.front());
    }

  private:
    std::string pidfile_of(const std::string& name) const {
        return state_dir_ + "/" + name + ".pid";
    }

    static pid_t read_pidfile(const std::string& path) {
        std::ifstream in(path);
        long pid = 0;
        in >> pid;
        in.close();
        std::remove(path.c_str());
        return pid > 0 ? static_cast<pid_t>(pid) : 0;
    }

    process::Result cli(std::vector<std::string> args, std::chrono::milliseconds timeout) {
        process::Spec spec;
        spec.argv = {program_};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.env = env_;
        return process::run(spec, timeout);
    }

    std::string checked(std::vector<std::string> args, std::chrono::milliseconds timeout) {
        process::Spec spec;
        spec.argv = {program_};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.env = env_;
        return process::run_checked(spec, timeout);
    }

    // Every rebuilt binary gives a new tag: drop the other tags of this function, except
    // those a container still uses (rmi without --force refuses them).
    void prune_older(const std::string& name, const std::string& keep) {
        auto r = cli({"images", "--format", "{{.Repository}}:{{.Tag}}", "--filter",
                      "reference=chima/" + name},
                     30s);
        for (size_t pos = 0; pos < r.out.size();) {
            size_t end = r.out.find('\n', pos);
            if (end == std::string::npos)
                end = r.out.size();
            std::string ref = trim(r.out.substr(pos, end - pos));
            pos = end + 1;
            if (ref.empty() || ref == keep || ref == "localhost/" + keep)
                continue;
            cli({"rmi", ref}, 30s);
        }
    }

    std::string network_arg(const std::string& netns) const {
        if (netns.empty())
            return "host";
        if (program_ != "podman") {
            throw RuntimeError("docker cannot join the network namespace " + netns +
                                   " by path (podman's --network ns: has no docker equivalent)",
                               "use --backend podman or --backend process");
        }
        return "ns:/run/netns/" + netns;
    }

    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
            s.pop_back();
        }
        return s;
    }

    static json parse_array(const std::string& text) {
        json doc = json::parse(text, nullptr, false);
        return doc.is_array() ? doc : json::array();
    }

    std::string program_;
    std::vector<std::pair<std::string, std::string>> env_;
    std::string state_dir_;
};

}  // namespace

std::map<std::string, std::string> labels_of(const json& labels) {
    std::map<std::string, std::string> out;
    if (!labels.is_object())
        return out;
    for (const auto& [k, v] : labels.items()) {
        if (v.is_string())
            out[k] = v.get<std::string>();
    }
    return out;
}

Instance instance_from_inspect(const json& c) {
    Instance inst;
    inst.id = c.value("Id", "");
    inst.name = c.value("Name", "");
    if (!inst.name.empty() && inst.name.front() == '/')
        inst.name.erase(0, 1);  // docker
    inst.image = c.value("ImageName", "");
    const json& config = c.contains("Config") ? c["Config"] : json::object();
    if (inst.image.empty())
        inst.image = config.value("Image", "");
    if (config.contains("Labels"))
        inst.labels = labels_of(config["Labels"]);
    const json& state = c.contains("State") ? c["State"] : json::object();
    std::string status = state.value("Status", "");
    inst.state = status == "running" ? State::Running : State::Exited;
    inst.pid = state.value("Pid", 0);
    if (inst.state != State::Running) {
        inst.pid = 0;
        inst.exit_code = state.value("ExitCode", -1);
    }
    return inst;
}

bool docker_engine_answers(std::string* why) {
    if (!process::find_program("docker")) {
        if (why)
            *why = "docker is not installed";
        return false;
    }
    auto r = process::run({"docker", "version", "--format", "{{.Server.Version}}"}, 5s);
    if (r.status.ok() && !r.timed_out)
        return true;
    if (why) {
        *why = r.timed_out ? "docker version: no answer within 5 s" : r.err;
        while (!why->empty() && why->back() == '\n')
            why->pop_back();
    }
    return false;
}

std::unique_ptr<Backend> make_podman(const BackendOptions& options) {
    if (!process::find_program("podman")) {
        throw RuntimeError("podman backend: podman is not installed",
                           "install it (scripts/setup.sh) or use --backend process");
    }
    std::string conf = write_containers_conf(options.state_dir);
    auto cli = std::make_unique<OciCliBackend>(
        "podman", std::vector<std::pair<std::string, std::string>>{{"CONTAINERS_CONF", conf}},
        options.state_dir);
    if (options.podman_socket.empty())
        return cli;
    return make_podman_api(options, std::move(cli));
}

std::unique_ptr<Backend> make_docker(const BackendOptions&) {
    std::string why;
    if (!docker_engine_answers(&why)) {
        throw RuntimeError("docker backend: no Docker engine answers (" + why + ")",
                           "start dockerd, or use --backend podman or --backend process");
    }
    return std::make_unique<OciCliBackend>("docker",
                                           std::vector<std::pair<std::string, std::string>>{});
}

}  // namespace chima::container::detail
