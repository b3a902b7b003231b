#include "chima/agent/host_api.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api_router.hpp"
#include "chima/error.hpp"
#include "chima/names.hpp"
#include "chima/remote/host_api_json.hpp"
#include "event_streams.hpp"
#include "tls_context.hpp"

namespace chima::agent {

using nlohmann::json;
using Params = ApiRouter::Params;
// The wire format, shared with the client (chima/remote/http_host.hpp).
using namespace remote;

namespace {

// Request bodies are not files: JsonReader's messages then start "at /pointer: ".
const std::string kBody;

json parse_body(const httplib::Request& req) {
    if (req.body.empty())
        throw ApiFailure(400, "this request needs a JSON body");
    try {
        return json::parse(req.body);
    } catch (const json::parse_error& e) {
        throw ApiFailure(400, std::string("the body is not JSON: ") + e.what());
    }
}

void reply_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void reply_empty(httplib::Response& res) {
    res.status = 204;
}

Ipv4 path_ipv4(const Params& params, const std::string& key) {
    const auto& text = params.at(key);
    auto ip = Ipv4::parse(text);
    if (!ip)
        throw ApiFailure(400, "'" + text + "' is not an IPv4 address", key);
    return *ip;
}

// Namespaces and instances: names built from names ("fn-<chain>-<function>-b").
std::string path_derived_name(const Params& params, const std::string& key) {
    const auto& text = params.at(key);
    if (auto problem = derived_name_problem(text); !problem.empty())
        throw ApiFailure(400, key + " '" + text + "' is not valid: " + problem, key);
    return text;
}

std::string path_kind(const Params& params) {
    const auto& kind = params.at("kind");
    const auto& kinds = container::backend_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
        throw ApiFailure(
            400, "unknown container backend '" + kind + "' (podman, docker, process or auto)",
            "kind");
    return kind;
}

// A query parameter that is an integer in [min, max]; `fallback` when absent.
int64_t query_integer(const httplib::Request& req, const std::string& key, int64_t min, int64_t max,
                      std::optional<int64_t> fallback) {
    if (!req.has_param(key)) {
        if (!fallback)
            throw ApiFailure(400, "missing query parameter " + key, key);
        return *fallback;
    }
    std::string text = req.get_param_value(key);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
        throw ApiFailure(400,
                         key + " '" + text + "': expected an integer from " + std::to_string(min) +
                             " to " + std::to_string(max),
                         key);
    }
    return value;
}

json flow_json(Ipv4 src, Ipv4 dst, const LabelStack& stack) {
    return {{"src", src.str()}, {"dst", dst.str()}, {"labels", to_json(stack)}};
}

// "name" or "name:policy" (never | on-failure; never when left out).
std::pair<std::string, container::RestartPolicy> parse_watch(const std::string& text) {
    auto colon = text.find(':');
    std::string name = text.substr(0, colon);
    if (auto problem = derived_name_problem(name); !problem.empty())
        throw ApiFailure(
            400, "watch '" + text + "': instance '" + name + "' is not valid: " + problem, "watch");
    auto policy = container::RestartPolicy::Never;
    if (colon != std::string::npos) {
        auto parsed = container::parse_restart_policy(text.substr(colon + 1));
        if (!parsed)
            throw ApiFailure(400, "watch '" + text + "': the restart policy is never or on-failure",
                             "watch");
        policy = *parsed;
    }
    return {name, policy};
}

// What httplib refused a request for, before any route saw it.
std::string status_problem(int status) {
    switch (status) {
        case 400:
            return "the request is not valid HTTP";
        case 413:
            return "the request body is too large";
        case 414:
            return "the request's path is too long";
        default:
            return "HTTP status " + std::to_string(status);
    }
}

}  // namespace

struct HostApiServer::Impl {
    device::HostDevice& host;
    HostApiOptions options;
    ApiRouter router;
    EventStreams streams;
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
    uint16_t port = 0;

    Impl(device::HostDevice& h, HostApiOptions o) : host(h), options(o) { add_routes(); }

    void add_routes();
    void flows();
    void namespaces();
    void functions();
    void events();

    // A watchable instance: running on `kind`; 404 when there is none, 409 when it is not
    // running (both checked before a stream opens, so that a bad watch opens nothing).
    void check_watchable(const std::string& kind, const std::string& name, const char* field);
    void open_event_stream(const httplib::Request& req, httplib::Response& res,
                           const std::string& kind);
};

void HostApiServer::Impl::add_routes() {
    router.add("GET", "/v1/host", [this](const auto&, auto& res, const Params&) {
        reply_json(res, 200, {{"name", host.name()}});
    });
    flows();
    namespaces();
    functions();
    events();
}

void HostApiServer::Impl::flows() {
    router.add("GET", "/v1/flows/{src}/{dst}", [this](const auto&, auto& res, const Params& p) {
        Ipv4 src = path_ipv4(p, "src"), dst = path_ipv4(p, "dst");
        auto stack = host.flow(src, dst);
        if (!stack)
            throw ApiFailure(404, "no label stack for " + src.str() + " > " + dst.str());
        reply_json(res, 200, flow_json(src, dst, *stack));
    });
    router.add("PUT", "/v1/flows/{src}/{dst}", [this](const auto& req, auto& res, const Params& p) {
        Ipv4 src = path_ipv4(p, "src"), dst = path_ipv4(p, "dst");
        json body = parse_body(req);
        JsonReader reader(body, kBody);
        reject_unknown_members(reader, {"labels"});
        LabelStack stack = label_stack_from_json(reader.at("labels"));
        host.set_flow(src, dst, stack);
        reply_json(res, 200, flow_json(src, dst, stack));
    });
    router.add("DELETE", "/v1/flows/{src}/{dst}", [this](const auto&, auto& res, const Params& p) {
        host.delete_flow(path_ipv4(p, "src"), path_ipv4(p, "dst"));
        reply_empty(res);
    });
    router.add("POST", "/v1/neighbours", [this](const auto& req, auto& res, const Params&) {
        json body = parse_body(req);
        JsonReader reader(body, kBody);
        reject_unknown_members(reader, {"neighbours"});
        host.add_neighbours(neighbours_from_json(reader.at("neighbours")));
        reply_empty(res);
    });
}

void HostApiServer::Impl::namespaces() {
    router.add("GET", "/v1/netns/{netns}", [this](const auto&, auto& res, const Params& p) {
        auto netns = path_derived_name(p, "netns");
        if (!host.has_function_netns(netns))
            throw ApiFailure(404, "no function namespace " + netns, "netns");
        reply_json(res, 200, {{"netns", netns}});
    });
    router.add("PUT", "/v1/netns/{netns}", [this](const auto&, auto& res, const Params& p) {
        auto netns = path_derived_name(p, "netns");
        if (host.has_function_netns(netns))
            throw ApiFailure(409, "function namespace " + netns + " exists", "netns");
        host.create_function_netns(netns);
        reply_json(res, 201, {{"netns", netns}});
    });
    router.add("DELETE", "/v1/netns/{netns}", [this](const auto&, auto& res, const Params& p) {
        host.remove_function_netns(path_derived_name(p, "netns"));
        reply_empty(res);
    });
    router.add(
        "PUT", "/v1/netns/{netns}/port", [this](const auto& req, auto& res, const Params& p) {
            auto netns = path_derived_name(p, "netns");
            json body = parse_body(req);
            // The namespace is the path's; a body that names one names the same.
            if (body.is_object() && !body.contains("netns"))
                body["netns"] = netns;
            JsonReader reader(body, kBody);
            auto port = function_port_from_json(reader);
            if (port.netns != netns)
                reader.at("netns").fail("names another namespace than the path (" + netns + ")");
            if (!host.has_function_netns(netns))
                throw ApiFailure(404, "no function namespace " + netns, "netns");
            host.plumb_function_port(port);
            reply_empty(res);
        });
    router.add("GET", "/v1/netns/{netns}/serving",
               [this](const auto& req, auto& res, const Params& p) {
                   auto netns = path_derived_name(p, "netns");
                   auto udp_port =
                       static_cast<uint16_t>(query_integer(req, "port", 1, 65535, std::nullopt));
                   std::chrono::milliseconds limit{
                       query_integer(req, "timeout_ms", 0, options.max_wait_serving.count(), 1000)};
                   if (!host.has_function_netns(netns))
                       throw ApiFailure(404, "no function namespace " + netns, "netns");
                   reply_json(res, 200, {{"serving", host.wait_serving(netns, udp_port, limit)}});
               });
}

void HostApiServer::Impl::functions() {
    router.add(
        "POST", "/v1/backends/{kind}/prepare", [this](const auto&, auto& res, const Params& p) {
            auto kind = path_kind(p);
            try {
                host.prepare_backend(kind);
            } catch (const RuntimeError& e) {
                throw ApiFailure(503, e.what(), "kind");  // this backend cannot work on this host
            }
            reply_empty(res);
        });
    router.add("POST", "/v1/backends/{kind}/images",
               [this](const auto& req, auto& res, const Params& p) {
                   auto kind = path_kind(p);
                   json body = parse_body(req);
                   auto image = image_spec_from_json(JsonReader(body, kBody));
                   reply_json(res, 200, to_json(host.ensure_image(kind, image)));
               });
    router.add("POST", "/v1/backends/{kind}/functions",
               [this](const auto& req, auto& res, const Params& p) {
                   auto kind = path_kind(p);
                   json body = parse_body(req);
                   JsonReader reader(body, kBody);
                   auto spec = function_spec_from_json(reader);
                   if (!spec.netns.empty() && !host.has_function_netns(spec.netns))
                       throw ApiFailure(404, "no function namespace " + spec.netns, "/netns");
                   reply_json(res, 201, to_json(host.start_function(kind, spec)));
               });
    router.add("GET", "/v1/backends/{kind}/functions",
               [this](const auto& req, auto& res, const Params& p) {
                   auto kind = path_kind(p);
                   if (!req.has_param("label_key"))
                       throw ApiFailure(400, "missing query parameter label_key", "label_key");
                   std::string key = req.get_param_value("label_key");
                   std::string value = req.get_param_value("label_value");
                   if (key.empty() || key.find('\0') != std::string::npos ||
                       value.find('\0') != std::string::npos)
                       throw ApiFailure(400, "label_key must be a non-empty text", "label_key");
                   json list = json::array();
                   for (const auto& inst : host.list_functions(kind, key, value))
                       list.push_back(to_json(inst));
                   reply_json(res, 200, list);
               });
    router.add("GET", "/v1/backends/{kind}/functions/{instance}",
               [this](const auto&, auto& res, const Params& p) {
                   auto kind = path_kind(p);
                   auto name = path_derived_name(p, "instance");
                   auto inst = host.inspect_function(kind, name);
                   if (inst.state == container::State::Missing)
                       throw ApiFailure(404, "no instance " + name + " on " + kind, "instance");
                   reply_json(res, 200, to_json(inst));
               });
    router.add("DELETE", "/v1/backends/{kind}/functions/{instance}",
               [this](const auto&, auto& res, const Params& p) {
                   auto kind = path_kind(p);
                   host.stop_function(kind, path_derived_name(p, "instance"));
                   reply_empty(res);
               });
}

void HostApiServer::Impl::check_watchable(const std::string& kind, const std::string& name,
                                          const char* field) {
    auto inst = host.inspect_function(kind, name);
    if (inst.state == container::State::Missing)
        throw ApiFailure(404, "no instance " + name + " on " + kind, field);
    if (inst.state != container::State::Running)
        throw ApiFailure(409, "instance " + name + " is not running", field);
}

void HostApiServer::Impl::open_event_stream(const httplib::Request& req, httplib::Response& res,
                                            const std::string& kind) {
    std::vector<std::pair<std::string, container::RestartPolicy>> watches;
    for (size_t i = 0; i < req.get_param_value_count("watch"); ++i)
        watches.push_back(parse_watch(req.get_param_value("watch", i)));
    for (const auto& [name, policy] : watches)
        check_watchable(kind, name, "watch");

    auto too_many = [&] {
        return ApiFailure(503, "too many event streams are open (" +
                                   std::to_string(options.max_event_streams) + ")");
    };
    if (streams.size() >= options.max_event_streams)
        throw too_many();
    auto queue = std::make_shared<EventQueue>(options.max_queued_events);
    auto watcher = host.watch_health(
        kind, [queue](const container::HealthEvent& e) { queue->push(to_json_line(e)); });
    for (const auto& [name, policy] : watches)
        watcher->watch(name, policy);
    auto stream = streams.add(kind, queue, std::move(watcher), options.max_event_streams);
    if (!stream)
        throw too_many();

    res.set_header(kEventStreamHeader, stream->id);
    auto keepalive = options.keepalive;
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [queue, keepalive](size_t, httplib::DataSink& sink) {
            auto lines = queue->pop_all(keepalive);
            if (!lines) {  // the server stops, or the stream was released
                sink.done();
                return true;
            }
            if (lines->empty())
                lines->push_back("\n");  // keepalive: a client that went away fails the write
            for (const auto& line : *lines) {
                if (!sink.write(line.data(), line.size()))
                    return false;
            }
            return true;
        },
        [this, id = stream->id](bool) { streams.release(id); });
}

void HostApiServer::Impl::events() {
    router.add("GET", "/v1/backends/{kind}/events",
               [this](const auto& req, auto& res, const Params& p) {
                   open_event_stream(req, res, path_kind(p));
               });
    router.add("PUT", "/v1/events/{stream}/watches/{instance}",
               [this](const auto& req, auto& res, const Params& p) {
                   auto name = path_derived_name(p, "instance");
                   auto policy = container::RestartPolicy::Never;
                   if (!req.body.empty()) {
                       json body = parse_body(req);
                       JsonReader reader(body, kBody);
                       reject_unknown_members(reader, {"restart"});
                       if (reader.has("restart")) {
                           auto r = reader.at("restart");
                           auto parsed = container::parse_restart_policy(r.str());
                           if (!parsed)
                               r.fail("expected never or on-failure");
                           policy = *parsed;
                       }
                   }
                   auto stream = streams.find(p.at("stream"));
                   if (!stream)
                       throw ApiFailure(404, "no event stream " + p.at("stream"), "stream");
                   check_watchable(stream->kind, name, "instance");
                   stream->watcher->watch(name, policy);
                   reply_empty(res);
               });
    router.add("DELETE", "/v1/events/{stream}/watches/{instance}",
               [this](const auto&, auto& res, const Params& p) {
                   auto name = path_derived_name(p, "instance");
                   auto stream = streams.find(p.at("stream"));
                   if (!stream)
                       throw ApiFailure(404, "no event stream " + p.at("stream"), "stream");
                   stream->watcher->unwatch(name);
                   reply_empty(res);
               });
}

HostApiServer::HostApiServer(device::HostDevice& host, HostApiOptions options)
    : impl_(std::make_unique<Impl>(host, options)) {}

HostApiServer::~HostApiServer() {
    stop();
}

void HostApiServer::start(const std::string& host, uint16_t port,
                          const std::optional<TlsFiles>& tls) {
    if (impl_->server)
        throw InputError("the host API is serving already (port " + std::to_string(impl_->port) +
                         ")");
    std::unique_ptr<httplib::Server> server;
    if (tls) {
        std::string problem;
        server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
            problem = configure_mutual_tls(ctx, *tls);
            return problem.empty();
        });
        if (!server->is_valid())
            throw RuntimeError("host API: " + (problem.empty() ? "TLS setup failed" : problem));
    } else {
        server = std::make_unique<httplib::Server>();
    }
    server->set_payload_max_length(impl_->options.max_body_bytes);
    auto threads = std::max<size_t>(impl_->options.worker_threads, 1);
    server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // httplib's own answers (413, 400 for a request it cannot parse) in our JSON.
    server->set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty())
                return httplib::Server::HandlerResponse::Unhandled;
            reply_error(res, res.status, status_problem(res.status));
            return httplib::Server::HandlerResponse::Handled;
        }));
    auto dispatch = [impl = impl_.get()](const httplib::Request& req, httplib::Response& res) {
        impl->router.dispatch(req, res);
    };
    server->Get(".*", dispatch);
    server->Post(".*", dispatch);
    server->Put(".*", dispatch);
    server->Delete(".*", dispatch);
    server->Patch(".*", dispatch);
    server->Options(".*", dispatch);

    int bound =
        port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
    if (bound <= 0)
        throw RuntimeError("host API: cannot listen on " + host + ":" + std::to_string(port));
    impl_->port = static_cast<uint16_t>(bound);
    impl_->server = std::move(server);
    auto ended = std::make_shared<std::atomic<bool>>(false);
    impl_->thread = std::thread([s = impl_->server.get(), ended] {
        s->listen_after_bind();
        *ended = true;
    });
    // httplib's stop() does nothing to a server whose loop has not begun (that loop would
    // then run for ever): return once it runs.
    while (!impl_->server->is_running() && !*ended)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (*ended) {
        impl_->thread.join();
        impl_->server.reset();
        impl_->port = 0;
        throw RuntimeError("host API: cannot serve on " + host + ":" + std::to_string(bound));
    }
    spdlog::info("host API of {} on {}:{}{}", impl_->host.name(), host, impl_->port,
                 tls ? " (mutual TLS)" : "");
}

uint16_t HostApiServer::port() const {
    return impl_->port;
}

void HostApiServer::stop() {
    if (!impl_->server)
        return;
    impl_->streams.close_all();
    impl_->server->stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
    impl_->server.reset();
    impl_->port = 0;
}

}  // namespace chima::agent
