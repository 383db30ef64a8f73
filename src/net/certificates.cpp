#include "net/certificates.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/unique_fd.hpp"
#include "net/detail/certificate_pin.hpp"

// Local certificates with OpenSSL 3 only (no Beast here): a CA that a browser or the
// CLI can trust, and a server certificate it signs. ECDSA P-256 keeps handshakes cheap.
//
// A CA that browsers trust can vouch for any site unless it is constrained, and its key
// is the one secret worth stealing. So the CA is name-constrained to the server's own
// names, and its key lives only in memory for the few milliseconds it takes to sign
// the server certificate (docs/transport.md, "TLS policy").
namespace wl::net {
namespace {

namespace fs = std::filesystem;

// The CA and the server certificate live and die together: with its key gone the CA
// cannot sign a renewal, so it needs no longer life than the certificate it signed.
// Browsers (Apple's since iOS 13) reject server certificates valid for over 825 days.
constexpr long kCertificateDays = 825;
// Certificates closer than this to expiry are replaced at start.
constexpr long kRenewBeforeDays = 30;
// RFC 1035 limits.
constexpr std::size_t kMaxDnsNameLength = 253;
constexpr std::size_t kMaxDnsLabelLength = 63;

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
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
struct NameConstraintsDeleter {
  void operator()(NAME_CONSTRAINTS* constraints) const { NAME_CONSTRAINTS_free(constraints); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionDeleter>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, NameConstraintsDeleter>;

struct CertificateAndKey {
  X509Ptr certificate;
  KeyPtr key;
};

// One name a generated certificate is for.
struct HostName {
  enum class Kind { kDns, kIp };
  Kind kind;
  std::string value;  // A DNS name in lower case, or an IP address's 4 or 16 bytes.

  auto operator<=>(const HostName&) const = default;
};

// Sorted and without duplicates, so that two lists of the same names compare equal.
using HostNames = std::vector<HostName>;

HostNames normalized(HostNames names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool is_dns_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxDnsLabelLength || label.front() == '-' ||
      label.back() == '-') {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// A DNS name (letters, digits and hyphens; ASCII, so internationalised names in their
// xn-- form; no wildcards) or an IPv4 or IPv6 address, IPv6 optionally in brackets.
Result<HostName> parse_hostname(std::string_view text) {
  std::string_view bare = text;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  const std::string candidate(bare);
  unsigned char address[16] = {};
  if (::inet_pton(AF_INET, candidate.c_str(), address) == 1) {
    return HostName{HostName::Kind::kIp, std::string(reinterpret_cast<char*>(address), 4)};
  }
  if (::inet_pton(AF_INET6, candidate.c_str(), address) == 1) {
    return HostName{HostName::Kind::kIp, std::string(reinterpret_cast<char*>(address), 16)};
  }
  std::string name(text);
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (!name.empty() && name.back() == '.') {
    name.pop_back();  // The root's dot: "example.org." is "example.org".
  }
  bool is_valid = !name.empty() && name.size() <= kMaxDnsNameLength;
  std::string_view last_label;
  for (std::size_t start = 0; is_valid && start <= name.size();) {
    const std::size_t end = std::min(name.find('.', start), name.size());
    last_label = std::string_view(name).substr(start, end - start);
    is_valid = is_dns_label(last_label);
    start = end + 1;
  }
  // An all-digit last label is a mistyped IPv4 address ("10.0.1"), not a host name.
  if (!is_valid || std::all_of(last_label.begin(), last_label.end(),
                               [](char c) { return c >= '0' && c <= '9'; })) {
    return error(Code::kInvalidArgument,
                 "hostname '" + std::string(text) +
                     "' is neither a DNS name (letters, digits, hyphens; no wildcards) nor an "
                     "IP address");
  }
  return HostName{HostName::Kind::kDns, std::move(name)};
}

Result<HostNames> parse_hostnames(std::span<const std::string> hostnames) {
  if (hostnames.empty()) {
    return error(Code::kInvalidArgument, "a certificate needs at least one hostname");
  }
  HostNames names;
  for (const std::string& text : hostnames) {
    names.push_back(WL_TRY(parse_hostname(text)));
  }
  return normalized(std::move(names));
}

// Sets `name` (empty or freshly made) to a DNS name or an IP address (and mask) held
// in `bytes`.
bool set_general_name(GENERAL_NAME* name, HostName::Kind kind, std::string_view bytes) {
  ASN1_STRING* value =
      kind == HostName::Kind::kDns ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
  if (value == nullptr ||
      ASN1_STRING_set(value, bytes.data(), static_cast<int>(bytes.size())) != 1) {
    ASN1_STRING_free(value);
    return false;
  }
  GENERAL_NAME_set0_value(name, kind == HostName::Kind::kDns ? GEN_DNS : GEN_IPADD, value);
  return true;
}

// The host name a SAN entry or a name constraint holds; nullopt for other kinds of
// name. A constraint's IP address comes with a mask, which must cover the whole
// address (a single host, as the CA is made).
std::optional<HostName> host_name_of(const GENERAL_NAME* name, bool has_mask) {
  if (name->type == GEN_DNS) {
    const ASN1_IA5STRING* dns = name->d.dNSName;
    return HostName{HostName::Kind::kDns,
                    std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                static_cast<std::size_t>(ASN1_STRING_length(dns)))};
  }
  if (name->type != GEN_IPADD) {
    return std::nullopt;
  }
  const ASN1_OCTET_STRING* ip = name->d.iPAddress;
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(ip));
  const auto length = static_cast<std::size_t>(ASN1_STRING_length(ip));
  const std::size_t address_length = has_mask ? length / 2 : length;
  if (address_length != 4 && address_length != 16) {
    return std::nullopt;
  }
  if (has_mask && (length != 2 * address_length ||
                   !std::all_of(data + address_length, data + length,
                                [](char c) { return static_cast<unsigned char>(c) == 0xff; }))) {
    return std::nullopt;
  }
  return HostName{HostName::Kind::kIp, std::string(data, address_length)};
}

Result<void> add_alt_names(X509* certificate, const HostNames& names) {
  GeneralNamesPtr alt_names(GENERAL_NAMES_new());
  if (!alt_names) {
    return error(Code::kInternal, "cannot create certificate names");
  }
  for (const HostName& name : names) {
    GENERAL_NAME* entry = GENERAL_NAME_new();
    if (entry == nullptr || !set_general_name(entry, name.kind, name.value) ||
        sk_GENERAL_NAME_push(alt_names.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return error(Code::kInternal, "cannot create certificate names");
    }
  }
  if (X509_add1_ext_i2d(certificate, NID_subject_alt_name, alt_names.get(), 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return error(Code::kInternal, "cannot add certificate names");
  }
  return ok();
}

bool add_subtree(STACK_OF(GENERAL_SUBTREE) * &subtrees, HostName::Kind kind,
                 std::string_view bytes) {
  if (subtrees == nullptr) {
    subtrees = sk_GENERAL_SUBTREE_new_null();
  }
  GENERAL_SUBTREE* subtree = subtrees != nullptr ? GENERAL_SUBTREE_new() : nullptr;
  if (subtree == nullptr || !set_general_name(subtree->base, kind, bytes) ||
      sk_GENERAL_SUBTREE_push(subtrees, subtree) == 0) {
    GENERAL_SUBTREE_free(subtree);
    return false;
  }
  return true;
}

// A critical nameConstraints extension (RFC 5280 section 4.2.1.10) permitting exactly
// `names`: each DNS name (with its subdomains, as RFC 5280 defines DNS subtrees) and
// each IP address as a /32 or /128. A kind of name without a constraint would be
// unconstrained, so when no IP address is permitted all are excluded (0.0.0.0/0 and
// ::/0), and when no DNS name is, the zero-length DNS name excludes them all (the
// CA/Browser Forum's form for technically constrained CAs).
Result<void> add_name_constraints(X509* ca, const HostNames& names) {
  NameConstraintsPtr constraints(NAME_CONSTRAINTS_new());
  bool is_built = constraints != nullptr;
  bool has_dns = false;
  bool has_ip = false;
  for (const HostName& name : names) {
    if (name.kind == HostName::Kind::kDns) {
      has_dns = true;
      is_built =
          is_built && add_subtree(constraints->permittedSubtrees, HostName::Kind::kDns, name.value);
    } else {
      has_ip = true;
      const std::string address_and_mask = name.value + std::string(name.value.size(), '\xff');
      is_built = is_built &&
                 add_subtree(constraints->permittedSubtrees, HostName::Kind::kIp, address_and_mask);
    }
  }
  if (!has_ip) {
    is_built =
        is_built &&
        add_subtree(constraints->excludedSubtrees, HostName::Kind::kIp, std::string(8, '\0')) &&
        add_subtree(constraints->excludedSubtrees, HostName::Kind::kIp, std::string(32, '\0'));
  }
  if (!has_dns) {
    is_built = is_built && add_subtree(constraints->excludedSubtrees, HostName::Kind::kDns, "");
  }
  if (!is_built ||
      X509_add1_ext_i2d(ca, NID_name_constraints, constraints.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return error(Code::kInternal, "cannot add name constraints");
  }
  return ok();
}

// The names a CA's name constraints permit, or nullopt unless it has a critical
// nameConstraints extension that permits DNS names and whole IP addresses only.
std::optional<HostNames> permitted_names(X509* ca) {
  int critical = -1;
  NameConstraintsPtr constraints(static_cast<NAME_CONSTRAINTS*>(
      X509_get_ext_d2i(ca, NID_name_constraints, &critical, nullptr)));
  if (!constraints || critical != 1 || constraints->permittedSubtrees == nullptr) {
    return std::nullopt;
  }
  HostNames names;
  for (int index = 0; index < sk_GENERAL_SUBTREE_num(constraints->permittedSubtrees); ++index) {
    const GENERAL_SUBTREE* subtree =
        sk_GENERAL_SUBTREE_value(constraints->permittedSubtrees, index);
    std::optional<HostName> name = host_name_of(subtree->base, true);
    if (!name) {
      return std::nullopt;
    }
    names.push_back(std::move(*name));
  }
  return normalized(std::move(names));
}

HostNames alt_names_of(X509* certificate) {
  GeneralNamesPtr alt_names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  HostNames names;
  for (int index = 0; index < sk_GENERAL_NAME_num(alt_names.get()); ++index) {
    if (auto name = host_name_of(sk_GENERAL_NAME_value(alt_names.get(), index), false)) {
      names.push_back(std::move(*name));
    }
  }
  return normalized(std::move(names));
}

// Reads a whole file; `what` names it in errors ("certificate", "key"), never its path.
Result<std::string> read_file(const fs::path& path, std::string_view what) {
  const UniqueFd descriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!descriptor.is_open()) {
    if (errno == ENOENT) {
      return error(Code::kNotFound, std::string(what) + " file not found");
    }
    if (errno == EACCES || errno == EPERM) {
      return error(Code::kPermissionDenied, std::string(what) + " file not readable");
    }
    return error(Code::kUnavailable, "cannot open " + std::string(what) + " file");
  }
  std::string contents;
  char buffer[4096];
  for (;;) {
    const ssize_t count = ::read(descriptor.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return error(Code::kUnavailable, "cannot read " + std::string(what) + " file");
    }
    if (count == 0) {
      return contents;
    }
    contents.append(buffer, static_cast<std::size_t>(count));
  }
}

bool write_all(int descriptor, std::string_view contents) {
  std::size_t offset = 0;
  while (offset < contents.size()) {
    const ssize_t count = ::write(descriptor, contents.data() + offset, contents.size() - offset);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      return false;
    }
    offset += static_cast<std::size_t>(count);
  }
  return true;
}

// Writes `contents` to `path` atomically (temp file + rename) with `mode`.
Result<void> write_file(const fs::path& path, std::string_view contents, mode_t mode) {
  const fs::path temporary = path.string() + ".tmp";
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (descriptor < 0) {
    return error(Code::kUnavailable, "cannot create certificate file");
  }
  // open() honours the umask; the key must be exactly 0600 whatever the umask.
  bool written = ::fchmod(descriptor, mode) == 0 && write_all(descriptor, contents);
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

// Overwrites a regular file with zeros, flushes that to disk and removes the file, so
// that a key it held is not simply left in free blocks. Best effort against the
// storage underneath: copy-on-write file systems, flash wear levelling, snapshots and
// backups can keep old copies, which is why a key that was ever on disk is also
// retired (docs/operations.md). Returns whether there was a file; a symlink is
// removed without touching its target.
Result<bool> destroy_file(const fs::path& path) {
  const UniqueFd descriptor(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!descriptor.is_open() && errno == ENOENT) {
    return false;
  }
  struct stat info {};
  if (descriptor.is_open() && ::fstat(descriptor.get(), &info) == 0 && S_ISREG(info.st_mode)) {
    const std::string zeros(4096, '\0');
    bool is_overwritten = true;
    for (off_t left = info.st_size; is_overwritten && left > 0;) {
      const auto chunk = static_cast<std::size_t>(std::min<off_t>(left, 4096));
      is_overwritten = write_all(descriptor.get(), std::string_view(zeros).substr(0, chunk));
      left -= static_cast<off_t>(chunk);
    }
    if (!is_overwritten || ::fsync(descriptor.get()) != 0) {
      return error(Code::kUnavailable, "cannot overwrite the old CA key");
    }
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return error(Code::kUnavailable, "cannot remove the old CA key");
  }
  // Make the removal itself durable.
  const UniqueFd directory(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.is_open()) {
    (void)::fsync(directory.get());
  }
  return true;
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

// Builds an unsigned certificate for `key`, valid for kCertificateDays, with
// `extensions` (OpenSSL's configuration syntax), issued by `issuer` (null: by itself).
Result<X509Ptr> make_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
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
      X509_time_adj_ex(X509_getm_notAfter(certificate.get()), static_cast<int>(kCertificateDays), 0,
                       nullptr) == nullptr) {
    return error(Code::kInternal, "cannot set certificate validity");
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const auto* organisation = reinterpret_cast<const unsigned char*>("Wardline");
  const auto* common = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organisation, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common, -1, -1, 0) != 1 ||
      X509_set_pubkey(certificate.get(), key) != 1) {
    return error(Code::kInternal, "cannot set certificate subject");
  }
  X509* issuer_certificate = issuer != nullptr ? issuer : certificate.get();
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer_certificate)) != 1) {
    return error(Code::kInternal, "cannot set certificate issuer");
  }
  for (const auto& [nid, value] : extensions) {
    WL_TRY(add_extension(certificate.get(), issuer_certificate, nid, value));
  }
  return certificate;
}

Result<void> sign(X509* certificate, EVP_PKEY* key) {
  if (X509_sign(certificate, key, EVP_sha256()) <= 0) {
    return error(Code::kInternal, "cannot sign certificate");
  }
  return ok();
}

Result<KeyPtr> make_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) {
    return error(Code::kInternal, "cannot generate key");
  }
  return key;
}

// "Wardline local CA 2025-06-02 14:03:12 UTC": each CA has its own name, so a user
// who must trust a new one can tell it from the old one in a device's list.
std::string ca_common_name() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  char stamp[32] = {};
  if (::gmtime_r(&now, &utc) == nullptr ||
      std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", &utc) == 0) {
    return "Wardline local CA";
  }
  return std::string("Wardline local CA ") + stamp;
}

Result<CertificateAndKey> make_ca(const HostNames& names) {
  KeyPtr key = WL_TRY(make_key());
  X509Ptr certificate =
      WL_TRY(make_certificate(key.get(), ca_common_name(), nullptr,
                              {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                               {NID_key_usage, "critical,keyCertSign,cRLSign"},
                               {NID_subject_key_identifier, "hash"}}));
  WL_TRY(add_name_constraints(certificate.get(), names));
  WL_TRY(sign(certificate.get(), key.get()));
  return CertificateAndKey{std::move(certificate), std::move(key)};
}

// The subject's common name is not a host name (clients match the SAN only), so that
// it is never checked against the CA's name constraints.
Result<CertificateAndKey> make_server(const CertificateAndKey& ca, const HostNames& names) {
  KeyPtr key = WL_TRY(make_key());
  X509Ptr certificate = WL_TRY(make_certificate(key.get(), "Wardline server", ca.certificate.get(),
                                                {{NID_basic_constraints, "critical,CA:FALSE"},
                                                 {NID_key_usage, "critical,digitalSignature"},
                                                 {NID_ext_key_usage, "serverAuth"},
                                                 {NID_subject_key_identifier, "hash"},
                                                 {NID_authority_key_identifier, "keyid:always"}}));
  WL_TRY(add_alt_names(certificate.get(), names));
  WL_TRY(sign(certificate.get(), ca.key.get()));
  return CertificateAndKey{std::move(certificate), std::move(key)};
}

Result<CertificateAndKey> load_pair(const fs::path& certificate, const fs::path& key) {
  const std::string certificate_text = WL_TRY(read_file(certificate, "certificate"));
  const std::string key_text = WL_TRY(read_file(key, "key"));
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

// Whether the files in `paths` can stay for `names`, and if not, why.
CaChange assess(const LocalCertificatePaths& paths, const HostNames& names) {
  Result<std::string> ca_text = read_file(paths.ca_certificate, "certificate");
  Result<X509Ptr> ca = ca_text ? parse_certificate(*ca_text) : std::unexpected(ca_text.error());
  if (!ca) {
    return CaChange::kCreated;
  }
  const std::optional<HostNames> permitted = permitted_names(ca->get());
  if (!permitted) {
    return CaChange::kReplacedUnconstrained;
  }
  if (*permitted != names) {
    return CaChange::kReplacedForHostnames;
  }
  Result<CertificateAndKey> server = load_pair(paths.server_certificate, paths.server_key);
  if (!server || !is_fresh(ca->get()) || !is_fresh(server->certificate.get()) ||
      X509_verify(server->certificate.get(), X509_get0_pubkey(ca->get())) != 1 ||
      alt_names_of(server->certificate.get()) != names) {
    return CaChange::kReplacedForRenewal;
  }
  return CaChange::kKept;
}

}  // namespace

Result<bool> destroy_old_ca_key(const fs::path& directory) {
  const bool had_key = WL_TRY(destroy_file(directory / "ca.key"));
  const bool had_temporary = WL_TRY(destroy_file(directory / "ca.key.tmp"));
  return had_key || had_temporary;
}

std::vector<std::string> default_local_hostnames() { return {"localhost", "127.0.0.1", "::1"}; }

Result<LocalCertificatePaths> ensure_local_certificates(const fs::path& directory,
                                                        std::span<const std::string> hostnames) {
  const HostNames names = WL_TRY(parse_hostnames(hostnames));
  std::error_code create_error;
  fs::create_directories(directory, create_error);
  if (create_error) {
    return error(Code::kUnavailable, "cannot create certificate directory");
  }
  LocalCertificatePaths paths{directory / "ca.pem", directory / "server.pem",
                              directory / "server.key"};
  // That CA has no name constraints, so assess() below replaces it.
  WL_TRY(destroy_old_ca_key(directory));

  paths.ca_change = assess(paths, names);
  if (paths.ca_change == CaChange::kKept) {
    return paths;
  }
  // The CA's key exists only in this scope: it signs the server certificate and is
  // freed on return (OpenSSL clears EC private keys when freeing them).
  CertificateAndKey ca = WL_TRY(make_ca(names));
  CertificateAndKey server = WL_TRY(make_server(ca, names));
  // Any crash in between leaves files that assess() rejects at the next start (a key
  // that does not match, or a chain not signed by ca.pem), which then starts over.
  WL_TRY(write_file(paths.server_key, WL_TRY(key_pem(server.key.get())), 0600));
  const std::string ca_pem = WL_TRY(certificate_pem(ca.certificate.get()));
  WL_TRY(write_file(paths.server_certificate,
                    WL_TRY(certificate_pem(server.certificate.get())) + ca_pem, 0644));
  WL_TRY(write_file(paths.ca_certificate, ca_pem, 0644));
  return paths;
}

Result<LocalAuthorityForTest> make_local_authority_for_test(
    std::span<const std::string> hostnames) {
  const HostNames names = WL_TRY(parse_hostnames(hostnames));
  CertificateAndKey ca = WL_TRY(make_ca(names));
  CertificateAndKey server = WL_TRY(make_server(ca, names));
  const std::string ca_pem = WL_TRY(certificate_pem(ca.certificate.get()));
  return LocalAuthorityForTest{ca_pem, WL_TRY(key_pem(ca.key.get())),
                               WL_TRY(certificate_pem(server.certificate.get())) + ca_pem,
                               WL_TRY(key_pem(server.key.get()))};
}

Result<TlsCredentials> load_credentials(const fs::path& certificate, const fs::path& key) {
  TlsCredentials credentials;
  credentials.certificate_chain_pem = WL_TRY(read_file(certificate, "certificate"));
  credentials.private_key_pem = WL_TRY(read_file(key, "key"));
  X509Ptr parsed_certificate = WL_TRY(parse_certificate(credentials.certificate_chain_pem));
  KeyPtr parsed_key = WL_TRY(parse_key(credentials.private_key_pem));
  if (X509_check_private_key(parsed_certificate.get(), parsed_key.get()) != 1) {
    return error(Code::kInvalidArgument, "private key does not match certificate");
  }
  // Serving an expired certificate would only make every client fail its handshake.
  std::time_t now = std::time(nullptr);
  if (X509_cmp_time(X509_get0_notAfter(parsed_certificate.get()), &now) <= 0) {
    return error(Code::kInvalidArgument, "certificate has expired");
  }
  if (X509_cmp_time(X509_get0_notBefore(parsed_certificate.get()), &now) >= 0) {
    return error(Code::kInvalidArgument, "certificate is not valid yet");
  }
  return credentials;
}

namespace detail {

std::optional<std::string> spki_sha256_base64(X509* certificate) {
  // DER of the SubjectPublicKeyInfo, as Chromium hashes it.
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
  if (length <= 0) {
    return std::nullopt;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest, nullptr,
                                 EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!hashed) {
    return std::nullopt;
  }
  std::string encoded(4 * ((sizeof digest + 2) / 3) + 1, '\0');
  const int encoded_length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), digest, sizeof digest);
  encoded.resize(static_cast<std::size_t>(encoded_length));
  return encoded;
}

}  // namespace detail

Result<std::string> spki_sha256_base64(const fs::path& certificate) {
  const std::string text = WL_TRY(read_file(certificate, "certificate"));
  return certificate_pin(text);
}

Result<std::string> certificate_pin(std::string_view certificate_pem) {
  X509Ptr parsed = WL_TRY(parse_certificate(certificate_pem));
  auto pin = detail::spki_sha256_base64(parsed.get());
  if (!pin) {
    return error(Code::kInvalidArgument, "certificate has no public key");
  }
  return std::move(*pin);
}

}  // namespace wl::net
