// HttpHost: each HostDevice operation as the request chima-agent(8), HOST API, documents.
#include "chima/remote/http_host.hpp"

#include <algorithm>
#include <type_traits>

#include "chima/error.hpp"
#include "chima/remote/host_api_json.hpp"
#include "http_transport.hpp"
#include "remote_health_watcher.hpp"

namespace chima::remote {

using detail::HttpAnswer;
using detail::HttpRequest;
using detail::url_escape;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// The longest wait one GET .../serving may ask for (the agent's limit, HOST API).
constexpr milliseconds kMaxServingWait{30000};

std::string flow_target(Ipv4 src, Ipv4 dst) {
    return "/v1/flows/" + src.str() + "/" + dst.str();
}

std::string netns_target(const std::string& netns) {
    return "/v1/netns/" + url_escape(netns);
}

std::string backend_target(const std::string& kind) {
    return "/v1/backends/" + url_escape(kind);
}

class HttpHost final : public device::HostDevice {
  public:
    HttpHost(std::string name, const HostEndpoint& endpoint)
        : name_(std::move(name)),
          transport_(std::make_shared<detail::HttpTransport>(name_, endpoint)) {}

    const std::string& name() const override { return name_; }

    void set_flow(Ipv4 src, Ipv4 dst, const LabelStack& stack) override {
        expect(200, {"PUT", flow_target(src, dst), json{{"labels", to_json(stack)}}.dump(), true});
    }
    void delete_flow(Ipv4 src, Ipv4 dst) override {
        expect(204, {"DELETE", flow_target(src, dst), std::nullopt, true});
    }
    std::optional<LabelStack> flow(Ipv4 src, Ipv4 dst) const override {
        HttpRequest request{"GET", flow_target(src, dst), std::nullopt, true};
        auto answer = transport_->send(request);
        if (answer.status == 404)
            return std::nullopt;
        return read(request, answer, 200, [](const JsonReader& body) {
            return label_stack_from_json(body.at("labels"));
        });
    }

    // Permanent entries replace what is there: adding the same ones again changes nothing.
    void add_neighbours(const std::vector<device::Neighbour>& entries) override {
        json list = json::array();
        for (const auto& n : entries)
            list.push_back(to_json(n));
        expect(204, {"POST", "/v1/neighbours", json{{"neighbours", list}}.dump(), true});
    }

    bool has_function_netns(const std::string& netns) const override {
        HttpRequest request{"GET", netns_target(netns), std::nullopt, true};
        auto answer = transport_->send(request);
        if (answer.status == 404)
            return false;
        if (answer.status != 200)
            transport_->refuse(request, answer);
        return true;
    }
    // Not idempotent: a second PUT of a namespace that the first created is refused (409).
    void create_function_netns(const std::string& netns) override {
        expect(201, {"PUT", netns_target(netns), std::nullopt, false});
    }
    void plumb_function_port(const device::FunctionPort& port) override {
        expect(204, {"PUT", netns_target(port.netns) + "/port", to_json(port).dump(), true});
    }
    void remove_function_netns(const std::string& netns) override {
        expect(204, {"DELETE", netns_target(netns), std::nullopt, true});
    }
    // The agent waits at most kMaxServingWait per request: a longer limit takes several.
    bool wait_serving(const std::string& netns, uint16_t port, milliseconds limit) const override {
        auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
            auto wait = std::clamp(left, milliseconds(0), kMaxServingWait);
            HttpRequest request{"GET",
                                netns_target(netns) + "/serving?port=" + std::to_string(port) +
                                    "&timeout_ms=" + std::to_string(wait.count()),
                                std::nullopt, true,
                                // The agent's wait, and the endpoint's timeout for the rest.
                                wait + transport_->endpoint().timeout};
            auto serving =
                read(request, transport_->send(request), 200,
                     [](const JsonReader& body) { return body.at("serving").boolean(); });
            if (serving || left <= kMaxServingWait)
                return serving;
        }
    }

    // Making a backend ready twice is making it ready once.
    void prepare_backend(const std::string& kind) override {
        expect(204, {"POST", backend_target(kind) + "/prepare", std::nullopt, true,
                     transport_->endpoint().container_timeout});
    }
    // An image of the same build context is built once (the agent keys it by content).
    container::Image ensure_image(const std::string& kind,
                                  const container::ImageSpec& image) override {
        HttpRequest request{"POST", backend_target(kind) + "/images", to_json(image).dump(), true,
                            transport_->endpoint().build_timeout};
        return read(request, transport_->send(request), 200, image_from_json);
    }
    // Not idempotent: starting replaces an instance of the same name, so a repeated request
    // could restart one that already serves.
    container::Instance start_function(const std::string& kind,
                                       const container::FunctionSpec& spec) override {
        HttpRequest request{"POST", backend_target(kind) + "/functions", to_json(spec).dump(),
                            false, transport_->endpoint().container_timeout};
        return read(request, transport_->send(request), 201, instance_from_json);
    }
    void stop_function(const std::string& kind, const std::string& instance) override {
        expect(204, {"DELETE", backend_target(kind) + "/functions/" + url_escape(instance),
                     std::nullopt, true, transport_->endpoint().container_timeout});
    }
    container::Instance inspect_function(const std::string& kind,
                                         const std::string& instance) override {
        HttpRequest request{"GET", backend_target(kind) + "/functions/" + url_escape(instance),
                            std::nullopt, true};
        auto answer = transport_->send(request);
        if (answer.status == 404) {
            container::Instance missing;  // State::Missing
            missing.name = instance;
            return missing;
        }
        return read(request, answer, 200, instance_from_json);
    }
    std::vector<container::Instance> list_functions(const std::string& kind,
                                                    const std::string& label_key,
                                                    const std::string& label_value) override {
        HttpRequest request{"GET",
                            backend_target(kind) + "/functions?label_key=" + url_escape(label_key) +
                                "&label_value=" + url_escape(label_value),
                            std::nullopt, true};
        return read(request, transport_->send(request), 200, instances_from_json);
    }

    std::unique_ptr<container::HealthWatcher> watch_health(
        const std::string& kind, container::HealthWatcher::Sink sink) override {
        return std::make_unique<detail::RemoteHealthWatcher>(transport_, kind, std::move(sink));
    }

  private:
    // Sends `request`; any answer but `status` is a refusal.
    void expect(long status, const HttpRequest& request) const {
        auto answer = transport_->send(request);
        if (answer.status != status)
            transport_->refuse(request, answer);
    }
    // The body of an answer of `status`, read by `parse`. An answer the agent should not
    // give (not JSON, a member missing) is the device failing, a RuntimeError.
    template <typename Parse>
    std::invoke_result_t<Parse, const JsonReader&> read(const HttpRequest& request,
                                                        const HttpAnswer& answer, long status,
                                                        Parse parse) const {
        if (answer.status != status)
            transport_->refuse(request, answer);
        json body;
        try {
            body = json::parse(answer.body);
            return parse(JsonReader(body, "answer"));
        } catch (const json::exception& e) {
            throw RuntimeError(transport_->context(request) +
                               ": the answer is not JSON: " + e.what());
        } catch (const InputError& e) {
            throw RuntimeError(transport_->context(request) + ": unexpected answer: " + e.what());
        }
    }

    std::string name_;
    std::shared_ptr<detail::HttpTransport> transport_;
};

}  // namespace

std::unique_ptr<device::HostDevice> open_remote_host(const std::string& name,
                                                     const HostEndpoint& endpoint) {
    return std::make_unique<HttpHost>(name, endpoint);
}

}  // namespace chima::remote
