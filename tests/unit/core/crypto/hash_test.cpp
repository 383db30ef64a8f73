#include "core/crypto/hash.hpp"

#include <gtest/gtest.h>

#include "core/crypto/encoding.hpp"

namespace wl::crypto {
namespace {

std::string unhex(std::string_view hex) {
  auto bytes = hex_decode(hex);
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or("");
}

TEST(HashTest, Sha256OfAbcMatchesFips180Vector) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, Sha256OfEmptyInput) {
  EXPECT_EQ(hex_encode(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, Sha256InPiecesMatchesFips180TwoBlockVector) {
  Sha256 hash;
  hash.update("abcdbcdecdefdefgefghfghighij");
  hash.update("");
  hash.update("hijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(hex_encode(hash.finish()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, HmacSha256DependsOnTheKey) {
  EXPECT_NE(hmac_sha256("key-a", "data"), hmac_sha256("key-b", "data"));
  EXPECT_EQ(hmac_sha256("", "data").size(), 32u);
}

TEST(HashTest, HkdfSha256MatchesRfc5869Case1) {
  const std::string key(22, '\x0b');
  const std::string salt = unhex("000102030405060708090a0b0c");
  const std::string info = unhex("f0f1f2f3f4f5f6f7f8f9");
  EXPECT_EQ(hex_encode(hkdf_sha256(key, salt, info, 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HashTest, HkdfSha256MatchesRfc5869Case3WithoutSaltAndInfo) {
  const std::string key(22, '\x0b');
  EXPECT_EQ(hex_encode(hkdf_sha256(key, "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HashTest, ConstantTimeEqualComparesContentsAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

}  // namespace
}  // namespace wl::crypto
