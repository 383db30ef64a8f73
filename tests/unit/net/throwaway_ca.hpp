#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/x509.h>

// Certificates made with OpenSSL directly, not with net/certificates: a hospital's own
// CA and server certificate, or a certificate that a CA should never have signed.
namespace wl::net::testing {

struct TestKeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct TestX509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using TestKeyPtr = std::unique_ptr<EVP_PKEY, TestKeyDeleter>;
using TestX509Ptr = std::unique_ptr<X509, TestX509Deleter>;

// PEM text of a certificate and its private key.
struct PemPair {
  std::string certificate;
  std::string key;
};

// A CA that signs server certificates for any name. Not thread-safe.
class ThrowawayCa {
 public:
  // A fresh self-signed CA (ECDSA P-256) named `common_name`.
  explicit ThrowawayCa(std::string_view common_name = "Test Hospital CA");
  // An existing CA, from its PEM certificate and key (for example one that
  // make_local_authority_for_test kept the key of). Fails the test on bad PEM.
  explicit ThrowawayCa(const PemPair& ca);

  // The CA's certificate, PEM.
  std::string certificate_pem() const;

  // A server certificate for `subject_alt_names` (OpenSSL's syntax:
  // "DNS:localhost,IP:127.0.0.1"), valid from `not_before` to `not_after` relative to
  // now, with a fresh key. `certificate` holds the leaf and then this CA.
  PemPair issue(std::string_view subject_alt_names,
                std::chrono::seconds not_before = -std::chrono::hours(1),
                std::chrono::seconds not_after = std::chrono::hours(24 * 30)) const;

 private:
  TestX509Ptr certificate_;
  TestKeyPtr key_;
};

// The leaf (first certificate) of a PEM chain, parsed; nullptr if there is none.
TestX509Ptr first_certificate(std::string_view pem);

// Verifies `leaf` as a TLS server certificate chained to the single trust anchor
// `ca`, the way a client does. Returns X509_V_OK or OpenSSL's verification error.
int verify_server_certificate(X509* leaf, X509* ca);

// Small file helpers for the certificate tests: a file's text ("" if unreadable), a
// file written with `text`, and the names of a directory's entries.
std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);
std::set<std::string> files_in(const std::filesystem::path& directory);

}  // namespace wl::net::testing
