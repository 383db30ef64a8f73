#include "net/certificates.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "unit/net/net_test_support.hpp"

namespace wl::net {
namespace {

namespace fs = std::filesystem;
using testing::TempDirectory;

std::string read_text(const fs::path& path) {
  std::ifstream input(path);
  std::ostringstream contents;
  contents << input.rdbuf();
  return contents.str();
}

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
  EXPECT_EQ(mode_of(directory.path() / "ca.key"), 0600U);
  EXPECT_TRUE(load_credentials(paths->server_certificate, paths->server_key));
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
  EXPECT_EQ(read_text(second->ca_certificate), ca);
  EXPECT_EQ(read_text(second->server_certificate), server);
  EXPECT_EQ(read_text(second->server_key), key);
}

TEST(LocalCertificatesTest, ReplacesAMissingServerCertificateUnderTheSameCa) {
  TempDirectory directory;
  auto first = ensure_local_certificates(directory.path());
  ASSERT_TRUE(first);
  const std::string ca_text = read_text(first->ca_certificate);
  const std::string old_server = read_text(first->server_certificate);
  fs::remove(first->server_certificate);

  auto second = ensure_local_certificates(directory.path());
  ASSERT_TRUE(second);
  EXPECT_EQ(read_text(second->ca_certificate), ca_text);
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
