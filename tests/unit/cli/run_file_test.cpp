#include "cli/run_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/crypto/random.hpp"

namespace wl::cli {
namespace {
namespace fs = std::filesystem;

RunFile valid_run() {
  RunFile run;
  run.pid = 4242;
  run.address = "127.0.0.1";
  run.port = 8443;
  run.certificate_pin = "yFd/c3P2AoWrdWmg25AtcEtei9ouJSocK4C4G2krSKE=";
  run.admin_token = std::string(64, 'a');
  return run;
}

// The valid file's text with the line of `key` replaced by `line` (or removed if empty).
std::string with_line(std::string_view key, std::string_view line) {
  const std::string text = format_run_file(valid_run());
  const std::size_t start = text.find("\n" + std::string(key) + " ") + 1;
  const std::size_t end = text.find('\n', start) + 1;
  return text.substr(0, start) + (line.empty() ? "" : std::string(line) + "\n") + text.substr(end);
}

// The parse error's message, or "" if it parsed.
std::string refusal(std::string_view text) {
  auto parsed = parse_run_file(text);
  if (parsed) {
    return "";
  }
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  return parsed.error().message();
}

TEST(RunFileTest, ReadsWhatItWrites) {
  auto parsed = parse_run_file(format_run_file(valid_run()));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->address, "127.0.0.1");
  EXPECT_EQ(parsed->port, 8443);
  EXPECT_EQ(parsed->certificate_pin, valid_run().certificate_pin);
  EXPECT_EQ(parsed->admin_token, valid_run().admin_token);
  RunFile ipv6 = valid_run();
  ipv6.address = "::1";
  EXPECT_TRUE(parse_run_file(format_run_file(ipv6)));
}

TEST(RunFileTest, RefusesGarbage) {
  EXPECT_NE(refusal(""), "");
  EXPECT_NE(refusal("\x7f"
                    "ELF\x01\x01\x01"),
            "");
  EXPECT_NE(refusal(std::string("version 1\0pid 3\n", 16)), "");
  EXPECT_NE(refusal("{\"pid\": 4242}"), "");
  EXPECT_NE(refusal(with_line("pid", "pid")), "");       // No value.
  EXPECT_NE(refusal(with_line("pid", " pid 42")), "");   // No key.
  EXPECT_NE(refusal(with_line("pid", "pid  42")), "");   // Two spaces.
  EXPECT_NE(refusal(with_line("pid", "pid 42\r")), "");  // CR LF.
}

TEST(RunFileTest, RefusesMissingRepeatedAndUnknownKeys) {
  EXPECT_NE(refusal(with_line("admin_token", "")).find("'admin_token' is missing"),
            std::string::npos);
  EXPECT_NE(refusal(format_run_file(valid_run()) + "pid 4243\n").find("twice"), std::string::npos);
  EXPECT_NE(refusal(format_run_file(valid_run()) + "command rm -rf /\n").find("unknown key"),
            std::string::npos);
  EXPECT_NE(refusal(with_line("version", "version 2")).find("version"), std::string::npos);
}

TEST(RunFileTest, RefusesValuesOutOfForm) {
  for (const char* pid : {"pid 0", "pid -1", "pid 4294967296", "pid 12a", "pid 0x10",
                          "pid 99999999999999999999999"}) {
    EXPECT_NE(refusal(with_line("pid", pid)), "") << pid;
  }
  for (const char* port : {"port 0", "port 65536", "port -443", "port 443 "}) {
    EXPECT_NE(refusal(with_line("port", port)), "") << port;
  }
  // Names are never looked up: only IP literals.
  for (const char* address : {"address localhost", "address evil.example", "address 127.0.0.1:80",
                              "address [::1]", "address 999.1.1.1"}) {
    EXPECT_NE(refusal(with_line("address", address)), "") << address;
  }
  for (const char* pin :
       {"certificate_pin abc", "certificate_pin yFd/c3P2AoWrdWmg25AtcEtei9ouJSocK4C4G2krSKE",
        "certificate_pin yFd/c3P2AoWrdWmg25AtcEtei9ouJSocK4C4G2krSK-="}) {
    EXPECT_NE(refusal(with_line("certificate_pin", pin)), "") << pin;
  }
  const std::string short_token = "admin_token " + std::string(63, 'a');
  const std::string long_token = "admin_token " + std::string(65, 'a');
  const std::string upper_token = "admin_token " + std::string(64, 'A');
  const std::string secret = "admin_token " + std::string(63, 'a') + "z";
  for (const std::string& token : {short_token, long_token, upper_token, secret}) {
    const std::string message = refusal(with_line("admin_token", token));
    EXPECT_NE(message, "") << token;
    // A refusal never shows the token.
    EXPECT_EQ(message.find("aaaa"), std::string::npos) << message;
  }
}

TEST(RunFileTest, RefusesTooLong) {
  const std::string padding = "#" + std::string(kMaxRunFileBytes, ' ') + "\n";
  EXPECT_NE(refusal(format_run_file(valid_run()) + padding).find("too long"), std::string::npos);
}

class RunFileOnDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("wl-run-" + crypto::random_token_hex(8));
    fs::create_directories(directory_);
    file_ = directory_ / std::string(kRunFileName);
  }
  void TearDown() override { fs::remove_all(directory_); }

  void write_raw(const std::string& text, fs::perms mode) {
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << text;
    fs::permissions(file_, mode, fs::perm_options::replace);
  }

  fs::path directory_;
  fs::path file_;
};

TEST_F(RunFileOnDiskTest, WritesPrivatelyAndReadsBack) {
  ASSERT_TRUE(write_run_file(file_, valid_run()));
  EXPECT_EQ(fs::status(file_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto read = read_run_file(file_);
  ASSERT_TRUE(read) << read.error().to_string();
  EXPECT_EQ(read->admin_token, valid_run().admin_token);
  // Replaced whole, never torn: no temporary file is left beside it.
  ASSERT_TRUE(write_run_file(file_, valid_run()));
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1);
}

TEST_F(RunFileOnDiskTest, RefusesBadPermissionsLinksSizeAndAbsence) {
  EXPECT_EQ(read_run_file(file_).error().code(), Code::kNotFound);

  write_raw(format_run_file(valid_run()), fs::perms::owner_read | fs::perms::owner_write |
                                              fs::perms::group_read | fs::perms::others_read);
  auto readable = read_run_file(file_);
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().code(), Code::kFailedPrecondition);
  EXPECT_NE(readable.error().message().find("run file"), std::string::npos);

  write_raw(std::string(kMaxRunFileBytes + 1, '#'), fs::perms::owner_read | fs::perms::owner_write);
  auto big = read_run_file(file_);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), Code::kInvalidArgument);
  EXPECT_NE(big.error().message().find("too long"), std::string::npos);

  write_raw("garbage\n", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_run_file(file_).error().code(), Code::kInvalidArgument);

  // A symbolic link to a valid file is not followed.
  const fs::path real = directory_ / "elsewhere";
  ASSERT_TRUE(write_run_file(real, valid_run()));
  fs::remove(file_);
  fs::create_symlink(real, file_);
  auto linked = read_run_file(file_);
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code(), Code::kFailedPrecondition);

  fs::remove(file_);
  fs::create_directory(file_);
  EXPECT_FALSE(read_run_file(file_));
}

TEST(RunFileProcessTest, KnowsLiveAndDeadProcessesAndLocalAddresses) {
  EXPECT_TRUE(is_process_alive(::getpid()));
  EXPECT_FALSE(is_process_alive(0));
  EXPECT_FALSE(is_process_alive(-5));
  EXPECT_FALSE(is_process_alive(std::int64_t{1} << 40));
  EXPECT_EQ(local_address_for("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(local_address_for("::"), "::1");
  EXPECT_EQ(local_address_for("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(local_address_for("::1"), "::1");
  EXPECT_EQ(local_address_for("localhost"), "127.0.0.1");
  EXPECT_EQ(local_address_for("evil.example\nadmin_token x"), "127.0.0.1");
}

}  // namespace
}  // namespace wl::cli
