#include "http_transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include <nlohmann/json.hpp>

#include "chima/error.hpp"
#include "chima/host_port.hpp"
#include "chima/remote/host_api_json.hpp"

namespace chima::remote::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// An answer larger than this is not the host API's (its largest, a list of instances, is a
// few kilobytes per instance).
constexpr size_t kMaxAnswerBytes = 16 << 20;
// Handles kept for reuse, each with its connection. Few: the agent (cpp-httplib) gives a
// kept-alive connection a worker thread of its own while it idles.
constexpr size_t kMaxIdleHandles = 4;

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_answer(char* data, size_t size, size_t count, void* out) {
    auto* body = static_cast<std::string*>(out);
    if (body->size() + size * count > kMaxAnswerBytes)
        return 0;  // libcurl ends the transfer (CURLE_WRITE_ERROR)
    body->append(data, size * count);
    return size * count;
}

struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

void check_tls_files(const std::string& device, const TlsFiles& tls) {
    if (tls.ca.empty())
        throw InputError("host " + device +
                         ": TLS needs the CA that signed the agent's certificate");
    if (tls.cert.empty() != tls.key.empty())
        throw InputError("host " + device +
                         ": a TLS client certificate needs its key, and a key its certificate");
    for (const auto* path : {&tls.cert, &tls.key, &tls.ca}) {
        if (!path->empty() && ::access(path->c_str(), R_OK) != 0)
            throw InputError("host " + device + ": cannot read the TLS file " + *path);
    }
}

// A failure of the transport the request may not have reached the agent through, or whose
// answer is lost: worth another attempt of an idempotent request. A TLS alert is the agent
// refusing this client (its certificate), which another attempt does not change.
bool worth_retrying(CURLcode code, long status, const std::string& message) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
            return true;
        case CURLE_RECV_ERROR:
            return message.find("alert") == std::string::npos;
        case CURLE_OPERATION_TIMEDOUT:
            return status == 0;  // before any answer (a connect that timed out)
        default:
            return false;
    }
}

// The agent closed the connection: with mutual TLS what a refused client certificate looks
// like when the agent's alert is not read first.
bool closed_by_peer(CURLcode code) {
    return code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING ||
           code == CURLE_SSL_CONNECT_ERROR;
}

}  // namespace

struct HttpTransport::Attempt {
    CURLcode code = CURLE_OK;
    long status = 0;  // 0: no answer began
    std::string body;
    std::string error;  // libcurl's message
    long connects = 0;
};

std::string url_escape(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

HttpTransport::HttpTransport(std::string device, HostEndpoint endpoint)
    : device_(std::move(device)), endpoint_(std::move(endpoint)) {
    std::string problem;
    auto address = parse_host_port(endpoint_.address, &problem);
    if (!address)
        throw InputError("host " + device_ + ": agent address '" + endpoint_.address +
                         "': " + problem);
    if (endpoint_.tls)
        check_tls_files(device_, *endpoint_.tls);
    if (endpoint_.timeout <= milliseconds(0) || endpoint_.connect_timeout <= milliseconds(0))
        throw InputError("host " + device_ + ": the agent's timeouts must be positive");
    endpoint_.attempts = std::max(endpoint_.attempts, 1);
    base_url_ = (endpoint_.tls ? "https://" : "http://") + address->str();
    init_curl_once();
}

std::string HttpTransport::context(const HttpRequest& request) const {
    return "host " + device_ + " (" + endpoint_.address + "): " + request.method + " " +
           request.target;
}

void HttpTransport::configure(CURL* c, const std::string& method, const std::string& target) const {
    std::string url = base_url_ + target;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());  // libcurl copies strings it is given
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, endpoint_.tls ? "https" : "http");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(endpoint_.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (method == "GET")
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    else
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (endpoint_.tls) {
        const auto& tls = *endpoint_.tls;
        // Only the given CA vouches for the agent (not the system's store), and the agent's
        // certificate must name the address dialled (an IP address subjectAltName for an
        // address, a DNS name for a name).
        curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca.c_str());
        curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        if (!tls.cert.empty()) {
            curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert.c_str());
            curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
            curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key.c_str());
            curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
        }
    }
}

HttpTransport::Attempt HttpTransport::perform(CURL* c, const HttpRequest& request,
                                              milliseconds budget) const {
    Attempt attempt;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_reset(c);  // keeps the handle's open connection
    configure(c, request.method, request.target);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(budget, endpoint_.connect_timeout).count()));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &attempt.body);
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    if (request.method != "GET") {
        // Always a Content-Length (0 without a body): the agent reads a body of a PUT, POST
        // or DELETE without one until the connection closes.
        const std::string& body = request.body ? *request.body : std::string();
        headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
        headers.reset(curl_slist_append(headers.release(), "Expect:"));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body.c_str());
    }
    attempt.code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &attempt.status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &attempt.connects);
    if (attempt.code != CURLE_OK) {
        // libcurl's buffer may hold the detail of an earlier step: after its own words.
        attempt.error = curl_easy_strerror(attempt.code);
        if (error[0] != '\0')
            attempt.error += std::string(" (") + error + ")";
        if (attempt.code == CURLE_WRITE_ERROR)
            attempt.error =
                "the answer is larger than " + std::to_string(kMaxAnswerBytes) + " bytes";
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // `error` goes out of scope
    return attempt;
}

CurlHandle HttpTransport::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            CurlHandle handle = std::move(idle_.back());
            idle_.pop_back();
            return handle;
        }
    }
    CurlHandle handle(curl_easy_init());
    if (!handle)
        throw RuntimeError("host " + device_ + ": libcurl cannot create a request");
    return handle;
}

void HttpTransport::release(CurlHandle handle) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleHandles)
        idle_.push_back(std::move(handle));
}

long HttpTransport::connections_opened() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

HttpAnswer HttpTransport::send(const HttpRequest& request) {
    milliseconds timeout = request.timeout > milliseconds(0) ? request.timeout : endpoint_.timeout;
    auto deadline = Clock::now() + timeout;
    milliseconds backoff = endpoint_.retry_backoff;
    CurlHandle handle = acquire();
    for (int tried = 1;; ++tried) {
        auto budget = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        Attempt attempt = perform(handle.get(), request, std::max(budget, milliseconds(1)));
        {
            std::lock_guard lock(mutex_);
            connections_ += attempt.connects;
        }
        if (attempt.code == CURLE_OK) {
            release(std::move(handle));
            return {attempt.status, std::move(attempt.body)};
        }
        bool retry = request.idempotent && tried < endpoint_.attempts &&
                     worth_retrying(attempt.code, attempt.status, attempt.error) &&
                     Clock::now() + backoff < deadline;
        if (!retry) {
            // The handle's connection is in an unknown state: it goes with the handle.
            std::string what = attempt.code == CURLE_OPERATION_TIMEDOUT
                                   ? "no answer within " + std::to_string(timeout.count()) +
                                         " ms (" + attempt.error + ")"
                                   : attempt.error;
            std::string tries = tried > 1 ? " (" + std::to_string(tried) + " attempts)" : "";
            if (!request.idempotent && worth_retrying(attempt.code, attempt.status, attempt.error))
                tries = " (not retried: the request is not idempotent)";
            if (endpoint_.tls && closed_by_peer(attempt.code))
                what +=
                    "; the agent closed the TLS connection: does it accept this client's "
                    "certificate (signed by its CA)?";
            throw RuntimeError(context(request) + ": cannot reach the agent: " + what + tries);
        }
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
    }
}

void HttpTransport::refuse(const HttpRequest& request, const HttpAnswer& answer) const {
    ApiError error;
    try {
        error = api_error_from_json(nlohmann::json::parse(answer.body));
    } catch (const nlohmann::json::exception&) {
    }
    if (error.error.empty()) {
        // Not the host API's error document (a proxy, another server on that port).
        error.error = answer.body.substr(0, 200);
        if (error.error.empty())
            error.error = "(no message)";
    }
    std::string message = context(request) + ": " + std::to_string(answer.status) + " " +
                          (error.field.empty() ? "" : error.field + ": ") + error.error;
    if (answer.status == 400)
        throw InputError(message);
    throw RuntimeError(message);
}

}  // namespace chima::remote::detail
