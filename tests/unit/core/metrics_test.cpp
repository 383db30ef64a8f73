#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace wl {
namespace {

using namespace std::chrono_literals;

TEST(MetricsTest, FamiliesAndSamplesAreWrittenInTheTextFormat) {
  MetricsText out;
  out.counter("wardline_logins_total", "Sign-ins.", 3);
  out.family("wardline_audit_entries_total", "counter", "Entries by action.\nSecond line \\ end");
  out.sample("wardline_audit_entries_total", {{"action", "auth.login"}, {"outcome", "ok"}}, 2);
  out.sample("wardline_audit_entries_total", {{"action", "a\"b\\c\nd"}}, 0.5);
  out.gauge("wardline_up", "Up.", 1);
  EXPECT_EQ(out.text(),
            "# HELP wardline_logins_total Sign-ins.\n"
            "# TYPE wardline_logins_total counter\n"
            "wardline_logins_total 3\n"
            "# HELP wardline_audit_entries_total Entries by action.\\nSecond line \\\\ end\n"
            "# TYPE wardline_audit_entries_total counter\n"
            "wardline_audit_entries_total{action=\"auth.login\",outcome=\"ok\"} 2\n"
            "wardline_audit_entries_total{action=\"a\\\"b\\\\c\\nd\"} 0.5\n"
            "# HELP wardline_up Up.\n"
            "# TYPE wardline_up gauge\n"
            "wardline_up 1\n");
}

TEST(MetricsTest, AHistogramsBucketsAreCumulativeWithSumAndCount) {
  DurationHistogram histogram;
  histogram.observe(3ms);   // <= 0.005
  histogram.observe(70ms);  // <= 0.1
  histogram.observe(2s);    // <= 2.5
  histogram.observe(5min);  // only +Inf
  MetricsText out;
  histogram.write(out, "wardline_timer_lateness_seconds", "Lateness.");
  const std::string& text = out.text();
  EXPECT_NE(text.find("# TYPE wardline_timer_lateness_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"0.05\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"2.5\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"60\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_bucket{le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_sum 302.073\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wardline_timer_lateness_seconds_count 4\n"), std::string::npos);
}

}  // namespace
}  // namespace wl
