#pragma once

#include <optional>
#include <string>

typedef struct x509_st X509;

namespace wl::net::detail {

// base64 of the SHA-256 of the certificate's DER SubjectPublicKeyInfo (the form of
// Chromium's --ignore-certificate-errors-spki-list and of ClientOptions::certificate_pin),
// or nullopt if it has no public key. Does not take ownership.
std::optional<std::string> spki_sha256_base64(X509* certificate);

}  // namespace wl::net::detail
