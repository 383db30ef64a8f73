#pragma once

#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "ports/key_provider.hpp"

namespace wl {

// The default KeyProvider: key-encryption keys kept in a 0600 file in the data
// directory (format in docs/keys.md). Each KEK is 32 random bytes with an id "kek-N";
// the last one in the file is current. wrap() seals with AES-256-GCM under the current
// KEK; unwrap() opens with whichever KEK the wrapped value names.
//
// Thread-safe. wrap() and unwrap() take a shared lock and do no I/O, except that
// unwrap() re-reads the file once when a value names a KEK it does not hold (another
// process sharing the file may have rotated). rotate() blocks on disk I/O.
class FileKeyProvider final : public KeyProvider {
 public:
  // Opens the key file, creating it with one fresh KEK ("kek-1") if it does not exist.
  // The directory must exist. Errors: FailedPrecondition if the file is readable by
  // group or others or is not a regular file; DataLoss if its contents are malformed;
  // NotFound if the directory does not exist; Unavailable for an I/O error.
  [[nodiscard]] static Result<std::unique_ptr<FileKeyProvider>> open_or_create(
      const std::filesystem::path& file);

  FileKeyProvider(const FileKeyProvider&) = delete;
  FileKeyProvider& operator=(const FileKeyProvider&) = delete;
  ~FileKeyProvider() override;

  std::string current_kek_id() const override;

  // Returns version byte 1 || kek id length (u8) || kek id || 12-byte nonce ||
  // AES-256-GCM(data_key, aad = kek id) with its 16-byte tag.
  Result<std::string> wrap(std::string_view data_key) override;

  // Errors: DataLoss if the value is malformed or fails authentication; NotFound if it
  // names a KEK this file does not hold.
  Result<std::string> unwrap(std::string_view wrapped) override;

  // Appends "kek-<N+1>", rewrites the file atomically, then makes the new KEK current.
  // On error nothing changes. Errors: as write_secret_file (Unavailable, FailedPrecondition).
  Result<std::string> rotate() override;

  // The ids of every KEK held, oldest first.
  std::vector<std::string> kek_ids() const;

  // The id of the KEK a wrapped value (as wrap() writes it) names. Errors: DataLoss if
  // the value is malformed.
  [[nodiscard]] static Result<std::string> kek_id_of(std::string_view wrapped);

 private:
  struct Kek {
    std::string id;
    std::string key;  // 32 raw bytes.
  };

  FileKeyProvider(std::filesystem::path file, std::vector<Kek> keks);

  // Re-reads the file and adopts its KEKs if it holds more than this object does.
  Result<void> reload();

  const std::filesystem::path file_;
  mutable std::shared_mutex mutex_;
  std::vector<Kek> keks_;  // GUARDED_BY(mutex_). Never empty; the last is current.
};

}  // namespace wl
