#include "chima/agent/agent.hpp"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <spdlog/spdlog.h>

#include "chima/agent/host_node.hpp"
#include "chima/agent/switch_node.hpp"
#include "chima/error.hpp"
#include "chima/names.hpp"
#include "chima/p4rt/p4runtime_service.hpp"
#include "chima/state_file.hpp"

namespace chima::agent {

namespace {

std::shared_ptr<grpc::ServerCredentials> credentials(const std::optional<TlsFiles>& tls) {
    if (!tls)
        return grpc::InsecureServerCredentials();
    // Mutual TLS: a client must present a certificate the CA signed.
    grpc::SslServerCredentialsOptions o(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    o.pem_root_certs = read_file(tls->ca);
    o.pem_key_cert_pairs.push_back({read_file(tls->key), read_file(tls->cert)});
    return grpc::SslServerCredentials(o);
}

// SIGTERM and SIGINT are taken by sigwait in the main thread only: blocked before any
// thread (gRPC's, the REST server's) starts, so they inherit the mask.
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

}  // namespace

void run_agent(const AgentOptions& o, const std::function<void(const nlohmann::json&)>& ready) {
    // ---- validate everything first
    check_name(o.name, "--name");
    if (!o.switch_role && !o.host_role)
        throw InputError("give a role: --switch (with --ports) and/or --host (with --uplink)");
    std::vector<SwitchPort> ports;
    if (o.switch_role) {
        if (o.ports.empty())
            throw InputError("--switch needs --ports IF1,IF2,...");
        ports = parse_switch_ports(o.ports);
        require_secure_listener("--listen", o.listen, o.tls, o.insecure);
    } else if (!o.ports.empty()) {
        throw InputError("--ports is for the switch role (--switch)");
    }
    if (o.host_role) {
        if (o.uplink.empty())
            throw InputError("--host needs --uplink IFACE");
        require_secure_listener("--api", o.api, o.tls, o.insecure);
        if (!o.net.empty())
            check_name(o.net, "--net");
        if (!o.bridge.empty() && !o.net.empty())
            throw InputError("--bridge is for a host of its own; a host of --net " + o.net +
                             " uses the network's bridge (--bridged)");
    } else if (!o.uplink.empty() || !o.bridge.empty()) {
        throw InputError("--uplink and --bridge are for the host role (--host)");
    }
    if (o.switch_role && o.host_role && o.listen.port == o.api.port && o.listen.port != 0)
        throw InputError("--listen and --api use the same port " + std::to_string(o.api.port));

    sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A client that goes away mid-answer must not kill the agent (OpenSSL and cpp-httplib
    // write to sockets the peer may have closed).
    signal(SIGPIPE, SIG_IGN);

    nlohmann::json status = {{"event", "ready"}, {"name", o.name}};

    // ---- switch role
    std::optional<SwitchNode> sw;
    std::unique_ptr<p4rt::P4RuntimeService> service;
    std::unique_ptr<grpc::Server> server;
    if (o.switch_role) {
        sw.emplace(SwitchNode::Options{o.name, ports});
        service = std::make_unique<p4rt::P4RuntimeService>(
            sw->pipeline(), p4rt::ServiceOptions{.device_id = o.device_id,
                                                 .object_dir = sw->state_dir() / "objects"});
        if (sw->adopted())
            service->restore_state(sw->kept_state());
        grpc::ServerBuilder builder;
        int bound = 0;
        builder.AddListeningPort(o.listen.str(), credentials(o.tls), &bound);
        builder.SetMaxReceiveMessageSize(static_cast<int>(o.max_message_bytes));
        builder.SetMaxSendMessageSize(static_cast<int>(o.max_message_bytes));
        builder.RegisterService(service.get());
        server = builder.BuildAndStart();
        if (!server || bound == 0)
            throw RuntimeError("cannot listen on " + o.listen.str() + " (P4Runtime)",
                               "is the port in use?");
        ListenAddress at = o.listen;
        at.port = static_cast<uint16_t>(bound);
        nlohmann::json s = sw->status();
        s["listen"] = at.str();
        s["device_id"] = o.device_id;
        s["adopted"] = sw->adopted();
        s["tls"] = o.tls.has_value();
        status["switch"] = s;
        spdlog::info("P4Runtime on {} (device {}{})", at.str(), o.device_id,
                     o.tls ? ", mutual TLS" : "");
    }

    // ---- host role
    std::optional<HostNode> host;
    if (o.host_role) {
        host.emplace(HostNode::Options{o.name, o.uplink, o.net, o.bridged, o.bridge, o.api, o.tls});
        status["host"] = host->status();
    }

    ready(status);

    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("{}: shutting down{}", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                 o.keep ? ", keeping the data plane forwarding" : "");

    if (host)
        host->release(o.keep);
    if (server) {
        service->shutdown_streams();
        server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
        server->Wait();
        sw->release(o.keep, service->save_state());
    }
}

}  // namespace chima::agent
