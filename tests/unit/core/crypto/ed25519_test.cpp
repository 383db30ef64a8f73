#include "core/crypto/ed25519.hpp"

#include <gtest/gtest.h>

#include "core/crypto/encoding.hpp"

namespace wl::crypto {
namespace {

std::string unhex(std::string_view hex) {
  auto bytes = hex_decode(hex);
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or("");
}

constexpr std::string_view kRfc8032Test1Seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kRfc8032Test1Public =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfc8032Test1Signature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b";

TEST(Ed25519Test, DerivesRfc8032Test1PublicKey) {
  auto key_pair = ed25519_from_seed(unhex(kRfc8032Test1Seed));
  ASSERT_TRUE(key_pair.has_value());
  EXPECT_EQ(hex_encode(key_pair->public_key), kRfc8032Test1Public);
}

TEST(Ed25519Test, SignsRfc8032Test1EmptyMessage) {
  auto key_pair = ed25519_from_seed(unhex(kRfc8032Test1Seed));
  ASSERT_TRUE(key_pair.has_value());
  EXPECT_EQ(hex_encode(ed25519_sign(*key_pair, "")), kRfc8032Test1Signature);
  EXPECT_TRUE(ed25519_verify(unhex(kRfc8032Test1Public), "", unhex(kRfc8032Test1Signature)));
}

TEST(Ed25519Test, RejectsAlteredMessageSignatureOrKey) {
  const Ed25519KeyPair key_pair = ed25519_generate();
  const std::string signature = ed25519_sign(key_pair, "checkpoint 42");
  EXPECT_TRUE(ed25519_verify(key_pair.public_key, "checkpoint 42", signature));
  EXPECT_FALSE(ed25519_verify(key_pair.public_key, "checkpoint 43", signature));
  std::string bad_signature = signature;
  bad_signature[10] ^= 0x01;
  EXPECT_FALSE(ed25519_verify(key_pair.public_key, "checkpoint 42", bad_signature));
  const Ed25519KeyPair other = ed25519_generate();
  EXPECT_FALSE(ed25519_verify(other.public_key, "checkpoint 42", signature));
  EXPECT_FALSE(ed25519_verify("short", "checkpoint 42", signature));
  EXPECT_FALSE(ed25519_verify(key_pair.public_key, "checkpoint 42", signature.substr(1)));
}

TEST(Ed25519Test, GeneratedKeysDifferAndRoundTripThroughTheSeed) {
  const Ed25519KeyPair first = ed25519_generate();
  const Ed25519KeyPair second = ed25519_generate();
  EXPECT_NE(first.seed, second.seed);
  EXPECT_EQ(first.public_key.size(), 32u);
  auto again = ed25519_from_seed(first.seed);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key, first.public_key);
}

TEST(Ed25519Test, FromSeedRejectsWrongSize) {
  EXPECT_EQ(ed25519_from_seed("too short").error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wl::crypto
