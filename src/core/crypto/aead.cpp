#include "core/crypto/aead.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace wl::crypto {
namespace {

// Fetched once per process and shared (immutable); contexts are per thread and reused,
// re-initialised with a new key and nonce on each call (DESIGN.md, Measured: 3x faster
// than fetching the cipher implicitly on every init).
const EVP_CIPHER* aes256gcm_cipher() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  WL_CHECK(cipher != nullptr);
  return cipher;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Separate contexts for the two directions, so alternating seal and open does not
// switch a context between encryption and decryption.
EVP_CIPHER_CTX* thread_context(bool encrypt) {
  thread_local CipherCtx seal_ctx(EVP_CIPHER_CTX_new());
  thread_local CipherCtx open_ctx(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX* ctx = encrypt ? seal_ctx.get() : open_ctx.get();
  WL_CHECK(ctx != nullptr);
  return ctx;
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

Result<void> check_sizes(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view text) {
  if (key.size() != kAeadKeySize) {
    return error(Code::kInvalidArgument, "AES-256-GCM key must be 32 bytes");
  }
  if (nonce.size() != kAeadNonceSize) {
    return error(Code::kInvalidArgument, "AES-256-GCM nonce must be 12 bytes");
  }
  if (aad.size() > INT_MAX || text.size() > INT_MAX - kAeadTagSize) {
    return error(Code::kInvalidArgument, "AES-256-GCM input is too large");
  }
  return ok();
}

}  // namespace

Result<std::string> aes256gcm_seal(std::string_view key32, std::string_view nonce12,
                                   std::string_view aad, std::string_view plaintext) {
  WL_TRY(check_sizes(key32, nonce12, aad, plaintext));
  EVP_CIPHER_CTX* ctx = thread_context(true);
  // The default GCM IV length is 12 bytes, so no IVLEN parameter is needed.
  if (EVP_EncryptInit_ex2(ctx, aes256gcm_cipher(), bytes_of(key32), bytes_of(nonce12),
                          nullptr) != 1) {
    return error(Code::kInternal, "AES-256-GCM init failed");
  }
  int length = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &length, bytes_of(aad), static_cast<int>(aad.size())) != 1) {
    return error(Code::kInternal, "AES-256-GCM aad failed");
  }
  std::string output(plaintext.size() + kAeadTagSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(output.data());
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, out, &length, bytes_of(plaintext),
                          static_cast<int>(plaintext.size())) != 1) {
      return error(Code::kInternal, "AES-256-GCM encrypt failed");
    }
    written = length;
  }
  if (EVP_EncryptFinal_ex(ctx, out + written, &length) != 1) {
    return error(Code::kInternal, "AES-256-GCM final failed");
  }
  written += length;
  WL_CHECK(static_cast<std::size_t>(written) == plaintext.size());
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + written) != 1) {
    return error(Code::kInternal, "AES-256-GCM tag failed");
  }
  return output;
}

Result<std::string> aes256gcm_open(std::string_view key32, std::string_view nonce12,
                                   std::string_view aad, std::string_view ciphertext_and_tag) {
  WL_TRY(check_sizes(key32, nonce12, aad, ciphertext_and_tag));
  if (ciphertext_and_tag.size() < kAeadTagSize) {
    return error(Code::kDataLoss, "sealed data is truncated");
  }
  const std::string_view ciphertext =
      ciphertext_and_tag.substr(0, ciphertext_and_tag.size() - kAeadTagSize);
  const std::string_view tag = ciphertext_and_tag.substr(ciphertext.size());
  EVP_CIPHER_CTX* ctx = thread_context(false);
  if (EVP_DecryptInit_ex2(ctx, aes256gcm_cipher(), bytes_of(key32), bytes_of(nonce12),
                          nullptr) != 1) {
    return error(Code::kInternal, "AES-256-GCM init failed");
  }
  int length = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &length, bytes_of(aad), static_cast<int>(aad.size())) != 1) {
    return error(Code::kInternal, "AES-256-GCM aad failed");
  }
  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  int written = 0;
  if (!ciphertext.empty()) {
    if (EVP_DecryptUpdate(ctx, out, &length, bytes_of(ciphertext),
                          static_cast<int>(ciphertext.size())) != 1) {
      return error(Code::kInternal, "AES-256-GCM decrypt failed");
    }
    written = length;
  }
  // OpenSSL reads the expected tag from a non-const buffer but does not modify it.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize,
                          const_cast<char*>(tag.data())) != 1) {
    return error(Code::kInternal, "AES-256-GCM tag failed");
  }
  if (EVP_DecryptFinal_ex(ctx, out + written, &length) != 1) {
    // The plaintext buffer holds unauthenticated bytes: wipe it before it is freed.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return error(Code::kDataLoss, "sealed data failed authentication");
  }
  return plaintext;
}

}  // namespace wl::crypto
