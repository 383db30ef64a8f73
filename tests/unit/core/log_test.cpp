#include "core/log.hpp"

#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

namespace wl {
namespace {

TEST(LogTest, JsonLinesStayParseableWhateverIsLogged) {
  log::configure(log::Format::kJsonLines, "info");
  auto logger = log::get("logtest");
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  logger->sinks().push_back(sink);
  log::configure(log::Format::kJsonLines, "info");  // Re-applies the pattern to the new sink.
  logger->info("quote \" backslash \\ newline \n tab \t done");
  logger->sinks().pop_back();
  log::configure(log::Format::kText, "info");
  const std::string line = captured.str();
  ASSERT_FALSE(line.empty());
  boost::system::error_code ec;
  const auto value = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << line;
  EXPECT_EQ(value.at("msg").as_string(), "quote \" backslash \\ newline \n tab \t done");
  EXPECT_EQ(value.at("logger").as_string(), "logtest");
}

}  // namespace
}  // namespace wl
