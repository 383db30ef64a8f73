// The web app's files as `wardline serve --static-dir` serves them: caching by kind of
// file, the Content-Security-Policy, the single-page fallback and no escape from the
// folder.

#include <filesystem>
#include <fstream>
#include <string>

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
    server_ = std::make_unique<ServerProcess>(
        temp_.path() / "data", std::vector<std::string>{"--static-dir", app.string()});
    server_->start();
    ASSERT_NE(server_->port(), 0);
    http_ = std::make_unique<net::HttpsClient>(server_->client_options());
  }

  net::Response get(std::string_view target) {
    auto response = http_->request("GET", target);
    EXPECT_TRUE(response.has_value()) << response.error().to_string();
    return response.value_or(net::Response{});
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

}  // namespace
}  // namespace wl::testing
