#include "adapters/keyfile/file_key_provider.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <mutex>

#include "core/crypto/aead.hpp"
#include "core/crypto/encoding.hpp"
#include "core/crypto/random.hpp"
#include "core/crypto/secret_file.hpp"

namespace wl {
namespace {

// Key file format (docs/keys.md): text lines; '#' lines and blank lines are ignored;
// the first other line is the header, then one "<id> <base64url key>" line per KEK,
// oldest first.
constexpr std::string_view kHeader = "wardline-kek-file 1";
constexpr std::string_view kKekPrefix = "kek-";
constexpr std::size_t kKekSize = 32;
constexpr std::size_t kMaxKekIdLength = 64;
constexpr char kWrapVersion = 1;

bool is_valid_kek_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKekIdLength) {
    return false;
  }
  for (const char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

// The N of "kek-N", or 0 for an id of another shape.
std::uint64_t kek_number(std::string_view id) {
  if (!id.starts_with(kKekPrefix)) {
    return 0;
  }
  const std::string_view digits = id.substr(kKekPrefix.size());
  std::uint64_t number = 0;
  const auto [end, errc] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (errc != std::errc() || end != digits.data() + digits.size()) {
    return 0;
  }
  return number;
}

Status malformed(std::string_view what) {
  std::string message = "key file is malformed: ";
  message += what;
  return Status(Code::kDataLoss, std::move(message));
}

template <typename Keks>
std::string format_key_file(const Keks& keks) {
  std::string text =
      "# Wardline key-encryption keys (docs/keys.md). Keep this file secret (mode 0600),\n"
      "# back it up separately from the database, and never edit existing lines.\n";
  text += kHeader;
  text += '\n';
  for (const auto& kek : keks) {
    text += kek.id;
    text += ' ';
    text += crypto::base64url_encode(kek.key);
    text += '\n';
  }
  return text;
}

void wipe(std::string& secret) {
  if (!secret.empty()) {
    OPENSSL_cleanse(secret.data(), secret.size());
  }
}

struct ParsedKek {
  std::string id;
  std::string key;
};

Result<std::vector<ParsedKek>> parse_key_file(std::string_view text) {
  std::vector<ParsedKek> keks;
  bool seen_header = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.starts_with('#')) {
      continue;
    }
    if (!seen_header) {
      if (line != kHeader) {
        return std::unexpected(malformed("unknown header or version"));
      }
      seen_header = true;
      continue;
    }
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return std::unexpected(malformed("a key line has no key"));
    }
    ParsedKek kek{std::string(line.substr(0, space)), {}};
    if (!is_valid_kek_id(kek.id)) {
      return std::unexpected(malformed("a key id is invalid"));
    }
    for (const auto& other : keks) {
      if (other.id == kek.id) {
        return std::unexpected(malformed("a key id appears twice"));
      }
    }
    auto key = crypto::base64url_decode(line.substr(space + 1));
    if (!key || key->size() != kKekSize) {
      return std::unexpected(malformed("a key is not 32 base64url-encoded bytes"));
    }
    kek.key = std::move(*key);
    keks.push_back(std::move(kek));
  }
  if (!seen_header) {
    return std::unexpected(malformed("no header"));
  }
  if (keks.empty()) {
    return std::unexpected(malformed("no keys"));
  }
  return keks;
}

}  // namespace

Result<std::unique_ptr<FileKeyProvider>> FileKeyProvider::open_or_create(
    const std::filesystem::path& file) {
  auto text = crypto::read_secret_file(file);
  if (!text && text.error().code() == Code::kNotFound) {
    std::vector<ParsedKek> first{{std::string(kKekPrefix) + "1", crypto::random_bytes(kKekSize)}};
    std::string contents = format_key_file(first);
    auto created = crypto::create_secret_file(file, contents);
    wipe(contents);
    wipe(first.front().key);
    // AlreadyExists: another process created it first; use theirs.
    if (!created && created.error().code() != Code::kAlreadyExists) {
      return std::unexpected(created.error());
    }
    text = crypto::read_secret_file(file);
  }
  if (!text) {
    return std::unexpected(text.error());
  }
  auto parsed = parse_key_file(*text);
  wipe(*text);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  std::vector<Kek> keks;
  for (auto& kek : *parsed) {
    keks.push_back(Kek{std::move(kek.id), std::move(kek.key)});
  }
  return std::unique_ptr<FileKeyProvider>(new FileKeyProvider(file, std::move(keks)));
}

FileKeyProvider::FileKeyProvider(std::filesystem::path file, std::vector<Kek> keks)
    : file_(std::move(file)), keks_(std::move(keks)) {}

FileKeyProvider::~FileKeyProvider() {
  for (auto& kek : keks_) {
    wipe(kek.key);
  }
}

std::string FileKeyProvider::current_kek_id() const {
  std::shared_lock lock(mutex_);
  return keks_.back().id;
}

std::vector<std::string> FileKeyProvider::kek_ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> ids;
  for (const auto& kek : keks_) {
    ids.push_back(kek.id);
  }
  return ids;
}

Result<std::string> FileKeyProvider::wrap(std::string_view data_key) {
  std::string id;
  std::string key;
  {
    std::shared_lock lock(mutex_);
    id = keks_.back().id;
    key = keks_.back().key;
  }
  const std::string nonce = crypto::random_bytes(crypto::kAeadNonceSize);
  auto sealed = crypto::aes256gcm_seal(key, nonce, id, data_key);
  wipe(key);
  if (!sealed) {
    return error(Code::kInternal, "wrapping a data key failed");
  }
  std::string wrapped;
  wrapped.reserve(2 + id.size() + nonce.size() + sealed->size());
  wrapped.push_back(kWrapVersion);
  wrapped.push_back(static_cast<char>(id.size()));
  wrapped += id;
  wrapped += nonce;
  wrapped += *sealed;
  return wrapped;
}

Result<std::string> FileKeyProvider::kek_id_of(std::string_view wrapped) {
  if (wrapped.size() < 2 || wrapped[0] != kWrapVersion) {
    return error(Code::kDataLoss, "wrapped key has an unknown format");
  }
  const auto id_length = static_cast<unsigned char>(wrapped[1]);
  if (wrapped.size() < 2 + id_length + crypto::kAeadNonceSize + crypto::kAeadTagSize) {
    return error(Code::kDataLoss, "wrapped key is truncated");
  }
  return std::string(wrapped.substr(2, id_length));
}

Result<std::string> FileKeyProvider::unwrap(std::string_view wrapped) {
  const std::string id = WL_TRY(kek_id_of(wrapped));
  const std::size_t id_length = id.size();
  const std::string_view nonce = wrapped.substr(2 + id_length, crypto::kAeadNonceSize);
  const std::string_view sealed = wrapped.substr(2 + id_length + crypto::kAeadNonceSize);

  std::string key;
  for (int attempt = 0; attempt < 2 && key.empty(); ++attempt) {
    if (attempt == 1) {
      // Another process sharing the file may have rotated since we read it.
      WL_TRY(reload());
    }
    std::shared_lock lock(mutex_);
    for (const auto& kek : keks_) {
      if (kek.id == id) {
        key = kek.key;
        break;
      }
    }
  }
  if (key.empty()) {
    return error(Code::kNotFound, "wrapped key names an unknown key-encryption key");
  }
  auto opened = crypto::aes256gcm_open(key, nonce, id, sealed);
  wipe(key);
  if (!opened) {
    return error(Code::kDataLoss, "wrapped key failed authentication");
  }
  return opened;
}

Result<std::string> FileKeyProvider::rotate() {
  std::unique_lock lock(mutex_);
  std::uint64_t highest = 0;
  for (const auto& kek : keks_) {
    highest = std::max(highest, kek_number(kek.id));
  }
  std::vector<Kek> next = keks_;
  next.push_back(
      Kek{std::string(kKekPrefix) + std::to_string(highest + 1), crypto::random_bytes(kKekSize)});
  std::string contents = format_key_file(next);
  auto written = crypto::write_secret_file(file_, contents);
  wipe(contents);
  if (!written) {
    for (auto& kek : next) {
      wipe(kek.key);
    }
    return std::unexpected(written.error());
  }
  for (auto& kek : keks_) {
    wipe(kek.key);
  }
  keks_ = std::move(next);
  return keks_.back().id;
}

Result<void> FileKeyProvider::reload() {
  auto text = crypto::read_secret_file(file_);
  if (!text) {
    return std::unexpected(text.error());
  }
  auto parsed = parse_key_file(*text);
  wipe(*text);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  std::unique_lock lock(mutex_);
  if (parsed->size() > keks_.size()) {
    for (auto& kek : keks_) {
      wipe(kek.key);
    }
    keks_.clear();
    for (auto& kek : *parsed) {
      keks_.push_back(Kek{std::move(kek.id), std::move(kek.key)});
    }
  } else {
    for (auto& kek : *parsed) {
      wipe(kek.key);
    }
  }
  return ok();
}

}  // namespace wl
