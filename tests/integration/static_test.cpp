// The web app's files as `wardline serve --static-dir` serves them: caching by kind of
// file, the Content-Security-Policy, the single-page fallback and no escape from the
// folder.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/client.hpp"
#include "support/server_process.hpp"

namespace wl::testing {
namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class StaticTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto app = temp_.path() / "app";
    write_file(app / "index.html", "<!doctype html><title>app shell</title>");
    write_file(app / "assets" / "index-3f9a1c.js", "console.info('app');");
    write_file(app / "sw.js", "self.addEventListener('fetch', () => {});");
    write_file(app / "manifest.webmanifest", "{\"name\":\"Wardline\"}");
    write_file(temp_.path() / "secret.txt", "outside the app folder");
    std::filesystem::create_symlink(temp_.path() / "secret.txt", app / "escape.txt");
    std::filesystem::create_directory_symlink(temp_.path(), app / "parent");
    std::filesystem::create_symlink("index.html", app / "inside.html");
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data", std::vector<std::string>{"--static-dir", app.string()});
    server_->start();
    ASSERT_NE(server_->port(), 0);
    http_ = std::make_unique<net::HttpsClient>(server_->client_options());
  }

  net::Response get(std::string_view target) {
    auto response = http_->request("GET", target);
    EXPECT_TRUE(response.has_value()) << response.error().to_string();
    return std::move(response).value_or(net::Response{});
  }

  TempDir temp_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<net::HttpsClient> http_;
};

TEST_F(StaticTest, FingerprintedAssetsAreImmutableAndTheShellIsRevalidated) {
  const net::Response shell = get("/");
  EXPECT_EQ(shell.status, 200);
  EXPECT_EQ(shell.body, "<!doctype html><title>app shell</title>");
  EXPECT_EQ(shell.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(shell.header("Cache-Control"), "no-cache");
  const std::string_view policy = shell.header("Content-Security-Policy");
  ASSERT_FALSE(policy.empty());
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(shell.header("X-Content-Type-Options"), "nosniff");

  const net::Response asset = get("/assets/index-3f9a1c.js");
  EXPECT_EQ(asset.status, 200);
  EXPECT_EQ(asset.content_type, "text/javascript");
  EXPECT_EQ(asset.header("Cache-Control"), "public, max-age=31536000, immutable");

  // The service worker and the manifest must be re-fetched to update the app.
  const net::Response worker = get("/sw.js");
  EXPECT_EQ(worker.content_type, "text/javascript");
  EXPECT_EQ(worker.header("Cache-Control"), "no-cache");
  EXPECT_EQ(get("/manifest.webmanifest").content_type, "application/manifest+json");
}

TEST_F(StaticTest, UnknownPathsGetTheShellAndNothingOutsideTheFolderIsServed) {
  EXPECT_EQ(get("/threads/12").body, "<!doctype html><title>app shell</title>");
  const net::Response escape = get("/../secret.txt");
  EXPECT_EQ(escape.body.find("outside the app folder"), std::string::npos);
  const net::Response encoded = get("/%2e%2e/secret.txt");
  EXPECT_EQ(encoded.body.find("outside the app folder"), std::string::npos);
  // The API is not shadowed by the app.
  EXPECT_EQ(get("/api/v1/me").status, 401);
}

// Every spelling of a path outside the folder that a decoder might turn into one: an
// absolute path after a doubled or encoded slash, dot segments raw and encoded,
// backslashes, NUL, and symlinks that leave the folder. None may return the file, and
// none gets the app shell either: a hostile path is not a client-side route.
TEST_F(StaticTest, NoSpellingOfAPathOutsideTheFolderIsServed) {
  const std::string secret = (temp_.path() / "secret.txt").string();  // Absolute: "/tmp/...".
  const std::string key_file = (server_->data_dir() / "keys" / "kek.json").string();
  std::string encoded_secret = secret;
  for (std::size_t at = 0; (at = encoded_secret.find('/', at)) != std::string::npos;) {
    encoded_secret.replace(at, 1, "%2F");
  }
  const std::vector<std::string> targets = {
      "/" + secret,
      "/" + key_file,
      "///" + secret.substr(1),
      "/%2F" + secret.substr(1),
      encoded_secret,
      "/assets/%2F" + secret.substr(1),
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E%2Fsecret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/./../secret.txt",
      "/..%5Csecret.txt",
      "/..\\secret.txt",
      "/index.html%00.png",
      "/%00",
      "/escape.txt",
      "/parent/secret.txt",
      "/parent/data/keys/kek.json",
  };
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    auto response = http_->request("GET", target);
    ASSERT_TRUE(response.has_value()) << response.error().to_string();
    EXPECT_EQ(response->body.find("outside the app folder"), std::string::npos);
    EXPECT_EQ(response->body.find("kek-1"), std::string::npos);
    EXPECT_EQ(response->body.find("app shell"), std::string::npos);
    EXPECT_TRUE(response->status == 404 || response->status == 400) << response->status;
  }
  // A symlink that stays inside the folder is an ordinary file.
  EXPECT_EQ(get("/inside.html").body, "<!doctype html><title>app shell</title>");
}

// A large file goes out in pieces: serving it does not hold it in memory.
TEST_F(StaticTest, LargeFilesAreStreamedNotReadWhole) {
  constexpr std::uintmax_t kSize = 256ULL << 20;
  const auto big = temp_.path() / "app" / "assets" / "big-0001.bin";
  std::ofstream(big, std::ios::binary).put('x');
  std::filesystem::resize_file(big, kSize);  // Sparse: costs no disk.
  const long before = server_->peak_resident_kib();
  ASSERT_GT(before, 0);
  net::ClientOptions options = server_->client_options();
  options.max_message_size = kSize + 1;
  options.timeout = std::chrono::seconds(60);
  net::HttpsClient client(options);
  auto response = client.request("GET", "/assets/big-0001.bin");
  ASSERT_TRUE(response.has_value()) << response.error().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), kSize);
  EXPECT_EQ(response->content_type, "application/octet-stream");
  // A whole copy would raise the peak by 256 MiB; streaming leaves it where it was,
  // give or take the allocator.
  const long growth = server_->peak_resident_kib() - before;
  EXPECT_LT(growth, 32 * 1024) << "peak resident memory grew by " << growth << " KiB";

  auto head = http_->request("HEAD", "/assets/big-0001.bin");
  ASSERT_TRUE(head.has_value()) << head.error().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(kSize));
  EXPECT_TRUE(head->body.empty());
}

}  // namespace
}  // namespace wl::testing
