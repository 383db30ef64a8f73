#include "unit/net/throwaway_ca.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace wl::net::testing {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

TestKeyPtr make_key() { return TestKeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  ASSERT_NE(extension, nullptr) << "extension " << nid << " = " << value;
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

using Extensions = std::vector<std::pair<int, std::string>>;

// Signs a certificate for `key`; a null issuer makes it self-signed.
TestX509Ptr make_certificate(EVP_PKEY* key, std::string_view common_name, X509* issuer,
                             EVP_PKEY* issuer_key, std::chrono::seconds not_before,
                             std::chrono::seconds not_after, const Extensions& extensions) {
  TestX509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), X509_VERSION_3);
  BIGNUM* serial = BN_new();
  BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), not_before.count());
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), not_after.count());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const std::string common(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common.c_str()), -1, -1, 0);
  X509_set_pubkey(certificate.get(), key);
  X509* signer = issuer != nullptr ? issuer : certificate.get();
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) {
    add_extension(certificate.get(), signer, nid, value);
  }
  X509_sign(certificate.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256());
  return certificate;
}

std::string to_pem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

ThrowawayCa::ThrowawayCa(std::string_view common_name) : key_(make_key()) {
  certificate_ = make_certificate(key_.get(), common_name, nullptr, nullptr, -std::chrono::hours(1),
                                  std::chrono::hours(24 * 365),
                                  {{NID_basic_constraints, "critical,CA:TRUE"},
                                   {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                   {NID_subject_key_identifier, "hash"}});
}

ThrowawayCa::ThrowawayCa(const PemPair& ca) {
  certificate_ = first_certificate(ca.certificate);
  BioPtr bio(BIO_new_mem_buf(ca.key.data(), static_cast<int>(ca.key.size())));
  key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_TRUE(certificate_ && key_) << "not a PEM certificate and key";
}

std::string ThrowawayCa::certificate_pem() const { return to_pem(certificate_.get()); }

PemPair ThrowawayCa::issue(std::string_view subject_alt_names, std::chrono::seconds not_before,
                           std::chrono::seconds not_after) const {
  TestKeyPtr key = make_key();
  TestX509Ptr leaf = make_certificate(key.get(), "Test server", certificate_.get(), key_.get(),
                                      not_before, not_after,
                                      {{NID_basic_constraints, "critical,CA:FALSE"},
                                       {NID_ext_key_usage, "serverAuth"},
                                       {NID_subject_alt_name, std::string(subject_alt_names)},
                                       {NID_authority_key_identifier, "keyid:always"}});
  return PemPair{to_pem(leaf.get()) + to_pem(certificate_.get()), to_pem(key.get())};
}

TestX509Ptr first_certificate(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return TestX509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

int verify_server_certificate(X509* leaf, X509* ca) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER);
  const int verified = X509_verify_cert(context);
  const int result = verified == 1 ? X509_V_OK : X509_STORE_CTX_get_error(context);
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return result;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream input(path);
  return std::string(std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>());
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::set<std::string> files_in(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

}  // namespace wl::net::testing
