#include "core/crypto/encoding.hpp"

#include <array>
#include <cstdint>

namespace wl::crypto {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

constexpr std::array<std::int8_t, 256> make_base64url_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (std::size_t i = 0; i < kBase64UrlAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kBase64UrlAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr std::array<std::int8_t, 256> kBase64UrlTable = make_base64url_table();

}  // namespace

std::string hex_encode(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHexDigits[byte >> 4]);
    hex.push_back(kHexDigits[byte & 0x0f]);
  }
  return hex;
}

Result<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return error(Code::kInvalidArgument, "hex text has an odd length");
  }
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      return error(Code::kInvalidArgument, "hex text has a non-hex character");
    }
    bytes.push_back(static_cast<char>((high << 4) | low));
  }
  return bytes;
}

std::string base64url_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
    text.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[(group >> 6) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[group & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    text.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3f]);
  } else if (rest == 2) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8);
    text.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3f]);
    text.push_back(kBase64UrlAlphabet[(group >> 6) & 0x3f]);
  }
  return text;
}

Result<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return error(Code::kInvalidArgument, "base64url text has an impossible length");
  }
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = kBase64UrlTable[static_cast<unsigned char>(c)];
    if (value < 0) {
      return error(Code::kInvalidArgument, "base64url text has a character outside the alphabet");
    }
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  // Canonical form: the bits left over after the last whole byte are zero.
  if ((accumulator & ((1u << bits) - 1)) != 0) {
    return error(Code::kInvalidArgument, "base64url text is not canonical");
  }
  return bytes;
}

}  // namespace wl::crypto
