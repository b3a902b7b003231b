#include "tls_context.hpp"

#include <openssl/err.h>

#include <unistd.h>

namespace chima::agent {

namespace {

// The first error OpenSSL queued (and the queue cleared), for the message.
std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

}  // namespace

std::string configure_mutual_tls(SSL_CTX& ctx, const TlsFiles& files) {
    for (const auto* path : {&files.cert, &files.key, &files.ca}) {
        if (path->empty())
            return "TLS needs a certificate, its key and the clients' CA";
        if (::access(path->c_str(), R_OK) != 0)
            return "cannot read " + *path;
    }
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, files.cert.c_str()) != 1)
        return "TLS certificate " + files.cert + ": " + openssl_error();
    if (SSL_CTX_use_PrivateKey_file(&ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        return "TLS key " + files.key + ": " + openssl_error();
    if (SSL_CTX_check_private_key(&ctx) != 1)
        return "TLS key " + files.key + " does not belong to " + files.cert;
    if (SSL_CTX_load_verify_locations(&ctx, files.ca.c_str(), nullptr) != 1)
        return "TLS CA " + files.ca + ": " + openssl_error();
    // The CAs the server names to a client, so that it picks a certificate they signed.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
    if (names == nullptr)
        return "TLS CA " + files.ca + ": no certificate in it";
    SSL_CTX_set_client_CA_list(&ctx, names);
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return {};
}

}  // namespace chima::agent
