#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/ids.hpp"
#include "core/status.hpp"
#include "ports/clock.hpp"
#include "ports/key_provider.hpp"
#include "ports/records.hpp"
#include "ports/key_store.hpp"

namespace wl {

// Where a sealed value lives. The AAD binds all four, so a sealed value copied to
// another org, record or field fails to open (docs/sealed_values.md).
struct SealContext {
  OrgId org;
  std::string_view kind;    // "message", "patient", "thread", ...
  std::string_view record;  // A stable key known before insert: "thread:12/sender:4/client:abc".
  std::string_view field;   // "body", "name", ...
};

// The per-org data keys and the sealing of PHI fields (docs/keys.md,
// docs/sealed_values.md). Data keys are 32-byte AES-256-GCM keys, stored in the Store
// wrapped by the KeyProvider's KEK and held unwrapped in memory only.
//
// Thread-safe. seal(), open() and blind_token() take a shared lock to copy a key out
// and do no I/O once the org's keys are loaded; they block on the store only to create
// an org's first data key or to look for a key another process created. load(),
// rotate_kek() and rotate_data_key() block on the store and the provider.
class KeyRing {
 public:
  // `store`, `provider` and `clock` must outlive the KeyRing.
  KeyRing(KeyStore& store, KeyProvider& provider, const Clock& clock);
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  ~KeyRing();

  // Loads and unwraps every data key in the store, replacing what is held.
  // Errors: as KeyStore::list_data_keys; NotFound if a key's KEK is unknown to the provider;
  // DataLoss if a wrapped key fails authentication. On error nothing changes.
  [[nodiscard]] Result<void> load();

  // Seals `plaintext` for `context` with the org's newest data key and a random nonce.
  // Creates and durably stores the org's first data key on first use.
  // Errors: InvalidArgument for an unset org; as KeyStore::put_data_key and
  // KeyProvider::wrap when a first key is created.
  [[nodiscard]] Result<std::string> seal(const SealContext& context, std::string_view plaintext);

  // Makes sure `org` has a sealing key, creating and storing its first one if needed,
  // so that its seal() calls do no I/O from then on (a server prepares every org at
  // start, before io threads seal). Errors: as seal() when the first key is created.
  [[nodiscard]] Result<void> prepare(OrgId org);

  // Opens a value made by seal() for the same context.
  // Errors: DataLoss if it is malformed, tampered with, was sealed for another context or
  // names a data key that never existed; NotFound if its data key was destroyed
  // (crypto-shredded: the value is gone for good).
  [[nodiscard]] Result<std::string> open(const SealContext& context, std::string_view sealed);

  // A deterministic keyed token (base64url of HMAC-SHA-256, 43 characters) for equality
  // lookup and search without plaintext: the same (org, text) gives the same token, other
  // orgs get unrelated tokens. The key is derived with HKDF from the org's first data
  // key, created if needed. Callers normalise the text and prefix what it is
  // ("mrn:12345", "word:chest") so tokens of different fields never collide.
  // Errors: as seal() when the first key is created; FailedPrecondition if the org's
  // first data key was destroyed.
  [[nodiscard]] Result<std::string> blind_token(OrgId org, std::string_view normalized_text);

  // A 32-byte AES key with which a client seals what it keeps on a device for `user`
  // (the web app's outbox). Derived with HKDF from the org's blind-token key and the
  // user id, so each of the user's devices and sessions gets the same key and nothing
  // is stored; it is unrelated to any blind token. Errors: as blind_token.
  [[nodiscard]] Result<std::string> client_storage_key(OrgId org, UserId user);

  // Makes a new KEK current (provider.rotate()) and re-wraps every data key with it in
  // one KeyStore::rewrap_data_keys call. Sealed values are untouched and still open.
  // Errors: as KeyProvider::rotate and KeyStore::rewrap_data_keys. If the rewrap fails the
  // old wraps stay valid (the provider keeps old KEKs); calling again is safe.
  [[nodiscard]] Result<void> rotate_kek();

  // Creates and stores a new data key for `org`, which seals from now on; values sealed
  // with older keys still open. Returns the new key id.
  // Errors: InvalidArgument for an unset org; as KeyStore::put_data_key and KeyProvider::wrap.
  [[nodiscard]] Result<std::uint32_t> rotate_data_key(OrgId org);

  // The data key id a sealed value names, without opening it (for retention: which
  // period a value belongs to). Errors: DataLoss if it is not a sealed value.
  [[nodiscard]] static Result<std::uint32_t> sealed_key_id(std::string_view sealed);

 private:
  using Key = std::array<char, 32>;

  struct DataKey {
    Key key{};
    bool destroyed = false;
    DataKeyRecord record;
  };

  struct OrgKeys {
    std::map<std::uint32_t, DataKey> keys;
    std::uint32_t sealing_key_id = 0;  // Newest key not destroyed; 0 if none.
    std::optional<Key> blind_key;      // From the first data key, unless it was destroyed.
  };

  struct SealingKey {
    std::uint32_t id = 0;
    Key key{};
  };

  // The key that seals for `org`, creating the org's first key if it has none.
  Result<SealingKey> sealing_key(OrgId org);

  // The org's blind-token key, creating the org's first data key if needed.
  Result<Key> blind_key(OrgId org);

  enum class NewKey { kFirst, kRotation };

  // Creates the org's next key id, stores it and makes it the sealing key; returns its
  // id. If another process stored that id first, reloads and, for kFirst, uses the
  // org's existing key instead. Requires write_mutex_ held.
  Result<std::uint32_t> add_data_key_locked(OrgId org, NewKey purpose);

  // Reads every key from the store and replaces the held keys. Requires write_mutex_.
  Result<void> reload_locked();

  KeyStore& store_;
  KeyProvider& provider_;
  const Clock& clock_;
  // Serialises writers (key creation, rotation, reload) so they never race each other;
  // readers only take mutex_ in shared mode.
  std::mutex write_mutex_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<OrgId, OrgKeys> orgs_;  // Guarded by mutex_.
};

}  // namespace wl
