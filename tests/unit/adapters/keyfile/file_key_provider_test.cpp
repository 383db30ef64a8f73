#include "adapters/keyfile/file_key_provider.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto/random.hpp"
#include "core/crypto/secret_file.hpp"

namespace wl {
namespace {

namespace fs = std::filesystem;

class FileKeyProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("wl-keyfile-" + crypto::random_token_hex(8));
    fs::create_directories(directory_);
    file_ = directory_ / "keys";
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<FileKeyProvider> open() {
    auto provider = FileKeyProvider::open_or_create(file_);
    EXPECT_TRUE(provider.has_value()) << provider.error().to_string();
    return provider ? std::move(*provider) : nullptr;
  }

  std::string file_text() const {
    std::ifstream in(file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path directory_;
  fs::path file_;
};

TEST_F(FileKeyProviderTest, CreatesA0600FileWithOneKek) {
  auto provider = open();
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ(provider->current_kek_id(), "kek-1");
  EXPECT_EQ(fs::status(file_).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(file_text().find("kek-1 "), std::string::npos);
}

TEST_F(FileKeyProviderTest, WrapRoundTripsAndHidesTheKey) {
  auto provider = open();
  const std::string data_key = crypto::random_bytes(32);
  auto wrapped = provider->wrap(data_key);
  ASSERT_TRUE(wrapped.has_value());
  EXPECT_EQ(wrapped->find(data_key), std::string::npos);
  auto unwrapped = provider->unwrap(*wrapped);
  ASSERT_TRUE(unwrapped.has_value()) << unwrapped.error().to_string();
  EXPECT_EQ(*unwrapped, data_key);
}

TEST_F(FileKeyProviderTest, WrapsOfTheSameKeyDiffer) {
  auto provider = open();
  const std::string data_key = crypto::random_bytes(32);
  EXPECT_NE(provider->wrap(data_key).value_or("a"), provider->wrap(data_key).value_or("b"));
}

TEST_F(FileKeyProviderTest, OldWrapsStillOpenAfterRotate) {
  auto provider = open();
  const std::string data_key = crypto::random_bytes(32);
  const std::string old_wrap = provider->wrap(data_key).value();
  auto rotated = provider->rotate();
  ASSERT_TRUE(rotated.has_value()) << rotated.error().to_string();
  EXPECT_EQ(*rotated, "kek-2");
  EXPECT_EQ(provider->current_kek_id(), "kek-2");
  EXPECT_EQ(provider->unwrap(old_wrap).value_or(""), data_key);
}

TEST_F(FileKeyProviderTest, NewWrapsUseTheNewKek) {
  auto provider = open();
  ASSERT_TRUE(provider->rotate().has_value());
  auto wrapped = provider->wrap(crypto::random_bytes(32));
  ASSERT_TRUE(wrapped.has_value());
  ASSERT_GT(wrapped->size(), 7u);
  // Version byte, id length, then the id in clear (docs/keys.md).
  EXPECT_EQ(wrapped->substr(2, 5), "kek-2");
  EXPECT_EQ(wrapped->at(1), 5);
}

TEST_F(FileKeyProviderTest, ReopenFromDiskKeepsEveryKek) {
  const std::string data_key = crypto::random_bytes(32);
  std::string wrap_1;
  std::string wrap_2;
  {
    auto provider = open();
    wrap_1 = provider->wrap(data_key).value();
    ASSERT_TRUE(provider->rotate().has_value());
    wrap_2 = provider->wrap(data_key).value();
  }
  auto reopened = open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->current_kek_id(), "kek-2");
  EXPECT_EQ(reopened->kek_ids(), (std::vector<std::string>{"kek-1", "kek-2"}));
  EXPECT_EQ(reopened->unwrap(wrap_1).value_or(""), data_key);
  EXPECT_EQ(reopened->unwrap(wrap_2).value_or(""), data_key);
  EXPECT_EQ(fs::status(file_).permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(FileKeyProviderTest, RefusesAWorldReadableFile) {
  open();
  fs::permissions(file_, fs::perms::others_read, fs::perm_options::add);
  auto provider = FileKeyProvider::open_or_create(file_);
  ASSERT_FALSE(provider.has_value());
  EXPECT_EQ(provider.error().code(), Code::kFailedPrecondition);
}

TEST_F(FileKeyProviderTest, TamperedWrapFailsWithDataLoss) {
  auto provider = open();
  const std::string wrapped = provider->wrap(crypto::random_bytes(32)).value();
  for (const std::size_t position : {wrapped.size() - 1, wrapped.size() - 20, std::size_t{9}}) {
    std::string tampered = wrapped;
    tampered[position] ^= 0x01;
    auto unwrapped = provider->unwrap(tampered);
    ASSERT_FALSE(unwrapped.has_value()) << position;
    EXPECT_EQ(unwrapped.error().code(), Code::kDataLoss) << position;
  }
  EXPECT_EQ(provider->unwrap(wrapped.substr(0, 20)).error().code(), Code::kDataLoss);
  EXPECT_EQ(provider->unwrap("").error().code(), Code::kDataLoss);
  std::string other_version = wrapped;
  other_version[0] = 2;
  EXPECT_EQ(provider->unwrap(other_version).error().code(), Code::kDataLoss);
}

TEST_F(FileKeyProviderTest, UnknownKekIsNotFound) {
  auto provider = open();
  std::string wrapped = provider->wrap(crypto::random_bytes(32)).value();
  // Rename the kek id in the wrap: "kek-1" -> "kek-9" (same length).
  wrapped[6] = '9';
  auto unwrapped = provider->unwrap(wrapped);
  ASSERT_FALSE(unwrapped.has_value());
  EXPECT_EQ(unwrapped.error().code(), Code::kNotFound);
}

TEST_F(FileKeyProviderTest, WrapFromAnotherKeyFileIsNotOpened) {
  auto provider = open();
  const fs::path other_file = directory_ / "other-keys";
  auto other = FileKeyProvider::open_or_create(other_file);
  ASSERT_TRUE(other.has_value());
  // Same id "kek-1", different key: authentication must fail.
  const std::string wrapped = (*other)->wrap(crypto::random_bytes(32)).value();
  EXPECT_EQ(provider->unwrap(wrapped).error().code(), Code::kDataLoss);
}

TEST_F(FileKeyProviderTest, PicksUpAKekRotatedByAnotherProcess) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(second->rotate().has_value());
  const std::string data_key = crypto::random_bytes(32);
  const std::string wrapped = second->wrap(data_key).value();
  EXPECT_EQ(first->unwrap(wrapped).value_or(""), data_key);
  EXPECT_EQ(first->current_kek_id(), "kek-2");
}

TEST_F(FileKeyProviderTest, MalformedFileIsDataLoss) {
  ASSERT_TRUE(crypto::write_secret_file(file_, "wardline-kek-file 1\nkek-1 not-a-key\n"));
  EXPECT_EQ(FileKeyProvider::open_or_create(file_).error().code(), Code::kDataLoss);
  ASSERT_TRUE(crypto::write_secret_file(file_, "something else\n"));
  EXPECT_EQ(FileKeyProvider::open_or_create(file_).error().code(), Code::kDataLoss);
  ASSERT_TRUE(crypto::write_secret_file(file_, "wardline-kek-file 1\n"));
  EXPECT_EQ(FileKeyProvider::open_or_create(file_).error().code(), Code::kDataLoss);
}

TEST_F(FileKeyProviderTest, MissingDirectoryIsAnError) {
  auto provider = FileKeyProvider::open_or_create(directory_ / "absent" / "keys");
  ASSERT_FALSE(provider.has_value());
  EXPECT_EQ(provider.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace wl
