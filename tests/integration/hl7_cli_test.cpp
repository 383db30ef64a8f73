#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/hl7/message.hpp"
#include "net/certificates.hpp"
#include "net/mllp_server.hpp"
#include "support/server_process.hpp"

// `wardline hl7 send` as an operator runs it, against an MLLP listener in the test: what
// it prints and its exit codes, plain and over TLS.
namespace wl::testing {
namespace {

namespace fs = std::filesystem;

// ACKs like an ADT feed's receiver: AE with a text for a patient whose PID-3 is
// "UNKNOWN", AA otherwise; once set_silent(), never answers (the replies are kept until the
// test ends).
class AckHandler final : public net::MllpHandler {
 public:
  void on_message(net::MllpMessage message, net::MllpReply reply) override {
    std::lock_guard lock(mutex_);
    payloads_.push_back(message.payload);
    if (is_silent_) {
      held_.push_back(std::move(reply));
      return;
    }
    auto parsed = hl7::parse_message(message.payload);
    const std::string control_id = parsed ? parsed->header().control_id : "";
    const bool is_known = parsed && parsed->value("PID", 3) != "UNKNOWN";
    reply("MSH|^~\\&|WARDLINE|GENHOSP|SENDER|GENHOSP|20260105080000||ACK^A01^ACK|A" + control_id +
          "|P|2.5.1\rMSA|" + (is_known ? "AA" : "AE") + "|" + control_id +
          (is_known ? "" : "|Unknown patient") + "\r");
  }

  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }
  void set_silent() {
    std::lock_guard lock(mutex_);
    is_silent_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_.clear();
  }

 private:
  std::mutex mutex_;
  bool is_silent_ = false;
  std::vector<std::string> payloads_;
  std::vector<net::MllpReply> held_;
};

std::string admit(std::string_view control_id, std::string_view mrn, std::string_view newline) {
  std::string text = "MSH|^~\\&|SENDER|GENHOSP|WARDLINE|GENHOSP|20260105080000||ADT^A01^ADT_A01|";
  text += control_id;
  text += "|P|2.5.1";
  text += newline;
  text += "PID|1||";
  text += mrn;
  text += "^^^GENHOSP^MR||ALDEN^AVERY";
  text += newline;
  return text;
}

class Hl7CliTest : public ::testing::Test {
 protected:
  void start(bool with_tls = false) {
    std::optional<net::TlsCredentials> credentials;
    if (with_tls) {
      auto paths = net::ensure_local_certificates(temp_.path() / "tls");
      ASSERT_TRUE(paths) << paths.error().to_string();
      auto loaded = net::load_credentials(paths->server_certificate, paths->server_key);
      ASSERT_TRUE(loaded) << loaded.error().to_string();
      credentials = std::move(*loaded);
      ca_file_ = paths->ca_certificate.string();
    }
    server_ = std::make_unique<net::MllpServer>(net::MllpOptions{.address = "127.0.0.1", .port = 0},
                                                std::move(credentials), handler_);
    ASSERT_TRUE(server_->start());
  }

  void TearDown() override {
    if (server_) {
      server_->stop(std::chrono::milliseconds(0));
      handler_.release();
      server_.reset();
    }
  }

  std::string write_file(const std::string& name, const std::string& text) {
    const fs::path path = temp_.path() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  int send(std::vector<std::string> arguments, std::string* output) {
    std::vector<std::string> command{"hl7", "send", "--port", std::to_string(server_->port())};
    command.insert(command.end(), arguments.begin(), arguments.end());
    return run_wardline(command, output);
  }

  TempDir temp_;
  AckHandler handler_;
  std::unique_ptr<net::MllpServer> server_;
  std::string ca_file_;
};

TEST_F(Hl7CliTest, SendsEveryMessageOfEveryFileInOrderAndPrintsEachAck) {
  start();
  const std::string first =
      write_file("two.hl7", admit("C1", "MRN1", "\n") + "\n" + admit("C2", "MRN2", "\n"));
  const std::string second = write_file("one.hl7", "\xEF\xBB\xBF" + admit("C3", "MRN3", "\r\n"));
  std::string output;
  EXPECT_EQ(send({first, second}, &output), 0) << output;
  EXPECT_EQ(output, "C1 AA\nC2 AA\nC3 AA\n");
  const auto payloads = handler_.payloads();
  ASSERT_EQ(payloads.size(), 3u);
  // Segments go out ending with CR, whatever the file used.
  EXPECT_EQ(payloads[2], admit("C3", "MRN3", "\r"));
}

TEST_F(Hl7CliTest, ExitsOneAndPrintsTheErrorTextWhenAMessageIsNotAccepted) {
  start();
  const std::string file =
      write_file("mixed.hl7", admit("C1", "UNKNOWN", "\r") + admit("C2", "MRN2", "\r"));
  std::string output;
  EXPECT_EQ(send({file}, &output), 1) << output;
  EXPECT_EQ(output, "C1 AE Unknown patient\nC2 AA\n");
}

TEST_F(Hl7CliTest, ReadsStandardInput) {
  start();
  const std::string file = write_file("stdin.hl7", admit("C7", "MRN7", "\n"));
  const int saved = ::dup(STDIN_FILENO);
  const int input = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(input, 0);
  ::dup2(input, STDIN_FILENO);  // The child inherits it.
  std::string output;
  const int exit_code = send({"-"}, &output);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ::close(input);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_EQ(output, "C7 AA\n");
}

TEST_F(Hl7CliTest, MissingFileOrFileWithoutMshExitsTwoBeforeSendingAnything) {
  start();
  const std::string good = write_file("good.hl7", admit("C1", "MRN1", "\r"));
  std::string output;
  EXPECT_EQ(send({good, (temp_.path() / "absent.hl7").string()}, &output), 2) << output;
  EXPECT_NE(output.find("absent.hl7: no such file"), std::string::npos) << output;

  const std::string empty = write_file("empty.hl7", "\n\n");
  EXPECT_EQ(send({good, empty}, &output), 2) << output;
  EXPECT_NE(output.find("no HL7 message (no MSH segment)"), std::string::npos) << output;

  const std::string stray = write_file("stray.hl7", "PID|1\r" + admit("C1", "MRN1", "\r"));
  EXPECT_EQ(send({stray}, &output), 2) << output;
  EXPECT_NE(output.find("line 1 comes before the first MSH segment"), std::string::npos) << output;
  EXPECT_TRUE(handler_.payloads().empty());
}

TEST_F(Hl7CliTest, UsageErrorsExitTwo) {
  start();
  std::string output;
  EXPECT_EQ(send({}, &output), 2) << output;  // No FILE.
  EXPECT_EQ(send({"--port", "not-a-port", "x.hl7"}, &output), 2) << output;
}

TEST_F(Hl7CliTest, RefusedConnectionExitsTwoWithAClearMessage) {
  start();
  const std::string file = write_file("one.hl7", admit("C1", "MRN1", "\r"));
  std::vector<std::string> command{"hl7", "send", "--port", std::to_string(server_->port()), file};
  server_->stop(std::chrono::milliseconds(0));
  std::string output;
  EXPECT_EQ(run_wardline(command, &output), 2) << output;
  EXPECT_NE(output.find("cannot connect to 127.0.0.1:"), std::string::npos) << output;
  EXPECT_NE(output.find("refused"), std::string::npos) << output;
}

TEST_F(Hl7CliTest, MissingAckExitsTwoAfterTheTimeout) {
  start();
  handler_.set_silent();
  const std::string file = write_file("one.hl7", admit("C1", "MRN1", "\r"));
  std::string output;
  EXPECT_EQ(send({"--timeout", "0.5", file}, &output), 2) << output;
  EXPECT_NE(output.find("no ACK for C1"), std::string::npos) << output;
}

TEST_F(Hl7CliTest, SendsOverTlsTrustingTheGivenCa) {
  start(/*with_tls=*/true);
  const std::string file = write_file("one.hl7", admit("C1", "MRN1", "\r"));
  std::string output;
  EXPECT_EQ(send({"--tls", "--ca", ca_file_, file}, &output), 0) << output;
  EXPECT_EQ(output, "C1 AA\n");
  // Without the CA the system store does not trust the listener's certificate.
  EXPECT_EQ(send({"--tls", file}, &output), 2) << output;
  EXPECT_NE(output.find("TLS handshake failed"), std::string::npos) << output;
  // Plain MLLP to a TLS port gets no ACK.
  EXPECT_EQ(send({"--timeout", "1", file}, &output), 2) << output;
}

// The load generator's echo baseline, plain and over TLS, small: every generated
// message is accepted and the report says so.
TEST(BenchMllpTest, EchoBaselineAcceptsEveryGeneratedMessage) {
  for (const bool with_tls : {false, true}) {
    std::vector<std::string> command{"bench", "mllp",         "--echo", "--connections",
                                     "4",     "--messages",   "400",    "--patients",
                                     "20",    "--time-limit", "60"};
    if (with_tls) {
      command.push_back("--tls");
    }
    std::string output;
    EXPECT_EQ(run_wardline(command, &output), 0) << output;
    EXPECT_NE(output.find("400 ACKs"), std::string::npos) << output;
    EXPECT_NE(output.find("not AA: 0  connections failed: 0"), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace wl::testing
