#include "services/audit/audit_anchor.hpp"

#include <gtest/gtest.h>

#include "core/crypto/ed25519.hpp"
#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"

namespace wl {
namespace {

TEST(AuditAnchorTest, FingerprintIsSha256OfTheRawKeyInBase64Url) {
  const std::string key(32, '\x07');
  EXPECT_EQ(audit_key_fingerprint(key), "SHA256:" + crypto::base64url_encode(crypto::sha256(key)));
  EXPECT_EQ(audit_key_fingerprint(key).size(), 50u);
  EXPECT_EQ(audit_public_key_text(key), crypto::base64url_encode(key));
  EXPECT_EQ(audit_public_key_text(key).size(), 43u);
}

TEST(AuditAnchorTest, KeyInBase64UrlOrHexOrItsFingerprintAnchorsTheSameKey) {
  const crypto::Ed25519KeyPair key = crypto::ed25519_generate();
  const crypto::Ed25519KeyPair other = crypto::ed25519_generate();
  for (const std::string& text :
       {audit_public_key_text(key.public_key), crypto::hex_encode(key.public_key),
        audit_key_fingerprint(key.public_key)}) {
    auto anchor = AuditKeyAnchor::parse(text);
    ASSERT_TRUE(anchor.has_value()) << text;
    EXPECT_TRUE(anchor->matches(key.public_key)) << text;
    EXPECT_FALSE(anchor->matches(other.public_key)) << text;
    EXPECT_EQ(anchor->fingerprint(), audit_key_fingerprint(key.public_key));
  }
}

TEST(AuditAnchorTest, RejectsAnythingElse) {
  const std::string key(32, '\x07');
  for (const std::string& text :
       {std::string(), std::string("SHA256:"), audit_public_key_text(key).substr(1),
        audit_public_key_text(key) + "A", crypto::hex_encode(key).substr(2),
        "SHA256:" + crypto::hex_encode(crypto::sha256(key)),
        crypto::base64url_encode(std::string(33, 'x')), std::string(64, 'g'),
        "sha256:" + crypto::base64url_encode(crypto::sha256(key))}) {
    auto anchor = AuditKeyAnchor::parse(text);
    ASSERT_FALSE(anchor.has_value()) << text;
    EXPECT_EQ(anchor.error().code(), Code::kInvalidArgument);
  }
}

TEST(AuditAnchorTest, HeadIsSeqColonHexHashBothWays) {
  const AuditChainHead head{1234, std::string(32, '\xab')};
  std::string hex;
  for (int i = 0; i < 32; ++i) {
    hex += "ab";
  }
  EXPECT_EQ(format_audit_head(head), "1234:" + hex);
  auto parsed = parse_audit_head(format_audit_head(head));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->seq, 1234);
  EXPECT_EQ(parsed->hash, head.hash);
  EXPECT_EQ(parse_audit_head("1234:" + std::string(64, 'A'))->hash, std::string(32, '\xaa'));
}

TEST(AuditAnchorTest, HeadOfAnotherChainNamesItsChain) {
  AuditChainHead head{7, std::string(32, '\x0f'), 3};
  const std::string text = format_audit_head(head);
  EXPECT_EQ(text, "3:7:" + crypto::hex_encode(head.hash));
  auto parsed = parse_audit_head(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->chain, 3);
  EXPECT_EQ(parsed->seq, 7);
  EXPECT_EQ(parsed->hash, head.hash);
  EXPECT_EQ(parse_audit_head("7:" + crypto::hex_encode(head.hash))->chain, 1);
  for (const std::string_view bad : {"0:7:", "x:7:", "3:0:", "3::", ":7:", "3:7:7:"}) {
    EXPECT_FALSE(parse_audit_head(std::string(bad) + crypto::hex_encode(head.hash)).has_value())
        << bad;
  }
}

TEST(AuditAnchorTest, RejectsABadHead) {
  const std::string hash(64, 'a');
  for (const std::string& text :
       {std::string(), hash, ":" + hash, "0:" + hash, "-1:" + hash, "12x:" + hash, " 12:" + hash,
        "12:" + hash.substr(2), "12:" + hash + "aa", "12;" + hash}) {
    EXPECT_FALSE(parse_audit_head(text).has_value()) << text;
  }
}

TEST(AuditAnchorTest, HeadLineNamesTheHeadTimeAndKey) {
  AuditCheckpoint checkpoint;
  checkpoint.seq = 42;
  checkpoint.hash = std::string(32, '\x01');
  checkpoint.at = from_micros(1'800'000'000'000'000);
  checkpoint.public_key = std::string(32, '\x02');
  EXPECT_EQ(audit_head_line(checkpoint), "audit-head 42:" + crypto::hex_encode(checkpoint.hash) +
                                             " " + format_rfc3339(checkpoint.at) + " " +
                                             audit_key_fingerprint(checkpoint.public_key));
}

}  // namespace
}  // namespace wl
