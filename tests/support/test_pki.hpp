// A throwaway PKI for TLS tests, made with the openssl command line: a CA, certificates it
// signs for 127.0.0.1 (server and client), and a stranger signed by another CA.
//
//   TestPki pki;                 // in a fresh temporary directory, removed at the end
//   if (!pki.ok) skip...;        // openssl missing
//   pki.file("server.pem"), pki.file("client.key"), pki.file("ca.pem")
//
// The address is also each certificate's common name: cpp-httplib 0.11's client never
// matches an IP address subjectAltName and falls back to the common name.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "chima/process/child_process.hpp"

namespace chima::test {

class TestPki {
  public:
    TestPki() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "chima-pki-XXXXXX").string();
        dir_ = ::mkdtemp(tmpl.data());
        ok = make("ca", "") && make("server", "ca") && make("client", "ca") &&
             make("other-ca", "") && make("stranger", "other-ca");
    }
    ~TestPki() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;

    std::string file(const std::string& name) const { return (dir_ / name).string(); }
    std::string read(const std::string& name) const {
        std::ifstream in(file(name));
        return {std::istreambuf_iterator<char>(in), {}};
    }

    bool ok = false;

  private:
    bool openssl(std::vector<std::string> args) const {
        args.insert(args.begin(), "openssl");
        process::Spec spec;
        spec.argv = args;
        spec.cwd = dir_.string();
        return process::run(spec).status.ok();
    }
    // <name>.key and <name>.pem: a P-256 key and its certificate for 127.0.0.1, signed by
    // <ca> (self-signed when ca is empty).
    bool make(const std::string& name, const std::string& ca) const {
        if (!openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                      name + ".key"}))
            return false;
        if (ca.empty())
            return openssl({"req", "-x509", "-new", "-key", name + ".key", "-out", name + ".pem",
                            "-days", "1", "-subj", "/CN=" + name});
        std::ofstream(dir_ / (name + ".ext")) << "subjectAltName=IP:127.0.0.1\n";
        return openssl({"req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj",
                        "/CN=127.0.0.1"}) &&
               openssl({"x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
                        ca + ".key", "-CAcreateserial", "-days", "1", "-extfile", name + ".ext",
                        "-out", name + ".pem"});
    }

    std::filesystem::path dir_;
};

}  // namespace chima::test
