#include "net/log_limiter.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace mysqlset::net {
namespace {

using std::chrono::milliseconds;

// One step of a scenario: an event (or only a flush) at `at_ms`, and what the limiter says.
struct Step {
  int at_ms;
  bool event;  // Admit; otherwise TakeLeftOut
  std::optional<uint64_t> expect;
};

TEST(LogLimiterTest, AtMostOneLinePerIntervalWithTheCountOfTheRest) {
  const std::vector<std::vector<Step>> scenarios = {
      // The first event is logged; a burst within the second is counted, then reported by the
      // next event after the interval.
      {{0, true, 0},
       {10, true, std::nullopt},
       {999, true, std::nullopt},
       {1000, true, 2},
       {1001, true, std::nullopt}},
      // The burst's tail is reported by a flush once the interval has passed, then nothing is
      // left to report.
      {{0, true, 0},
       {5, true, std::nullopt},
       {500, false, std::nullopt},
       {1000, false, 1},
       {5000, false, std::nullopt},
       {5001, true, 0}},
      // A flush that reported counts as a line: the next event within the interval is counted.
      {{0, true, 0},
       {1, true, std::nullopt},
       {1200, false, 1},
       {1300, true, std::nullopt},
       {2200, true, 1}},
      // Nothing happened: nothing to flush.
      {{0, false, std::nullopt}, {3000, false, std::nullopt}},
  };
  for (size_t s = 0; s < scenarios.size(); ++s) {
    LogLimiter limiter(milliseconds(1000));
    const auto t0 = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
    for (const Step& step : scenarios[s]) {
      const auto now = t0 + milliseconds(step.at_ms);
      const auto got = step.event ? limiter.Admit(now) : limiter.TakeLeftOut(now);
      EXPECT_EQ(got, step.expect) << "scenario " << s << " at " << step.at_ms << " ms";
    }
  }
}

TEST(LogLimiterTest, FlushReportsATailInsideTheIntervalOnce) {
  LogLimiter limiter(milliseconds(1000));
  const auto t0 = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  EXPECT_EQ(limiter.Flush(), std::nullopt) << "nothing left out";
  EXPECT_EQ(limiter.Admit(t0), 0u);
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(10)), std::nullopt);
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(20)), std::nullopt);
  EXPECT_EQ(limiter.TakeLeftOut(t0 + milliseconds(30)), std::nullopt) << "within the interval";
  EXPECT_EQ(limiter.Flush(), 2u);
  EXPECT_EQ(limiter.Flush(), std::nullopt);
  EXPECT_EQ(limiter.TakeLeftOut(t0 + milliseconds(2000)), std::nullopt) << "already reported";
}

}  // namespace
}  // namespace mysqlset::net
