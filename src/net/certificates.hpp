#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "net/server.hpp"

namespace wl::net {

// Whether ensure_local_certificates kept the CA it found. Clients trust the CA, so after
// any change but kKept every client and browser must trust the new ca.pem (and should
// drop the old one).
enum class CaChange {
  kKept,                   // The CA and server certificate on disk still serve.
  kCreated,                // There was no CA (first start, or its files were lost).
  kReplacedUnconstrained,  // The CA had no name constraints (made by an older version).
  kReplacedForHostnames,   // The CA was constrained to other names than those asked for.
  kReplacedForRenewal,     // The server certificate was due for renewal, damaged or
                           // not signed by the CA; a keyless CA cannot sign another.
};

// Files of the local certificate authority and the server certificate it signed.
struct LocalCertificatePaths {
  std::filesystem::path ca_certificate;      // ca.pem: give it to clients (--ca).
  std::filesystem::path server_certificate;  // server.pem: the server's chain.
  std::filesystem::path server_key;          // server.key, mode 0600.
  CaChange ca_change = CaChange::kKept;
};

// The names a generated certificate is for when none are given: localhost, 127.0.0.1
// and ::1.
std::vector<std::string> default_local_hostnames();

// Makes sure `directory` holds a local CA (ca.pem) and a server certificate it signed
// (server.pem: leaf then CA; server.key, 0600) for exactly `hostnames`: DNS names
// ("wardline.example.org") and IPv4 or IPv6 addresses, no wildcards. The CA carries a
// critical nameConstraints extension permitting only those names (and excluding every
// DNS name or every IP address when none of that kind is given), so even a stolen CA
// key could not vouch for any other site. Its private key is made in memory, signs the
// server certificate and is destroyed: it is never written to disk. Both certificates
// are valid for 825 days.
//
// Existing files are kept while the CA's constraints equal `hostnames` and the server
// certificate is signed by it, matches its key and stays valid for 30 more days.
// Otherwise a new CA and server certificate replace them, and ca_change says why. A
// ca.key left by an older version is overwritten and removed first. Files are written
// atomically. Blocks on disk I/O.
//
// Errors: InvalidArgument for an empty list or a name that is neither a DNS name nor an
// IP address; Internal if OpenSSL fails; Unavailable on I/O errors.
Result<LocalCertificatePaths> ensure_local_certificates(
    const std::filesystem::path& directory,
    std::span<const std::string> hostnames = default_local_hostnames());

// Overwrites with zeros and removes the CA key (ca.key) that versions before name
// constraints kept in `directory`, if any; ensure_local_certificates does it too, and
// the server does it when it serves the hospital's own certificate instead. Returns
// whether there was one. Best effort against copy-on-write or flash storage and
// backups, so clients should stop trusting that CA (docs/operations.md). Blocks on disk
// I/O. Errors: Unavailable if it cannot be overwritten or removed.
Result<bool> destroy_old_ca_key(const std::filesystem::path& directory);

// What ensure_local_certificates would make for `hostnames`, in memory and with the
// CA's private key kept, so that a test can sign certificates of its own with that CA.
// PEM text. Errors: as ensure_local_certificates.
struct LocalAuthorityForTest {
  std::string ca_certificate;
  std::string ca_key;
  std::string server_chain;
  std::string server_key;
};
Result<LocalAuthorityForTest> make_local_authority_for_test(std::span<const std::string> hostnames);

// Reads a server certificate chain and its key from disk and checks them: the key
// matches the first certificate, which is valid now. Errors: NotFound (no such file),
// PermissionDenied (not readable), Unavailable (read error), InvalidArgument (not PEM,
// key does not match, certificate expired or not yet valid). Messages name the
// certificate or the key, never the path.
Result<TlsCredentials> load_credentials(const std::filesystem::path& certificate,
                                        const std::filesystem::path& key);

// base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo (for Chromium's
// --ignore-certificate-errors-spki-list). Errors: InvalidArgument.
Result<std::string> spki_sha256_base64(const std::filesystem::path& certificate);

// The same hash of the first certificate of a PEM chain (what a client pins, as
// ClientOptions::certificate_pin). Errors: InvalidArgument.
Result<std::string> certificate_pin(std::string_view certificate_pem);

}  // namespace wl::net
