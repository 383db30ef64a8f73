#include "core/crypto/secret_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/crypto/random.hpp"

namespace wl::crypto {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("wl-secret-" + random_token_hex(8));
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  static fs::perms permissions(const fs::path& file) { return fs::status(file).permissions(); }

  fs::path directory_;
};

TEST_F(SecretFileTest, WritesAndReadsBackWithMode0600) {
  const fs::path file = directory_ / "kek";
  ASSERT_TRUE(write_secret_file(file, std::string("secret\0bytes", 12)).has_value());
  EXPECT_EQ(permissions(file), fs::perms::owner_read | fs::perms::owner_write);
  auto contents = read_secret_file(file);
  ASSERT_TRUE(contents.has_value()) << contents.error().to_string();
  EXPECT_EQ(*contents, std::string("secret\0bytes", 12));
}

TEST_F(SecretFileTest, IsCreated0600EvenUnderAPermissiveUmask) {
  const mode_t old_mask = ::umask(0);
  const fs::path file = directory_ / "kek";
  const auto written = write_secret_file(file, "x");
  ::umask(old_mask);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(permissions(file), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SecretFileTest, ReplacesExistingContentsAndLeavesNoTemporaryFiles) {
  const fs::path file = directory_ / "kek";
  ASSERT_TRUE(write_secret_file(file, "first").has_value());
  ASSERT_TRUE(write_secret_file(file, "second").has_value());
  EXPECT_EQ(read_secret_file(file).value_or(""), "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(directory_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(SecretFileTest, RefusesAFileReadableByOthers) {
  const fs::path file = directory_ / "kek";
  ASSERT_TRUE(write_secret_file(file, "secret").has_value());
  fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
  auto contents = read_secret_file(file);
  ASSERT_FALSE(contents.has_value());
  EXPECT_EQ(contents.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(contents.error().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(contents.error().message().find(directory_.string()), std::string::npos);
}

TEST_F(SecretFileTest, RefusesAFileReadableByGroup) {
  const fs::path file = directory_ / "kek";
  ASSERT_TRUE(write_secret_file(file, "secret").has_value());
  fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
  EXPECT_EQ(read_secret_file(file).error().code(), Code::kFailedPrecondition);
}

TEST_F(SecretFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(read_secret_file(directory_ / "absent").error().code(), Code::kNotFound);
}

TEST_F(SecretFileTest, MissingDirectoryIsNotFoundOnWrite) {
  EXPECT_EQ(write_secret_file(directory_ / "no" / "kek", "x").error().code(), Code::kNotFound);
}

TEST_F(SecretFileTest, RefusesASymbolicLink) {
  const fs::path target = directory_ / "target";
  ASSERT_TRUE(write_secret_file(target, "secret").has_value());
  fs::create_symlink(target, directory_ / "link");
  EXPECT_EQ(read_secret_file(directory_ / "link").error().code(), Code::kFailedPrecondition);
}

TEST_F(SecretFileTest, CreateRefusesToReplaceAnExistingFile) {
  const fs::path file = directory_ / "kek";
  ASSERT_TRUE(create_secret_file(file, "first").has_value());
  auto again = create_secret_file(file, "second");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Code::kAlreadyExists);
  EXPECT_EQ(read_secret_file(file).value_or(""), "first");
  EXPECT_EQ(permissions(file), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(SecretFileTest, ReadRefusesAFileOverItsBound) {
  const fs::path file = directory_ / "bounded";
  ASSERT_TRUE(write_secret_file(file, std::string(100, 'x')));
  EXPECT_TRUE(read_secret_file(file, 100));
  auto over = read_secret_file(file, 99);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace wl::crypto
