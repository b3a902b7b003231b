// Routing of the host API: a method and a path pattern ("/v1/flows/{src}/{dst}") to a
// handler, with the answers HTTP prescribes when none fits (404 no such resource, 405 with
// Allow when the resource exists but not the method), and every exception of a handler
// turned into the JSON error answer with its status.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <httplib.h>

namespace chima::agent {

// An answer other than success, from inside a handler: its status, the message and the
// field it is about (chima/remote/host_api_json.hpp, ApiError).
class ApiFailure : public std::runtime_error {
  public:
    ApiFailure(int status, const std::string& message, std::string field = {})
        : std::runtime_error(message), status_(status), field_(std::move(field)) {}
    int status() const { return status_; }
    const std::string& field() const { return field_; }

  private:
    int status_;
    std::string field_;
};

class ApiRouter {
  public:
    using Params = std::map<std::string, std::string>;  // the {names} of the pattern
    using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Params&)>;

    void add(const std::string& method, const std::string& pattern, Handler handler);
    // Runs the handler of the request's route; answers every failure (see above).
    void dispatch(const httplib::Request& req, httplib::Response& res) const;

  private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{name}" matches one segment
        Handler handler;
    };
    bool match(const Route& route, const std::vector<std::string>& path, Params& params) const;

    std::vector<Route> routes_;
};

// Writes the JSON error answer.
void reply_error(httplib::Response& res, int status, const std::string& message,
                 const std::string& field = {});

}  // namespace chima::agent
