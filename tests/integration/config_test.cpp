#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/server_process.hpp"

// `wardline serve --config FILE` and `wardline config check FILE` as an operator runs
// them (docs/operations.md, "Configuration file").
namespace wl::testing {
namespace {
namespace fs = std::filesystem;

// A loopback port that was free a moment ago: the kernel does not hand a port it just
// gave out to the next bind(0), so a server started right after gets it.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  fs::path write_config(const std::string& text) {
    const fs::path file = temp_.path() / "wardline.toml";
    std::ofstream(file) << text;
    return file;
  }

  fs::path data_dir() const { return temp_.path() / "data"; }

  TempDir temp_;
};

TEST_F(ConfigFileTest, ServeListensOnThePortAndDataDirOfItsFile) {
  const std::uint16_t port = free_port();
  const fs::path file = write_config(
      "# A ward's server.\n"
      "data-dir = \"" +
      data_dir().string() +
      "\"\n"
      "\n"
      "port = " +
      std::to_string(port) +
      "   # a comment after the value\n"
      "hostname = [\"localhost\", \"127.0.0.1\"]\n"
      "demo = true\n");
  ServerProcess server(data_dir());
  server.use_config_file(file);
  server.start();
  EXPECT_EQ(server.port(), port) << server.output();
  EXPECT_TRUE(fs::exists(data_dir() / "tls" / "ca.pem"));
  EXPECT_NE(server.output().find("demo org"), std::string::npos) << server.output();
}

TEST_F(ConfigFileTest, TheCommandLineOverridesTheFile) {
  const fs::path file =
      write_config("data-dir = \"" + (temp_.path() / "from-file").string() + "\"\nport = 0\n");
  ServerProcess server(data_dir(), {"--data-dir", data_dir().string()});
  server.use_config_file(file);
  server.start();
  EXPECT_TRUE(fs::exists(data_dir() / "tls" / "ca.pem")) << server.output();
  EXPECT_FALSE(fs::exists(temp_.path() / "from-file"));
}

// Serves with `file` and expects a refusal that names `expected`, with nothing started.
void expect_refused(const fs::path& file, const fs::path& data_dir, const std::string& expected) {
  std::string output;
  EXPECT_EQ(run_wardline({"serve", "--config", file.string()}, &output), 2) << output;
  EXPECT_NE(output.find(expected), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(data_dir)) << output;
}

TEST_F(ConfigFileTest, ServeRefusesAnUnknownKeyWithItsLine) {
  const fs::path file =
      write_config("data-dir = \"" + data_dir().string() + "\"\n# The port.\nprot = 8443\n");
  expect_refused(
      file, data_dir(),
      "wardline: " + file.string() + ":3: unknown key \"prot\" (did you mean \"port\"?)");
}

TEST_F(ConfigFileTest, ServeRefusesABadValueWithItsLine) {
  const fs::path file =
      write_config("data-dir = \"" + data_dir().string() + "\"\nport = \"eighty\"\n");
  expect_refused(file, data_dir(),
                 "wardline: " + file.string() + ":2: port: \"eighty\" is not a number");
}

TEST_F(ConfigFileTest, ServeRefusesATestOnlyKey) {
  const fs::path file =
      write_config("data-dir = \"" + data_dir().string() + "\"\nport = 0\nbench-limits = true\n");
  expect_refused(file, data_dir(),
                 "wardline: " + file.string() +
                     ":3: \"bench-limits\" is for tests only and cannot be set in a configuration "
                     "file");
}

TEST_F(ConfigFileTest, CheckAcceptsTheExampleFile) {
  const std::string example = std::string(WL_SOURCE_DIR) + "/dist/wardline.toml";
  std::string output;
  EXPECT_EQ(run_wardline({"config", "check", example}, &output), 0) << output;
  EXPECT_EQ(output, example + ": ok\n");
}

TEST_F(ConfigFileTest, CheckListsEveryError) {
  const fs::path file = write_config(
      "prot = 8443\n"
      "workers = -3\n"
      "fast-password-hashing = true\n"
      "tls-cert = \"/etc/wardline/fullchain.pem\"\n"
      "port = 1\n"
      "port = 2\n");
  std::string output;
  EXPECT_EQ(run_wardline({"config", "check", file.string()}, &output), 2) << output;
  const std::string prefix = "wardline: " + file.string();
  for (const std::string& expected : {
           prefix + ":1: unknown key \"prot\" (did you mean \"port\"?)",
           prefix + ":2: workers: -3 is out of range",
           prefix + ":3: \"fast-password-hashing\" is for tests only",
           prefix + ":4: tls-cert: needs tls-key",
           prefix + ":6: duplicate key \"port\" (first set on line 5)",
       }) {
    EXPECT_NE(output.find(expected), std::string::npos) << expected << "\nin:\n" << output;
  }
}

}  // namespace
}  // namespace wl::testing
