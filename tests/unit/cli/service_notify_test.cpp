#include "cli/service_notify.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "support/notify_socket.hpp"

namespace wl::cli {
namespace {
namespace fs = std::filesystem;

// The service manager's socket; the next datagram, or "" if none comes within a second.
class ListeningSocket {
 public:
  explicit ListeningSocket(std::string name) : socket_(std::move(name)) {}
  std::string receive() { return socket_.receive(std::chrono::seconds(1)).value_or(""); }

 private:
  testing::NotifySocket socket_;
};

class ServiceNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("wardline-notify-" + std::to_string(::getpid()) +
                                              "-" + std::to_string(std::random_device()()));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  std::string socket_path() const { return (directory_ / "notify").string(); }

  fs::path directory_;
};

TEST_F(ServiceNotifyTest, SendsTheStateAsOneDatagramToAPath) {
  ListeningSocket manager(socket_path());
  ASSERT_TRUE(notify_socket(socket_path(), "READY=1\nSTATUS=listening"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=listening");
}

TEST_F(ServiceNotifyTest, SendsToAnAbstractName) {
  const std::string name = "@wardline-notify-test-" + directory_.filename().string();
  ListeningSocket manager(name);
  ASSERT_TRUE(notify_socket(name, "STOPPING=1"));
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST_F(ServiceNotifyTest, UsesTheEnvironmentsSocket) {
  ListeningSocket manager(socket_path());
  ::setenv("NOTIFY_SOCKET", socket_path().c_str(), 1);
  ASSERT_TRUE(notify_service_manager("READY=1"));
  EXPECT_EQ(manager.receive(), "READY=1");
}

TEST_F(ServiceNotifyTest, SendsNothingWithoutASocket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notify_service_manager("READY=1"));
  ::setenv("NOTIFY_SOCKET", "", 1);
  EXPECT_TRUE(notify_service_manager("READY=1"));
}

TEST_F(ServiceNotifyTest, RefusesAddressesThatAreNotSockets) {
  for (const std::string& bad : {std::string("relative/notify"), std::string("@"),
                                 "/" + std::string(sizeof(sockaddr_un::sun_path), 'a')}) {
    auto sent = notify_socket(bad, "READY=1");
    ASSERT_FALSE(sent) << bad;
    EXPECT_EQ(sent.error().code(), Code::kInvalidArgument) << bad;
  }
}

TEST_F(ServiceNotifyTest, SocketWithNobodyListeningIsUnavailable) {
  auto sent = notify_socket(socket_path(), "READY=1");
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), Code::kUnavailable);
}

TEST(ServiceWatchdogTest, TheIntervalComesFromWatchdogUsecWhenItIsForThisProcess) {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_EQ(service_watchdog_interval(), std::nullopt) << "no watchdog asked for";
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(service_watchdog_interval(), std::chrono::microseconds(30000000));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(service_watchdog_interval(), std::chrono::microseconds(30000000));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_EQ(service_watchdog_interval(), std::nullopt) << "meant for another process";
  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"", "0", "-5", "30s", "1e6"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    EXPECT_EQ(service_watchdog_interval(), std::nullopt) << bad;
  }
  ::unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace wl::cli
