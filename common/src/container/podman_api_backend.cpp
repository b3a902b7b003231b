// podman through its API service (libpod REST API v4 on a Unix socket): the same operations
// as the command-line backend, each an HTTP request instead of a podman process. Image
// builds still go through the command line (the API would need the context as a tarball).
#include <nlohmann/json.hpp>

#include "backends.hpp"
#include "chima/error.hpp"
#include "unix_http_client.hpp"

namespace chima::container::detail {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class PodmanApiBackend : public Backend {
  public:
    PodmanApiBackend(std::string socket, std::unique_ptr<Backend> builder)
        : client_(std::move(socket)), builder_(std::move(builder)) {}

    std::string_view kind() const override { return "podman"; }

    Image ensure_image(const ImageSpec& spec) override {
        std::string ref = image_ref(spec);
        auto r = call("GET", "/images/" + UnixHttpClient::escape(ref) + "/json", {}, 30s);
        if (r.status == 200) {
            Image image;
            image.ref = ref;
            image.id = parse(r).value("Id", "");
            return image;
        }
        if (r.status != 404)
            fail("image " + ref, r);
        return builder_->ensure_image(spec);  // builds it and drops older tags
    }

    Instance run(const FunctionSpec& spec) override {
        auto labels = spec.labels;
        labels[kManagedLabel] = "1";
        labels[kFunctionLabel] = spec.name;
        json create = {{"name", spec.name},         {"image", spec.image},
                       {"env", spec.env},           {"labels", labels},
                       {"stop_timeout", 2},         {"cap_drop", json::array({"ALL"})},
                       {"no_new_privileges", true}, {"read_only_filesystem", true}};
        if (!spec.capabilities.empty()) {
            json add = json::array();
            for (const auto& cap : spec.capabilities)
                add.push_back("CAP_" + cap);
            create["cap_add"] = add;
        }
        if (!spec.args.empty())
            create["command"] = spec.args;  // as `podman run IMAGE ARGS`: the entrypoint stays
        create["netns"] = spec.netns.empty()
                              ? json{{"nsmode", "host"}}
                              : json{{"nsmode", "path"}, {"value", "/run/netns/" + spec.netns}};
        std::string body = create.dump();
        auto r = call("POST", "/containers/create", body, 60s);
        // The name taken: replace that container, as `podman run --replace`. podman 4.3 says
        // so with 500 (409 in the API's documentation); whatever the words, a container of
        // that name existing is the sign.
        if (r.status != 201 && inspect(spec.name).state != State::Missing) {
            remove(spec.name);
            r = call("POST", "/containers/create", body, 60s);
        }
        if (r.status != 201)
            fail("create " + spec.name + " from " + spec.image, r);
        std::string id = parse(r).value("Id", "");
        start_container(id.empty() ? spec.name : id, spec.name);
        return inspect(spec.name);
    }

    Instance start(const std::string& name) override {
        start_container(name, name);
        return inspect(name);
    }

    void remove(const std::string& name) override {
        auto r =
            call("DELETE", "/containers/" + UnixHttpClient::escape(name) + "?force=true&timeout=2",
                 {}, 60s);
        if (r.status != 200 && r.status != 204 && r.status != 404)
            fail("remove " + name, r);
    }

    std::vector<Instance> list(const std::string& key, const std::string& value) override {
        json filters = {{"label", {value.empty() ? key : key + "=" + value}}};
        auto r = call("GET",
                      "/containers/json?all=true&filters=" + UnixHttpClient::escape(filters.dump()),
                      {}, 30s);
        if (r.status != 200)
            fail("list containers labelled " + key, r);
        std::vector<Instance> out;
        json all = parse(r);
        if (!all.is_array())
            return out;
        for (const auto& c : all)
            out.push_back(from_list_entry(c));
        return out;
    }

    Instance inspect(const std::string& name) override {
        auto r = call("GET", "/containers/" + UnixHttpClient::escape(name) + "/json", {}, 30s);
        if (r.status == 404) {
            Instance missing;
            missing.name = name;
            return missing;
        }
        if (r.status != 200)
            fail("inspect " + name, r);
        return instance_from_inspect(parse(r));
    }

  private:
    HttpResponse call(std::string_view method, const std::string& path, const std::string& body,
                      std::chrono::milliseconds timeout) {
        return client_.request(method, kLibpodApi + path, body, timeout);
    }

    void start_container(const std::string& ref, const std::string& name) {
        auto r = call("POST", "/containers/" + UnixHttpClient::escape(ref) + "/start", {}, 60s);
        if (r.status != 204 && r.status != 304)  // 304: running already
            fail("start " + name, r);
    }

    static json parse(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

    // The service's error document: {"cause", "message", "response"}.
    [[noreturn]] void fail(const std::string& what, const HttpResponse& r) {
        json doc = parse(r);
        std::string message = doc.is_object() ? doc.value("message", "") : "";
        if (message.empty())
            message = r.body.empty() ? "no reason given" : r.body;
        throw RuntimeError("podman service: " + what + ": " + message + " (HTTP " +
                           std::to_string(r.status) + ")");
    }

    // One entry of GET /containers/json (not the inspect shape: Names, State, Pid at the top).
    static Instance from_list_entry(const json& c) {
        Instance inst;
        inst.id = c.value("Id", "");
        if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty())
            inst.name = c["Names"][0].get<std::string>();
        inst.image = c.value("Image", "");
        if (c.contains("Labels"))
            inst.labels = labels_of(c["Labels"]);
        inst.state = c.value("State", "") == "running" ? State::Running : State::Exited;
        if (inst.state == State::Running) {
            inst.pid = c.value("Pid", 0);
        } else {
            inst.exit_code = c.value("ExitCode", -1);
        }
        return inst;
    }

    UnixHttpClient client_;
    std::unique_ptr<Backend> builder_;
};

}  // namespace

std::unique_ptr<Backend> make_podman_api(const BackendOptions& options,
                                         std::unique_ptr<Backend> builder) {
    return std::make_unique<PodmanApiBackend>(options.podman_socket, std::move(builder));
}

}  // namespace chima::container::detail
