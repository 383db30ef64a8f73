#include "services/keys/key_ring.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/crypto/aead.hpp"
#include "core/crypto/encoding.hpp"
#include "core/crypto/hash.hpp"
#include "core/crypto/random.hpp"

namespace wl {
namespace {

// Sealed value layout (docs/sealed_values.md):
//   u8 version (1) | u32 big-endian data key id | 12-byte nonce | ciphertext | 16-byte tag
constexpr char kSealedVersion = 1;
constexpr std::size_t kHeaderSize = 1 + 4 + crypto::kAeadNonceSize;
constexpr std::size_t kDataKeySize = 32;
constexpr std::string_view kBlindKeyInfo = "wardline blind token key v1";
constexpr std::string_view kClientStorageKeyInfo = "wardline client storage key v1 ";
// A second attempt covers a concurrent creator in another process; more means a bug.
constexpr int kCreateAttempts = 3;

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void append_i64(std::string& out, std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

void append_bytes(std::string& out, std::string_view bytes) {
  append_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

// AAD: the canonical, length-prefixed encoding of everything the value is bound to.
// Length prefixes make it injective: ("ab", "c") and ("a", "bc") differ.
std::string associated_data(const SealContext& context, std::uint32_t key_id) {
  std::string aad;
  aad.reserve(1 + 8 + 4 + 12 + context.kind.size() + context.record.size() + context.field.size());
  aad.push_back(kSealedVersion);
  append_i64(aad, context.org.value());
  append_u32(aad, key_id);
  append_bytes(aad, context.kind);
  append_bytes(aad, context.record);
  append_bytes(aad, context.field);
  return aad;
}

std::uint32_t read_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

std::string_view view(const std::array<char, 32>& key) { return {key.data(), key.size()}; }

std::array<char, 32> to_key(std::string_view bytes) {
  std::array<char, 32> key{};
  std::memcpy(key.data(), bytes.data(), key.size());
  return key;
}

}  // namespace

KeyRing::KeyRing(KeyStore& store, KeyProvider& provider, const Clock& clock)
    : store_(store), provider_(provider), clock_(clock) {}

KeyRing::~KeyRing() = default;

Result<void> KeyRing::load() {
  std::lock_guard write_lock(write_mutex_);
  return reload_locked();
}

Result<void> KeyRing::reload_locked() {
  const std::vector<DataKeyRecord> records = WL_TRY(store_.list_data_keys());
  std::unordered_map<OrgId, OrgKeys> orgs;
  for (const DataKeyRecord& record : records) {
    DataKey data_key;
    data_key.record = record;
    data_key.destroyed = record.destroyed;
    if (!record.destroyed) {
      const std::string key = WL_TRY(provider_.unwrap(record.wrapped));
      if (key.size() != kDataKeySize) {
        return error(Code::kDataLoss, "a stored data key has the wrong size");
      }
      data_key.key = to_key(key);
    }
    orgs[record.org_id].keys[record.key_id] = std::move(data_key);
  }
  for (auto& [org, org_keys] : orgs) {
    org_keys.sealing_key_id = 0;
    for (const auto& [key_id, data_key] : org_keys.keys) {
      if (!data_key.destroyed) {
        org_keys.sealing_key_id = key_id;  // Ascending order: the last one wins.
      }
    }
    const DataKey& first = org_keys.keys.begin()->second;
    if (!first.destroyed) {
      org_keys.blind_key =
          to_key(crypto::hkdf_sha256(view(first.key), "", kBlindKeyInfo, kDataKeySize));
    }
  }
  std::unique_lock lock(mutex_);
  orgs_ = std::move(orgs);
  return ok();
}

Result<std::uint32_t> KeyRing::add_data_key_locked(OrgId org, NewKey purpose) {
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    std::uint32_t next_id = 1;
    {
      std::shared_lock lock(mutex_);
      const auto found = orgs_.find(org);
      if (found != orgs_.end() && !found->second.keys.empty()) {
        // A first key that another process created (seen after a conflict) is adopted.
        if (purpose == NewKey::kFirst && found->second.sealing_key_id != 0) {
          return found->second.sealing_key_id;
        }
        next_id = found->second.keys.rbegin()->first + 1;
      }
    }
    const std::string key = crypto::random_bytes(kDataKeySize);
    DataKeyRecord record;
    record.org_id = org;
    record.key_id = next_id;
    record.wrapped = WL_TRY(provider_.wrap(key));
    record.created_at = clock_.now();
    auto stored = store_.put_data_key(record);
    if (!stored) {
      if (stored.error().code() != Code::kAlreadyExists) {
        return std::unexpected(stored.error());
      }
      // Another process created this key id first: adopt its keys, then either use
      // them (a first key) or try the next id (a rotation).
      WL_TRY(reload_locked());
      continue;
    }
    std::unique_lock lock(mutex_);
    OrgKeys& org_keys = orgs_[org];
    DataKey& data_key = org_keys.keys[next_id];
    data_key.key = to_key(key);
    data_key.record = std::move(record);
    org_keys.sealing_key_id = next_id;
    if (org_keys.keys.size() == 1) {
      org_keys.blind_key = to_key(crypto::hkdf_sha256(key, "", kBlindKeyInfo, kDataKeySize));
    }
    return next_id;
  }
  return error(Code::kAborted, "data key creation kept conflicting; retry");
}

Result<void> KeyRing::prepare(OrgId org) {
  WL_TRY(sealing_key(org));
  return ok();
}

Result<KeyRing::SealingKey> KeyRing::sealing_key(OrgId org) {
  if (!org.is_set()) {
    return error(Code::kInvalidArgument, "sealing needs an org");
  }
  {
    std::shared_lock lock(mutex_);
    const auto found = orgs_.find(org);
    if (found != orgs_.end() && found->second.sealing_key_id != 0) {
      const std::uint32_t id = found->second.sealing_key_id;
      return SealingKey{id, found->second.keys.at(id).key};
    }
  }
  std::lock_guard write_lock(write_mutex_);
  {
    // Another thread may have created it while we waited for write_mutex_.
    std::shared_lock lock(mutex_);
    const auto found = orgs_.find(org);
    if (found != orgs_.end() && found->second.sealing_key_id != 0) {
      const std::uint32_t id = found->second.sealing_key_id;
      return SealingKey{id, found->second.keys.at(id).key};
    }
  }
  const std::uint32_t id = WL_TRY(add_data_key_locked(org, NewKey::kFirst));
  std::shared_lock lock(mutex_);
  return SealingKey{id, orgs_.at(org).keys.at(id).key};
}

Result<std::string> KeyRing::seal(const SealContext& context, std::string_view plaintext) {
  const SealingKey key = WL_TRY(sealing_key(context.org));
  const std::string nonce = crypto::random_bytes(crypto::kAeadNonceSize);
  const std::string ciphertext = WL_TRY(
      crypto::aes256gcm_seal(view(key.key), nonce, associated_data(context, key.id), plaintext));
  std::string sealed;
  sealed.reserve(kHeaderSize + ciphertext.size());
  sealed.push_back(kSealedVersion);
  append_u32(sealed, key.id);
  sealed += nonce;
  sealed += ciphertext;
  return sealed;
}

Result<std::uint32_t> KeyRing::sealed_key_id(std::string_view sealed) {
  if (sealed.size() < kHeaderSize + crypto::kAeadTagSize) {
    return error(Code::kDataLoss, "sealed value is truncated");
  }
  if (sealed[0] != kSealedVersion) {
    return error(Code::kDataLoss, "sealed value has an unknown format version");
  }
  return read_u32(sealed.substr(1, 4));
}

Result<std::string> KeyRing::open(const SealContext& context, std::string_view sealed) {
  const std::uint32_t key_id = WL_TRY(sealed_key_id(sealed));
  std::optional<Key> key;
  bool destroyed = false;
  for (int attempt = 0; attempt < 2 && !key && !destroyed; ++attempt) {
    if (attempt == 1) {
      // Not held: another process may have created or rotated this org's keys.
      std::lock_guard write_lock(write_mutex_);
      WL_TRY(reload_locked());
    }
    std::shared_lock lock(mutex_);
    const auto org = orgs_.find(context.org);
    if (org == orgs_.end()) {
      continue;
    }
    const auto found = org->second.keys.find(key_id);
    if (found == org->second.keys.end()) {
      continue;
    }
    destroyed = found->second.destroyed;
    if (!destroyed) {
      key = found->second.key;
    }
  }
  if (destroyed) {
    return error(Code::kNotFound, "the data key of this value was destroyed");
  }
  if (!key) {
    // Not a shredded value: it was sealed elsewhere (another org) or its header changed.
    return error(Code::kDataLoss, "sealed value names a data key that does not exist");
  }
  auto opened =
      crypto::aes256gcm_open(view(*key), sealed.substr(5, crypto::kAeadNonceSize),
                             associated_data(context, key_id), sealed.substr(kHeaderSize));
  if (!opened) {
    return error(Code::kDataLoss, "sealed value failed authentication");
  }
  return opened;
}

Result<KeyRing::Key> KeyRing::blind_key(OrgId org) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::shared_lock lock(mutex_);
      const auto found = orgs_.find(org);
      if (found != orgs_.end() && !found->second.keys.empty()) {
        if (!found->second.blind_key) {
          return error(Code::kFailedPrecondition,
                       "the org's first data key was destroyed; blind tokens are unavailable");
        }
        return *found->second.blind_key;
      }
    }
    WL_TRY(sealing_key(org));  // Creates the org's first data key.
  }
  return error(Code::kInternal, "blind token key missing after creation");
}

Result<std::string> KeyRing::blind_token(OrgId org, std::string_view normalized_text) {
  const Key key = WL_TRY(blind_key(org));
  return crypto::base64url_encode(crypto::hmac_sha256(view(key), normalized_text));
}

Result<std::string> KeyRing::client_storage_key(OrgId org, UserId user) {
  if (!user.is_set()) {
    return error(Code::kInvalidArgument, "a client storage key needs a user");
  }
  const Key key = WL_TRY(blind_key(org));
  // HKDF extracts a new pseudorandom key from the blind key first, so this is not an
  // HMAC of the blind key over any text: no blind token can equal it.
  return crypto::hkdf_sha256(
      view(key), "", fmt::format("{}user:{}", kClientStorageKeyInfo, user.value()), kDataKeySize);
}

Result<std::uint32_t> KeyRing::rotate_data_key(OrgId org) {
  if (!org.is_set()) {
    return error(Code::kInvalidArgument, "rotating a data key needs an org");
  }
  std::lock_guard write_lock(write_mutex_);
  return add_data_key_locked(org, NewKey::kRotation);
}

Result<void> KeyRing::rotate_kek() {
  std::lock_guard write_lock(write_mutex_);
  WL_TRY(provider_.rotate());
  std::vector<DataKeyRecord> records;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [org, org_keys] : orgs_) {
      for (const auto& [key_id, data_key] : org_keys.keys) {
        if (data_key.destroyed) {
          continue;
        }
        DataKeyRecord record = data_key.record;
        records.push_back(std::move(record));
        // Wrapped below, outside the lock: wrap() may be slow (an HSM round trip).
      }
    }
  }
  for (DataKeyRecord& record : records) {
    Key key{};
    {
      std::shared_lock lock(mutex_);
      key = orgs_.at(record.org_id).keys.at(record.key_id).key;
    }
    record.wrapped = WL_TRY(provider_.wrap(view(key)));
  }
  WL_TRY(store_.rewrap_data_keys(records));
  std::unique_lock lock(mutex_);
  for (DataKeyRecord& record : records) {
    orgs_.at(record.org_id).keys.at(record.key_id).record.wrapped = std::move(record.wrapped);
  }
  return ok();
}

}  // namespace wl
