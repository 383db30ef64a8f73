#pragma once

#include <filesystem>
#include <string>

#include "core/status.hpp"
#include "net/server.hpp"

namespace wl::net {

// Files of the local certificate authority and the server certificate it signs.
struct LocalCertificatePaths {
  std::filesystem::path ca_certificate;      // ca.pem: give it to clients (--ca).
  std::filesystem::path server_certificate;  // server.pem: the server's chain.
  std::filesystem::path server_key;          // server.key, mode 0600.
};

// Creates, if absent, a local CA (ECDSA P-256, 10 years) and a server certificate it
// signs (ECDSA P-256, 825 days, SAN localhost, 127.0.0.1, ::1) in `directory`.
// Existing files are kept. Errors: Internal if OpenSSL fails; Unavailable on I/O errors.
Result<LocalCertificatePaths> ensure_local_certificates(const std::filesystem::path& directory);

// Reads the server certificate chain and key from disk. Errors: NotFound, InvalidArgument.
Result<TlsCredentials> load_credentials(const std::filesystem::path& certificate,
                                        const std::filesystem::path& key);

// base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo (for Chromium's
// --ignore-certificate-errors-spki-list). Errors: InvalidArgument.
Result<std::string> spki_sha256_base64(const std::filesystem::path& certificate);

}  // namespace wl::net
