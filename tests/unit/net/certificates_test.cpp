#include "net/certificates.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit/net/net_test_support.hpp"
#include "unit/net/throwaway_ca.hpp"

namespace wl::net {
namespace {

namespace fs = std::filesystem;
using testing::files_in;
using testing::PemPair;
using testing::read_text;
using testing::TempDirectory;
using testing::ThrowawayCa;
using testing::verify_server_certificate;
using testing::write_text;

struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr load_certificate(const fs::path& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return nullptr;
  }
  X509Ptr certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  return certificate;
}

X509Ptr load_certificate_text(const std::string& pem) {
  return X509Ptr(testing::first_certificate(pem).release());
}

// Verifies `leaf` against `ca` as a TLS server certificate, the way a client does.
bool verifies(X509* leaf, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER);
  const bool ok = X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return ok;
}

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 0777;
}

// A general name as text: "DNS:localhost", "IP:127.0.0.1/32", "IP:::1/128".
std::string name_text(const GENERAL_NAME* name) {
  if (name->type == GEN_DNS) {
    const ASN1_IA5STRING* dns = name->d.dNSName;
    return "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                static_cast<std::size_t>(ASN1_STRING_length(dns)));
  }
  if (name->type == GEN_IPADD) {
    const ASN1_OCTET_STRING* bytes = name->d.iPAddress;
    const auto* data = ASN1_STRING_get0_data(bytes);
    const int length = ASN1_STRING_length(bytes);
    // In a SAN: the address; in a name constraint: the address and then its mask.
    const bool has_mask = length == 8 || length == 32;
    const int address_length = has_mask ? length / 2 : length;
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(address_length == 4 ? AF_INET : AF_INET6, data, text, sizeof text);
    std::string result = "IP:" + std::string(text);
    if (has_mask) {
      int prefix = 0;
      for (int index = address_length; index < length; ++index) {
        prefix += std::popcount(static_cast<unsigned>(data[index]));
      }
      result += "/" + std::to_string(prefix);
    }
    return result;
  }
  return "other";
}

// The nameConstraints extension of a certificate, as text.
struct Constraints {
  bool is_present = false;
  bool is_critical = false;
  std::set<std::string> permitted;
  std::set<std::string> excluded;
};

Constraints constraints_of(X509* certificate) {
  Constraints result;
  int critical = -1;
  auto* constraints = static_cast<NAME_CONSTRAINTS*>(
      X509_get_ext_d2i(certificate, NID_name_constraints, &critical, nullptr));
  if (constraints == nullptr) {
    return result;
  }
  result.is_present = true;
  result.is_critical = critical == 1;
  for (int index = 0; index < sk_GENERAL_SUBTREE_num(constraints->permittedSubtrees); ++index) {
    result.permitted.insert(
        name_text(sk_GENERAL_SUBTREE_value(constraints->permittedSubtrees, index)->base));
  }
  for (int index = 0; index < sk_GENERAL_SUBTREE_num(constraints->excludedSubtrees); ++index) {
    result.excluded.insert(
        name_text(sk_GENERAL_SUBTREE_value(constraints->excludedSubtrees, index)->base));
  }
  NAME_CONSTRAINTS_free(constraints);
  return result;
}

// The subjectAltName entries of a certificate, as text.
std::set<std::string> alt_names_of(X509* certificate) {
  std::set<std::string> result;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int index = 0; index < sk_GENERAL_NAME_num(names); ++index) {
    result.insert(name_text(sk_GENERAL_NAME_value(names, index)));
  }
  GENERAL_NAMES_free(names);
  return result;
}

// An OpenSSL verification error as text, for failure messages.
std::string verify_text(int error) { return X509_verify_cert_error_string(error); }

TEST(LocalCertificatesTest, CreatesCaAndServerCertificateForLoopbackNames) {
  TempDirectory directory;
  auto paths = ensure_local_certificates(directory.path());
  ASSERT_TRUE(paths) << paths.error().to_string();

  X509Ptr ca = load_certificate(paths->ca_certificate);
  X509Ptr server = load_certificate(paths->server_certificate);
  ASSERT_TRUE(ca);
  ASSERT_TRUE(server);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_TRUE(verifies(server.get(), ca.get()));
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(server.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER, XKU_SSL_SERVER);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(server.get())), EVP_PKEY_EC);

  EXPECT_EQ(mode_of(paths->server_key), 0600U);
  EXPECT_TRUE(load_credentials(paths->server_certificate, paths->server_key));
  EXPECT_EQ(paths->ca_change, CaChange::kCreated);
}

TEST(LocalCertificatesTest, CaIsNameConstrainedToTheDefaultNames) {
  TempDirectory directory;
  auto paths = ensure_local_certificates(directory.path());
  ASSERT_TRUE(paths) << paths.error().to_string();

  X509Ptr ca = load_certificate(paths->ca_certificate);
  ASSERT_TRUE(ca);
  const Constraints constraints = constraints_of(ca.get());
  ASSERT_TRUE(constraints.is_present);
  EXPECT_TRUE(constraints.is_critical);
  EXPECT_EQ(constraints.permitted,
            (std::set<std::string>{"DNS:localhost", "IP:127.0.0.1/32", "IP:::1/128"}));
  EXPECT_TRUE(constraints.excluded.empty());
}

TEST(LocalCertificatesTest, HostnamesBecomeTheServerNamesAndTheCaConstraints) {
  TempDirectory directory;
  const std::vector<std::string> hostnames{"Wardline.Example.org", "10.1.2.3", "fd00::7"};
  auto paths = ensure_local_certificates(directory.path(), hostnames);
  ASSERT_TRUE(paths) << paths.error().to_string();

  X509Ptr ca = load_certificate(paths->ca_certificate);
  X509Ptr server = load_certificate(paths->server_certificate);
  ASSERT_TRUE(ca);
  ASSERT_TRUE(server);
  EXPECT_EQ(alt_names_of(server.get()),
            (std::set<std::string>{"DNS:wardline.example.org", "IP:10.1.2.3", "IP:fd00::7"}));
  EXPECT_EQ(X509_check_host(server.get(), "wardline.example.org", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(verify_server_certificate(server.get(), ca.get()), X509_V_OK);

  const Constraints constraints = constraints_of(ca.get());
  EXPECT_TRUE(constraints.is_critical);
  EXPECT_EQ(constraints.permitted, (std::set<std::string>{"DNS:wardline.example.org",
                                                          "IP:10.1.2.3/32", "IP:fd00::7/128"}));
  EXPECT_TRUE(constraints.excluded.empty());
}

TEST(LocalCertificatesTest, NamesOfOneKindOnlyExcludeEveryNameOfTheOther) {
  // Without a constraint of a kind, RFC 5280 lets a CA vouch for every name of that
  // kind: a CA for DNS names must exclude all IP addresses, and the other way round.
  TempDirectory dns_directory;
  const std::vector<std::string> dns_only{"wardline.example.org"};
  auto dns_paths = ensure_local_certificates(dns_directory.path(), dns_only);
  ASSERT_TRUE(dns_paths) << dns_paths.error().to_string();
  X509Ptr dns_ca = load_certificate(dns_paths->ca_certificate);
  const Constraints dns_constraints = constraints_of(dns_ca.get());
  EXPECT_EQ(dns_constraints.permitted, (std::set<std::string>{"DNS:wardline.example.org"}));
  EXPECT_EQ(dns_constraints.excluded, (std::set<std::string>{"IP:0.0.0.0/0", "IP:::/0"}));

  TempDirectory ip_directory;
  const std::vector<std::string> ip_only{"192.168.0.10"};
  auto ip_paths = ensure_local_certificates(ip_directory.path(), ip_only);
  ASSERT_TRUE(ip_paths) << ip_paths.error().to_string();
  X509Ptr ip_ca = load_certificate(ip_paths->ca_certificate);
  const Constraints ip_constraints = constraints_of(ip_ca.get());
  EXPECT_EQ(ip_constraints.permitted, (std::set<std::string>{"IP:192.168.0.10/32"}));
  // The zero-length DNS name excludes every DNS name (CA/Browser Forum practice).
  EXPECT_EQ(ip_constraints.excluded, (std::set<std::string>{"DNS:"}));
}

TEST(LocalCertificatesTest, LeavesNoCaPrivateKeyOnDisk) {
  TempDirectory directory;
  auto paths = ensure_local_certificates(directory.path());
  ASSERT_TRUE(paths) << paths.error().to_string();
  EXPECT_EQ(files_in(directory.path()),
            (std::set<std::string>{"ca.pem", "server.pem", "server.key"}));
}

TEST(LocalCertificatesTest, CaCannotVouchForNamesOutsideItsConstraints) {
  // The same code path as ensure_local_certificates, with the CA's key kept so that
  // the test can sign what an attacker holding that key would.
  auto authority = make_local_authority_for_test(default_local_hostnames());
  ASSERT_TRUE(authority) << authority.error().to_string();
  const ThrowawayCa stolen(PemPair{authority->ca_certificate, authority->ca_key});
  X509Ptr ca = load_certificate_text(authority->ca_certificate);
  ASSERT_TRUE(ca);

  // What the CA may sign still verifies, so the refusals below are the constraints'.
  auto allowed = testing::first_certificate(stolen.issue("DNS:localhost,IP:127.0.0.1").certificate);
  EXPECT_EQ(verify_server_certificate(allowed.get(), ca.get()), X509_V_OK);
  auto sub_domain = testing::first_certificate(stolen.issue("DNS:app.localhost").certificate);
  EXPECT_EQ(verify_server_certificate(sub_domain.get(), ca.get()), X509_V_OK);

  auto evil = testing::first_certificate(stolen.issue("DNS:evil.example").certificate);
  const int evil_result = verify_server_certificate(evil.get(), ca.get());
  EXPECT_EQ(evil_result, X509_V_ERR_PERMITTED_VIOLATION) << verify_text(evil_result);
  auto bank =
      testing::first_certificate(stolen.issue("DNS:localhost,DNS:bank.example").certificate);
  const int bank_result = verify_server_certificate(bank.get(), ca.get());
  EXPECT_EQ(bank_result, X509_V_ERR_PERMITTED_VIOLATION) << verify_text(bank_result);
  auto address = testing::first_certificate(stolen.issue("IP:93.184.216.34").certificate);
  const int address_result = verify_server_certificate(address.get(), ca.get());
  EXPECT_EQ(address_result, X509_V_ERR_PERMITTED_VIOLATION) << verify_text(address_result);
}

TEST(LocalCertificatesTest, DnsOnlyCaCannotVouchForAnyIpAddress) {
  const std::vector<std::string> hostnames{"wardline.example.org"};
  auto authority = make_local_authority_for_test(hostnames);
  ASSERT_TRUE(authority) << authority.error().to_string();
  const ThrowawayCa stolen(PemPair{authority->ca_certificate, authority->ca_key});
  X509Ptr ca = load_certificate_text(authority->ca_certificate);

  auto allowed = testing::first_certificate(stolen.issue("DNS:wardline.example.org").certificate);
  EXPECT_EQ(verify_server_certificate(allowed.get(), ca.get()), X509_V_OK);
  auto address = testing::first_certificate(stolen.issue("IP:10.0.0.1").certificate);
  const int address_result = verify_server_certificate(address.get(), ca.get());
  EXPECT_EQ(address_result, X509_V_ERR_EXCLUDED_VIOLATION) << verify_text(address_result);
}

TEST(LocalCertificatesTest, RejectsInvalidHostnames) {
  TempDirectory directory;
  const std::vector<std::string> invalid{"",
                                         "*.example.org",
                                         "exa mple.org",
                                         "-bad.example.org",
                                         "bad-.example.org",
                                         "a..b",
                                         "1.2.3",
                                         "under_score.org",
                                         "ex\xc3\xa4mple.org",
                                         std::string(64, 'a') + ".org",
                                         "10.0.0.1/8"};
  for (const std::string& name : invalid) {
    const std::vector<std::string> hostnames{name};
    auto paths = ensure_local_certificates(directory.path(), hostnames);
    ASSERT_FALSE(paths) << name;
    EXPECT_EQ(paths.error().code(), Code::kInvalidArgument) << name;
  }
  auto none = ensure_local_certificates(directory.path(), std::span<const std::string>());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(files_in(directory.path()).empty());
}

TEST(LocalCertificatesTest, ReplacesACaWithoutNameConstraintsAndDestroysItsKey) {
  // A data directory from before name constraints: an unconstrained CA whose key
  // sits beside the server key.
  TempDirectory directory;
  const ThrowawayCa old_ca("Wardline Local CA");
  const PemPair old_server = old_ca.issue("DNS:localhost,IP:127.0.0.1,IP:::1");
  write_text(directory.path() / "ca.pem", old_ca.certificate_pem());
  write_text(directory.path() / "ca.key", "-----BEGIN PRIVATE KEY-----\nsecret\n");
  write_text(directory.path() / "server.pem", old_server.certificate);
  write_text(directory.path() / "server.key", old_server.key);

  auto paths = ensure_local_certificates(directory.path());
  ASSERT_TRUE(paths) << paths.error().to_string();
  EXPECT_EQ(paths->ca_change, CaChange::kReplacedUnconstrained);
  EXPECT_EQ(files_in(directory.path()),
            (std::set<std::string>{"ca.pem", "server.pem", "server.key"}));
  EXPECT_NE(read_text(paths->ca_certificate), old_ca.certificate_pem());
  X509Ptr ca = load_certificate(paths->ca_certificate);
  X509Ptr server = load_certificate(paths->server_certificate);
  EXPECT_TRUE(constraints_of(ca.get()).is_critical);
  EXPECT_EQ(verify_server_certificate(server.get(), ca.get()), X509_V_OK);
  EXPECT_TRUE(load_credentials(paths->server_certificate, paths->server_key));

  // Once replaced, it stays.
  auto again = ensure_local_certificates(directory.path());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ca_change, CaChange::kKept);
}

TEST(LocalCertificatesTest, DestroysAnOldCaKeyWithoutFollowingSymlinks) {
  TempDirectory directory;
  write_text(directory.path() / "ca.key", "-----BEGIN PRIVATE KEY-----\nsecret\n");
  auto destroyed = destroy_old_ca_key(directory.path());
  ASSERT_TRUE(destroyed) << destroyed.error().to_string();
  EXPECT_TRUE(*destroyed);
  EXPECT_TRUE(files_in(directory.path()).empty());
  auto again = destroy_old_ca_key(directory.path());
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  // A symlink named ca.key goes; what it points at is neither overwritten nor removed.
  const fs::path elsewhere = directory.path() / "elsewhere.txt";
  write_text(elsewhere, "not ours");
  fs::create_symlink(elsewhere, directory.path() / "ca.key");
  auto link = destroy_old_ca_key(directory.path());
  ASSERT_TRUE(link);
  EXPECT_TRUE(*link);
  EXPECT_FALSE(fs::is_symlink(directory.path() / "ca.key"));
  EXPECT_EQ(read_text(elsewhere), "not ours");
}

TEST(LocalCertificatesTest, ReplacesTheCaWhenTheHostnamesChange) {
  TempDirectory directory;
  auto first = ensure_local_certificates(directory.path());
  ASSERT_TRUE(first);
  const std::string old_ca = read_text(first->ca_certificate);

  const std::vector<std::string> hostnames{"localhost", "wardline.example.org"};
  auto second = ensure_local_certificates(directory.path(), hostnames);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(second->ca_change, CaChange::kReplacedForHostnames);
  EXPECT_NE(read_text(second->ca_certificate), old_ca);
  X509Ptr server = load_certificate(second->server_certificate);
  EXPECT_EQ(alt_names_of(server.get()),
            (std::set<std::string>{"DNS:localhost", "DNS:wardline.example.org"}));

  // The same names in another order and case are the same names.
  const std::vector<std::string> reordered{"WARDLINE.example.org", "localhost"};
  auto third = ensure_local_certificates(directory.path(), reordered);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->ca_change, CaChange::kKept);
}

TEST(LocalCertificatesTest, KeepsExistingFiles) {
  TempDirectory directory;
  auto first = ensure_local_certificates(directory.path());
  ASSERT_TRUE(first);
  const std::string ca = read_text(first->ca_certificate);
  const std::string server = read_text(first->server_certificate);
  const std::string key = read_text(first->server_key);

  auto second = ensure_local_certificates(directory.path());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ca_change, CaChange::kKept);
  EXPECT_EQ(read_text(second->ca_certificate), ca);
  EXPECT_EQ(read_text(second->server_certificate), server);
  EXPECT_EQ(read_text(second->server_key), key);
}

TEST(LocalCertificatesTest, ReplacesCaAndServerCertificateWhenTheServerCertificateIsLost) {
  // The CA has no key left to sign another server certificate: both are replaced.
  TempDirectory directory;
  auto first = ensure_local_certificates(directory.path());
  ASSERT_TRUE(first);
  const std::string ca_text = read_text(first->ca_certificate);
  const std::string old_server = read_text(first->server_certificate);
  fs::remove(first->server_certificate);

  auto second = ensure_local_certificates(directory.path());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ca_change, CaChange::kReplacedForRenewal);
  EXPECT_NE(read_text(second->ca_certificate), ca_text);
  EXPECT_NE(read_text(second->server_certificate), old_server);
  X509Ptr ca = load_certificate(second->ca_certificate);
  X509Ptr server = load_certificate(second->server_certificate);
  EXPECT_TRUE(verifies(server.get(), ca.get()));
  EXPECT_TRUE(load_credentials(second->server_certificate, second->server_key));
}

TEST(LocalCertificatesTest, LoadCredentialsReportsMissingAndInvalidFiles) {
  TempDirectory directory;
  auto paths = ensure_local_certificates(directory.path());
  ASSERT_TRUE(paths);

  auto missing = load_credentials(directory.path() / "absent.pem", paths->server_key);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);

  const fs::path garbage = directory.path() / "garbage.pem";
  std::ofstream(garbage) << "not a certificate";
  auto invalid = load_credentials(garbage, paths->server_key);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code(), Code::kInvalidArgument);

  // The CA certificate with the server's key: a mismatch.
  auto mismatched = load_credentials(paths->ca_certificate, paths->server_key);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(mismatched.error().code(), Code::kInvalidArgument);
}

TEST(LocalCertificatesTest, LoadCredentialsRefusesCertificatesOutsideTheirValidity) {
  TempDirectory directory;
  const ThrowawayCa ca;
  const PemPair expired =
      ca.issue("DNS:localhost", -std::chrono::hours(48), -std::chrono::hours(24));
  const PemPair future = ca.issue("DNS:localhost", std::chrono::hours(24), std::chrono::hours(48));
  const PemPair current = ca.issue("DNS:localhost");
  for (const auto& [name, pair] : {std::pair{"expired", expired}, std::pair{"future", future},
                                   std::pair{"current", current}}) {
    write_text(directory.path() / (std::string(name) + ".pem"), pair.certificate);
    write_text(directory.path() / (std::string(name) + ".key"), pair.key);
  }

  auto old = load_credentials(directory.path() / "expired.pem", directory.path() / "expired.key");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code(), Code::kInvalidArgument);
  EXPECT_NE(old.error().message().find("expired"), std::string::npos) << old.error().message();
  auto early = load_credentials(directory.path() / "future.pem", directory.path() / "future.key");
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code(), Code::kInvalidArgument);
  auto good = load_credentials(directory.path() / "current.pem", directory.path() / "current.key");
  ASSERT_TRUE(good) << good.error().to_string();
  EXPECT_EQ(good->certificate_chain_pem, current.certificate);
}

TEST(LocalCertificatesTest, SpkiHashMatchesChromiumRecipe) {
  const auto& paths = testing::test_certificates();
  auto hash = spki_sha256_base64(paths.server_certificate);
  ASSERT_TRUE(hash) << hash.error().to_string();

  // The command Chromium documents for --ignore-certificate-errors-spki-list.
  const std::string command = "openssl x509 -in '" + paths.server_certificate.string() +
                              "' -pubkey -noout | openssl pkey -pubin -outform der | "
                              "openssl dgst -sha256 -binary | base64";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char output[128] = {};
  const std::size_t length = std::fread(output, 1, sizeof output - 1, pipe);
  ::pclose(pipe);
  std::string expected(output, length);
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r')) {
    expected.pop_back();
  }
  EXPECT_EQ(*hash, expected);
  EXPECT_EQ(hash->size(), 44U);
}

TEST(LocalCertificatesTest, SpkiHashRejectsNonCertificates) {
  TempDirectory directory;
  const fs::path garbage = directory.path() / "garbage.pem";
  std::ofstream(garbage) << "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  auto hash = spki_sha256_base64(garbage);
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wl::net
