#include "core/crypto/aead.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/crypto/encoding.hpp"
#include "core/crypto/random.hpp"

namespace wl::crypto {
namespace {

std::string unhex(std::string_view hex) {
  auto bytes = hex_decode(hex);
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or("");
}

// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256,
// 96-bit IV, 60-byte plaintext, 20-byte AAD).
struct Case16 {
  std::string key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  std::string nonce = unhex("cafebabefacedbaddecaf888");
  std::string plaintext = unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  std::string aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string expected = unhex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b");
};

TEST(AeadTest, SealMatchesGcmSpecTestCase16) {
  const Case16 vector;
  auto sealed = aes256gcm_seal(vector.key, vector.nonce, vector.aad, vector.plaintext);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().to_string();
  EXPECT_EQ(hex_encode(*sealed), hex_encode(vector.expected));
}

TEST(AeadTest, OpenMatchesGcmSpecTestCase16) {
  const Case16 vector;
  auto opened = aes256gcm_open(vector.key, vector.nonce, vector.aad, vector.expected);
  ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
  EXPECT_EQ(*opened, vector.plaintext);
}

TEST(AeadTest, EmptyPlaintextMatchesGcmSpecTestCase13) {
  const std::string key(32, '\0');
  const std::string nonce(12, '\0');
  auto sealed = aes256gcm_seal(key, nonce, "", "");
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(hex_encode(*sealed), "530f8afbc74536b9a963b4f1c4cb738b");
  auto opened = aes256gcm_open(key, nonce, "", *sealed);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, "");
}

TEST(AeadTest, FlippedCiphertextByteFailsWithDataLoss) {
  const Case16 vector;
  std::string tampered = vector.expected;
  tampered[5] ^= 0x01;
  auto opened = aes256gcm_open(vector.key, vector.nonce, vector.aad, tampered);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

TEST(AeadTest, FlippedTagByteFailsWithDataLoss) {
  const Case16 vector;
  std::string tampered = vector.expected;
  tampered.back() ^= 0x80;
  auto opened = aes256gcm_open(vector.key, vector.nonce, vector.aad, tampered);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

TEST(AeadTest, ChangedAadFailsWithDataLoss) {
  const Case16 vector;
  std::string aad = vector.aad;
  aad[0] ^= 0x01;
  auto opened = aes256gcm_open(vector.key, vector.nonce, aad, vector.expected);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

TEST(AeadTest, WrongKeyOrNonceFailsWithDataLoss) {
  const Case16 vector;
  std::string key = vector.key;
  key[31] ^= 0x01;
  EXPECT_EQ(aes256gcm_open(key, vector.nonce, vector.aad, vector.expected).error().code(),
            Code::kDataLoss);
  std::string nonce = vector.nonce;
  nonce[0] ^= 0x01;
  EXPECT_EQ(aes256gcm_open(vector.key, nonce, vector.aad, vector.expected).error().code(),
            Code::kDataLoss);
}

TEST(AeadTest, TruncatedInputFailsWithDataLoss) {
  const Case16 vector;
  auto opened = aes256gcm_open(vector.key, vector.nonce, vector.aad, "short");
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Code::kDataLoss);
}

TEST(AeadTest, RejectsBadKeyAndNonceSizes) {
  EXPECT_EQ(aes256gcm_seal(std::string(16, 'k'), std::string(12, 'n'), "", "x").error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(aes256gcm_seal(std::string(32, 'k'), std::string(16, 'n'), "", "x").error().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(aes256gcm_open(std::string(31, 'k'), std::string(12, 'n'), "", std::string(20, 'c'))
                .error()
                .code(),
            Code::kInvalidArgument);
}

TEST(AeadTest, AlternatingSealAndOpenWithDifferentKeysOnManyThreads) {
  // Each thread reuses its cached contexts across keys, nonces and directions.
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 200; ++i) {
        const std::string key = random_bytes(32);
        const std::string nonce = random_bytes(12);
        const std::string text = "message " + std::to_string(i);
        auto sealed = aes256gcm_seal(key, nonce, "aad", text);
        auto opened = sealed ? aes256gcm_open(key, nonce, "aad", *sealed) : sealed;
        if (!opened || *opened != text) {
          ++failures[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const int count : failures) {
    EXPECT_EQ(count, 0);
  }
}

}  // namespace
}  // namespace wl::crypto
