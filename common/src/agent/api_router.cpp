#include "api_router.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "chima/error.hpp"
#include "chima/remote/host_api_json.hpp"

namespace chima::agent {

namespace {

// "/v1/flows/a/b" -> v1 flows a b; an empty segment ("//", a trailing "/") is kept, and no
// route has one.
std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    size_t start = path.starts_with('/') ? 1 : 0;
    if (start >= path.size())
        return out;
    for (;;) {
        size_t slash = path.find('/', start);
        out.push_back(path.substr(start, slash - start));
        if (slash == std::string::npos)
            return out;
        start = slash + 1;
    }
}

bool is_parameter(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void reply_error(httplib::Response& res, int status, const std::string& message,
                 const std::string& field) {
    res.status = status;
    res.set_content(remote::to_json(remote::ApiError{message, field}).dump(), "application/json");
}

void ApiRouter::add(const std::string& method, const std::string& pattern, Handler handler) {
    routes_.push_back({method, split_path(pattern), std::move(handler)});
}

bool ApiRouter::match(const Route& route, const std::vector<std::string>& path,
                      Params& params) const {
    if (route.segments.size() != path.size())
        return false;
    Params found;
    for (size_t i = 0; i < path.size(); ++i) {
        const auto& want = route.segments[i];
        if (is_parameter(want)) {
            if (path[i].empty())
                return false;
            found[want.substr(1, want.size() - 2)] = path[i];
        } else if (want != path[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

void ApiRouter::dispatch(const httplib::Request& req, httplib::Response& res) const {
    auto path = split_path(req.path);
    // HEAD is GET without the body (httplib leaves the body out).
    std::string method = req.method == "HEAD" ? "GET" : req.method;
    std::set<std::string> allowed;
    for (const auto& route : routes_) {
        Params params;
        if (!match(route, path, params))
            continue;
        if (route.method != method) {
            allowed.insert(route.method);
            continue;
        }
        try {
            route.handler(req, res, params);
        } catch (const ApiFailure& e) {
            reply_error(res, e.status(), e.what(), e.field());
        } catch (const InputError& e) {
            auto error = remote::api_error_from(e);
            reply_error(res, 400, error.error, error.field);
        } catch (const RuntimeError& e) {
            // The device (or its container engine) refused what was asked.
            reply_error(res, 502, e.what());
        } catch (const std::exception& e) {
            spdlog::error("host API {} {}: {}", req.method, req.path, e.what());
            reply_error(res, 500, e.what());
        }
        return;
    }
    if (allowed.empty()) {
        reply_error(res, 404, "no such resource: " + req.path);
        return;
    }
    std::string allow;
    for (const auto& m : allowed)
        allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    reply_error(res, 405,
                req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
}

}  // namespace chima::agent
