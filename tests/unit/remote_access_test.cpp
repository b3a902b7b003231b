// How the tools authenticate to devices over the network: TLS files from flags or the
// environment (all three or none), the election id, the per-call timeout; bad ones are input
// errors naming the flag or variable.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "chima/error.hpp"
#include "chima/remote/network_devices.hpp"

using namespace chima;
namespace fs = std::filesystem;

namespace {

// Sets environment variables for a scope and restores them after.
class ScopedEnv {
  public:
    void set(const char* name, const char* value) {
        if (!saved_.count(name)) {
            const char* old = std::getenv(name);
            saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }

  private:
    std::map<std::string, std::optional<std::string>> saved_;
};

std::string input_error(const remote::AccessFlags& flags) {
    try {
        remote::access_from(flags);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("remote access: TLS files from flags or environment, election id, timeout") {
    ScopedEnv env;
    for (const char* v : {"CHIMA_TLS_CERT", "CHIMA_TLS_KEY", "CHIMA_TLS_CA", "CHIMA_ELECTION_ID"})
        env.set(v, nullptr);
    fs::path dir = fs::temp_directory_path() / "chima-remote-access-test";
    fs::create_directories(dir);
    for (const char* f : {"c.pem", "k.pem", "ca.pem"})
        std::ofstream(dir / f) << "x\n";

    // Nothing given: plain connections, election id 1, 5 s per call.
    auto plain = remote::access_from({});
    CHECK_FALSE(plain.tls);
    CHECK(plain.election_id == 1);
    CHECK(plain.timeout == std::chrono::milliseconds(5000));

    // All three from the environment; a flag wins over its variable.
    env.set("CHIMA_TLS_CERT", (dir / "c.pem").c_str());
    env.set("CHIMA_TLS_KEY", (dir / "k.pem").c_str());
    env.set("CHIMA_TLS_CA", (dir / "ca.pem").c_str());
    auto from_env = remote::access_from({});
    REQUIRE(from_env.tls);
    CHECK(from_env.tls->cert == (dir / "c.pem").string());
    remote::AccessFlags flags;
    flags.tls_ca = (dir / "c.pem").string();
    CHECK(remote::access_from(flags).tls->ca == (dir / "c.pem").string());

    // Some but not all: refused, naming what is wanted.
    env.set("CHIMA_TLS_KEY", nullptr);
    CHECK(input_error({}).find("--tls-key") != std::string::npos);
    // A file that cannot be read names its flag.
    env.set("CHIMA_TLS_KEY", (dir / "missing.pem").c_str());
    CHECK(input_error({}).find("--tls-key: cannot read") != std::string::npos);
    for (const char* v : {"CHIMA_TLS_CERT", "CHIMA_TLS_KEY", "CHIMA_TLS_CA"})
        env.set(v, nullptr);

    // Election id: flag, then environment; 0 and non-numbers refused.
    env.set("CHIMA_ELECTION_ID", "42");
    CHECK(remote::access_from({}).election_id == 42);
    remote::AccessFlags seven;
    seven.election_id = 7;
    CHECK(remote::access_from(seven).election_id == 7);
    env.set("CHIMA_ELECTION_ID", "4x2");
    CHECK(input_error({}).find("CHIMA_ELECTION_ID") != std::string::npos);
    env.set("CHIMA_ELECTION_ID", nullptr);
    remote::AccessFlags zero;
    zero.election_id = 0;
    CHECK(input_error(zero).find("--election-id") != std::string::npos);

    // Timeout in seconds, within (0, 3600].
    remote::AccessFlags quick;
    quick.timeout_seconds = 0.25;
    CHECK(remote::access_from(quick).timeout == std::chrono::milliseconds(250));
    quick.timeout_seconds = 0;
    CHECK(input_error(quick).find("--device-timeout") != std::string::npos);
    fs::remove_all(dir);
}
