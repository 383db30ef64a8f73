#include "net/certificates.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// Local certificates with OpenSSL 3 only (no Beast here): a CA that a browser or the
// CLI can trust, and a server certificate it signs. ECDSA P-256 keeps handshakes cheap.
namespace wl::net {
namespace {

namespace fs = std::filesystem;

constexpr long kCaDays = 3650;
// Browsers reject leaf certificates valid for longer than 825 days.
constexpr long kServerDays = 825;
// A server certificate closer than this to expiry is replaced at start.
constexpr long kRenewBeforeDays = 30;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionDeleter>;

struct CertificateAndKey {
  X509Ptr certificate;
  KeyPtr key;
};

Result<std::string> read_file(const fs::path& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    return error(Code::kNotFound, "certificate or key file not found");
  }
  std::ostringstream contents;
  contents << input.rdbuf();
  if (input.bad()) {
    return error(Code::kUnavailable, "cannot read certificate or key file");
  }
  return contents.str();
}

// Writes `contents` to `path` atomically (temp file + rename) with `mode`.
Result<void> write_file(const fs::path& path, std::string_view contents, mode_t mode) {
  const fs::path temporary = path.string() + ".tmp";
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (descriptor < 0) {
    return error(Code::kUnavailable, "cannot create certificate file");
  }
  // open() honours the umask; the key must be exactly 0600 whatever the umask.
  bool written = ::fchmod(descriptor, mode) == 0;
  std::size_t offset = 0;
  while (written && offset < contents.size()) {
    const ssize_t count = ::write(descriptor, contents.data() + offset, contents.size() - offset);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    written = count > 0;
    offset += written ? static_cast<std::size_t>(count) : 0;
  }
  written = ::fsync(descriptor) == 0 && written;
  written = ::close(descriptor) == 0 && written;
  std::error_code rename_error;
  if (written) {
    fs::rename(temporary, path, rename_error);
  }
  if (!written || rename_error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return error(Code::kUnavailable, "cannot write certificate file");
  }
  return ok();
}

Result<X509Ptr> parse_certificate(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!certificate) {
    return error(Code::kInvalidArgument, "not a PEM certificate");
  }
  return certificate;
}

Result<KeyPtr> parse_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return error(Code::kInvalidArgument, "not a PEM private key");
  }
  return key;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Result<std::string> certificate_pem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return error(Code::kInternal, "cannot encode certificate");
  }
  return bio_contents(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return error(Code::kInternal, "cannot encode private key");
  }
  return bio_contents(bio.get());
}

Result<void> add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return error(Code::kInternal, "cannot add certificate extension");
  }
  return ok();
}

// Builds and signs a certificate for `key`. A null issuer makes it self-signed.
Result<X509Ptr> make_certificate(EVP_PKEY* key, const char* common_name, long days,
                                 const CertificateAndKey* issuer,
                                 const std::vector<std::pair<int, const char*>>& extensions) {
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    return error(Code::kInternal, "cannot create certificate");
  }
  // A random 159-bit serial (RFC 5280 allows up to 20 octets, positive).
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr) {
    return error(Code::kInternal, "cannot create certificate serial");
  }
  // Back-date by an hour so that small clock differences do not reject a fresh cert.
  if (X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(certificate.get()), static_cast<int>(days), 0,
                       nullptr) == nullptr) {
    return error(Code::kInternal, "cannot set certificate validity");
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const auto* organisation = reinterpret_cast<const unsigned char*>("Wardline");
  const auto* common = reinterpret_cast<const unsigned char*>(common_name);
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organisation, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common, -1, -1, 0) != 1 ||
      X509_set_pubkey(certificate.get(), key) != 1) {
    return error(Code::kInternal, "cannot set certificate subject");
  }
  X509* issuer_certificate = issuer != nullptr ? issuer->certificate.get() : certificate.get();
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : key;
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer_certificate)) != 1) {
    return error(Code::kInternal, "cannot set certificate issuer");
  }
  for (const auto& [nid, value] : extensions) {
    WL_TRY(add_extension(certificate.get(), issuer_certificate, nid, value));
  }
  if (X509_sign(certificate.get(), signing_key, EVP_sha256()) <= 0) {
    return error(Code::kInternal, "cannot sign certificate");
  }
  return certificate;
}

Result<KeyPtr> make_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) {
    return error(Code::kInternal, "cannot generate key");
  }
  return key;
}

Result<CertificateAndKey> make_ca() {
  KeyPtr key = WL_TRY(make_key());
  X509Ptr certificate = WL_TRY(make_certificate(
      key.get(), "Wardline Local CA", kCaDays, nullptr,
      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
       {NID_key_usage, "critical,keyCertSign,cRLSign"},
       {NID_subject_key_identifier, "hash"}}));
  return CertificateAndKey{std::move(certificate), std::move(key)};
}

Result<CertificateAndKey> make_server(const CertificateAndKey& ca) {
  KeyPtr key = WL_TRY(make_key());
  X509Ptr certificate = WL_TRY(make_certificate(
      key.get(), "localhost", kServerDays, &ca,
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, "critical,digitalSignature"},
       {NID_ext_key_usage, "serverAuth"},
       {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
       {NID_subject_key_identifier, "hash"},
       {NID_authority_key_identifier, "keyid:always"}}));
  return CertificateAndKey{std::move(certificate), std::move(key)};
}

Result<CertificateAndKey> load_pair(const fs::path& certificate, const fs::path& key) {
  const std::string certificate_text = WL_TRY(read_file(certificate));
  const std::string key_text = WL_TRY(read_file(key));
  X509Ptr parsed_certificate = WL_TRY(parse_certificate(certificate_text));
  KeyPtr parsed_key = WL_TRY(parse_key(key_text));
  if (X509_check_private_key(parsed_certificate.get(), parsed_key.get()) != 1) {
    return error(Code::kInvalidArgument, "private key does not match certificate");
  }
  return CertificateAndKey{std::move(parsed_certificate), std::move(parsed_key)};
}

// True if the certificate stays valid for at least kRenewBeforeDays more.
bool is_fresh(X509* certificate) {
  const std::time_t horizon = std::time(nullptr) + kRenewBeforeDays * 24 * 3600;
  std::time_t check = horizon;
  return X509_cmp_time(X509_get0_notAfter(certificate), &check) > 0;
}

bool is_signed_by(X509* certificate, const CertificateAndKey& ca) {
  return X509_verify(certificate, ca.key.get()) == 1;
}

}  // namespace

Result<LocalCertificatePaths> ensure_local_certificates(const fs::path& directory) {
  std::error_code create_error;
  fs::create_directories(directory, create_error);
  if (create_error) {
    return error(Code::kUnavailable, "cannot create certificate directory");
  }
  const LocalCertificatePaths paths{directory / "ca.pem", directory / "server.pem",
                                    directory / "server.key"};
  const fs::path ca_key_path = directory / "ca.key";

  // Keep a valid CA (clients and browsers already trust it); make a new one only if
  // it is missing or unreadable.
  Result<CertificateAndKey> ca = load_pair(paths.ca_certificate, ca_key_path);
  bool new_ca = false;
  if (!ca) {
    ca = make_ca();
    if (!ca) {
      return std::unexpected(ca.error());
    }
    WL_TRY(write_file(ca_key_path, WL_TRY(key_pem(ca->key.get())), 0600));
    WL_TRY(write_file(paths.ca_certificate, WL_TRY(certificate_pem(ca->certificate.get())), 0644));
    new_ca = true;
  }

  Result<CertificateAndKey> server = load_pair(paths.server_certificate, paths.server_key);
  if (!new_ca && server && is_fresh(server->certificate.get()) &&
      is_signed_by(server->certificate.get(), *ca)) {
    return paths;
  }
  server = make_server(*ca);
  if (!server) {
    return std::unexpected(server.error());
  }
  // The key goes first: a crash in between leaves a chain whose key mismatches, which
  // the next start detects and repairs.
  WL_TRY(write_file(paths.server_key, WL_TRY(key_pem(server->key.get())), 0600));
  const std::string chain = WL_TRY(certificate_pem(server->certificate.get())) +
                            WL_TRY(certificate_pem(ca->certificate.get()));
  WL_TRY(write_file(paths.server_certificate, chain, 0644));
  return paths;
}

Result<TlsCredentials> load_credentials(const fs::path& certificate, const fs::path& key) {
  TlsCredentials credentials;
  credentials.certificate_chain_pem = WL_TRY(read_file(certificate));
  credentials.private_key_pem = WL_TRY(read_file(key));
  X509Ptr parsed_certificate = WL_TRY(parse_certificate(credentials.certificate_chain_pem));
  KeyPtr parsed_key = WL_TRY(parse_key(credentials.private_key_pem));
  if (X509_check_private_key(parsed_certificate.get(), parsed_key.get()) != 1) {
    return error(Code::kInvalidArgument, "private key does not match certificate");
  }
  return credentials;
}

Result<std::string> spki_sha256_base64(const fs::path& certificate) {
  const std::string text = WL_TRY(read_file(certificate));
  X509Ptr parsed = WL_TRY(parse_certificate(text));
  // DER of the SubjectPublicKeyInfo, as Chromium hashes it.
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(parsed.get()), &der);
  if (length <= 0) {
    return error(Code::kInvalidArgument, "certificate has no public key");
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest, nullptr,
                                 EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) {
    return error(Code::kInternal, "cannot hash public key");
  }
  std::string encoded(4 * ((sizeof digest + 2) / 3) + 1, '\0');
  const int encoded_length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                             digest, sizeof digest);
  encoded.resize(static_cast<std::size_t>(encoded_length));
  return encoded;
}

}  // namespace wl::net
