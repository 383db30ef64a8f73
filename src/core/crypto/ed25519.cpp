#include "core/crypto/ed25519.hpp"

#include <openssl/evp.h>

#include <memory>

#include "core/crypto/random.hpp"

namespace wl::crypto {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kSignatureSize = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

Pkey private_key(std::string_view seed) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size()));
}

}  // namespace

Ed25519KeyPair ed25519_generate() {
  auto key_pair = ed25519_from_seed(random_bytes(kKeySize));
  WL_CHECK(key_pair.has_value());
  return std::move(*key_pair);
}

Result<Ed25519KeyPair> ed25519_from_seed(std::string_view seed32) {
  if (seed32.size() != kKeySize) {
    return error(Code::kInvalidArgument, "Ed25519 seed must be 32 bytes");
  }
  const Pkey key = private_key(seed32);
  if (!key) {
    return error(Code::kInternal, "Ed25519 key creation failed");
  }
  Ed25519KeyPair key_pair;
  key_pair.seed = std::string(seed32);
  key_pair.public_key.assign(kKeySize, '\0');
  std::size_t size = kKeySize;
  if (EVP_PKEY_get_raw_public_key(
          key.get(), reinterpret_cast<unsigned char*>(key_pair.public_key.data()), &size) != 1 ||
      size != kKeySize) {
    return error(Code::kInternal, "Ed25519 public key derivation failed");
  }
  return key_pair;
}

std::string ed25519_sign(const Ed25519KeyPair& key_pair, std::string_view message) {
  WL_CHECK(key_pair.seed.size() == kKeySize);
  const Pkey key = private_key(key_pair.seed);
  WL_CHECK(key != nullptr);
  const MdCtx ctx(EVP_MD_CTX_new());
  WL_CHECK(ctx != nullptr);
  // Ed25519 is a one-shot algorithm: no digest, one EVP_DigestSign call.
  WL_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1);
  std::string signature(kSignatureSize, '\0');
  std::size_t size = signature.size();
  WL_CHECK(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                          bytes_of(message), message.size()) == 1);
  WL_CHECK(size == kSignatureSize);
  return signature;
}

bool ed25519_verify(std::string_view public_key32, std::string_view message,
                    std::string_view signature64) {
  if (public_key32.size() != kKeySize || signature64.size() != kSignatureSize) {
    return false;
  }
  const Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(public_key32),
                                             public_key32.size()));
  if (!key) {
    return false;
  }
  const MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), bytes_of(signature64), signature64.size(),
                          bytes_of(message), message.size()) == 1;
}

}  // namespace wl::crypto
