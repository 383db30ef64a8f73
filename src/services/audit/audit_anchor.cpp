#include "services/audit/audit_anchor.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"
#include "core/time.hpp"

namespace wl {
namespace {

constexpr std::string_view kFingerprintPrefix = "SHA256:";
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kBase64UrlKeyLength = 43;  // 32 bytes, unpadded.
constexpr std::size_t kHexKeyLength = 64;

// The 32 bytes that `text` encodes in base64url (43 characters) or, if `allow_hex`, in
// hex (64 characters). Errors: InvalidArgument for anything else.
Result<std::string> decode_32(std::string_view text, bool allow_hex) {
  Result<std::string> bytes = error(Code::kInvalidArgument, "not 32 bytes");
  if (text.size() == kBase64UrlKeyLength) {
    bytes = crypto::base64url_decode(text);
  } else if (allow_hex && text.size() == kHexKeyLength) {
    bytes = crypto::hex_decode(text);
  }
  if (!bytes || bytes->size() != kKeySize) {
    return error(Code::kInvalidArgument, "not 32 bytes");
  }
  return bytes;
}

}  // namespace

std::string audit_public_key_text(std::string_view public_key) {
  return crypto::base64url_encode(public_key);
}

std::string audit_key_fingerprint(std::string_view public_key) {
  return AuditKeyAnchor::of_public_key(public_key).fingerprint();
}

Result<AuditKeyAnchor> AuditKeyAnchor::parse(std::string_view text) {
  if (text.starts_with(kFingerprintPrefix)) {
    // A fingerprint is always base64url.
    if (auto digest = decode_32(text.substr(kFingerprintPrefix.size()), false)) {
      return AuditKeyAnchor(std::move(*digest));
    }
  } else if (auto key = decode_32(text, true)) {
    return of_public_key(*key);
  }
  return error(Code::kInvalidArgument,
               "an audit key is its 32-byte public key in base64url (43 characters) or hex "
               "(64 characters), or its fingerprint SHA256:<43 base64url characters>");
}

AuditKeyAnchor AuditKeyAnchor::of_public_key(std::string_view public_key) {
  return AuditKeyAnchor(crypto::sha256(public_key));
}

bool AuditKeyAnchor::matches(std::string_view public_key) const {
  return crypto::constant_time_equal(crypto::sha256(public_key), key_digest_);
}

std::string AuditKeyAnchor::fingerprint() const {
  return std::string(kFingerprintPrefix) + crypto::base64url_encode(key_digest_);
}

std::string format_audit_head(const AuditChainHead& head) {
  if (head.chain == 1) {
    return fmt::format("{}:{}", head.seq, crypto::hex_encode(head.hash));
  }
  return fmt::format("{}:{}:{}", head.chain, head.seq, crypto::hex_encode(head.hash));
}

namespace {

std::optional<std::int64_t> positive_number(std::string_view text) {
  std::int64_t number = 0;
  const auto [end, parsed] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || parsed != std::errc() || end != text.data() + text.size() || number <= 0) {
    return std::nullopt;
  }
  return number;
}

}  // namespace

Result<AuditChainHead> parse_audit_head(std::string_view text) {
  AuditChainHead head;
  const auto last_colon = text.rfind(':');
  if (last_colon != std::string_view::npos) {
    std::string_view numbers = text.substr(0, last_colon);
    std::optional<std::int64_t> chain = 1;
    if (const auto first_colon = numbers.find(':'); first_colon != std::string_view::npos) {
      chain = positive_number(numbers.substr(0, first_colon));
      numbers = numbers.substr(first_colon + 1);
    }
    const std::optional<std::int64_t> seq = positive_number(numbers);
    auto hash = crypto::hex_decode(text.substr(last_colon + 1));
    if (chain && seq && hash && hash->size() == kKeySize) {
      head.chain = *chain;
      head.seq = *seq;
      head.hash = std::move(*hash);
      return head;
    }
  }
  return error(Code::kInvalidArgument,
               "a checkpoint head is [CHAIN:]SEQ:HASH, a seq and 64 hex characters, as in "
               "the audit-head lines");
}

std::string audit_head_line(const AuditCheckpoint& checkpoint) {
  return fmt::format(
      "audit-head {} {} {}",
      format_audit_head(AuditChainHead{checkpoint.seq, checkpoint.hash, checkpoint.chain}),
      format_rfc3339(checkpoint.at), audit_key_fingerprint(checkpoint.public_key));
}

}  // namespace wl
