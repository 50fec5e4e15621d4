#include "core/cron.h"

#include <gtest/gtest.h>

#include "core/pitr.h"

namespace mysqlset {
namespace {

int64_t At(const char* utc) {
  auto t = ParseUtcTime(utc);
  EXPECT_TRUE(t.ok()) << utc;
  return t.ok() ? *t : 0;
}

std::string Next(const char* cron, const char* after) {
  auto s = ParseCron(cron);
  if (!s.ok()) return "refused: " + s.status().message();
  const auto next = NextCronRun(*s, At(after));
  return next ? FormatUtcTime(*next) : "never";
}

TEST(Cron, NextRunTable) {
  struct Case {
    const char* cron;
    const char* after;
    const char* want;
  };
  const Case cases[] = {
      // Strictly after: a run due now is the next minute's, never this one's again.
      {"* * * * *", "2026-11-30T12:00:00Z", "2026-11-30T12:01:00Z"},
      {"* * * * *", "2026-11-30T12:00:59Z", "2026-11-30T12:01:00Z"},
      {"0 3 * * *", "2026-11-30T02:59:59Z", "2026-11-30T03:00:00Z"},
      {"0 3 * * *", "2026-11-30T03:00:00Z", "2026-12-01T03:00:00Z"},
      // Year and month ends roll over.
      {"30 23 31 12 *", "2026-12-31T23:30:00Z", "2027-12-31T23:30:00Z"},
      {"0 0 1 * *", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"},
      // Steps, ranges and lists.
      {"*/15 * * * *", "2026-11-30T12:07:00Z", "2026-11-30T12:15:00Z"},
      {"*/15 * * * *", "2026-11-30T12:45:00Z", "2026-11-30T13:00:00Z"},
      {"10-20/5 * * * *", "2026-11-30T12:16:00Z", "2026-11-30T12:20:00Z"},
      {"10-20/5 * * * *", "2026-11-30T12:20:00Z", "2026-11-30T13:10:00Z"},
      {"0 1,13 * * *", "2026-11-30T02:00:00Z", "2026-11-30T13:00:00Z"},
      {"5,0-2 4 * * *", "2026-11-30T04:01:30Z", "2026-11-30T04:02:00Z"},
      // Day of week: 2026-11-30 is a Monday; 0 and 7 are both Sunday.
      {"0 3 * * 0", "2026-11-30T00:00:00Z", "2026-12-06T03:00:00Z"},
      {"0 3 * * 7", "2026-11-30T00:00:00Z", "2026-12-06T03:00:00Z"},
      {"0 3 * * 1-5", "2026-12-04T03:00:00Z", "2026-12-07T03:00:00Z"},
      // Both day fields restricted: either matches (the 15th, or a Sunday).
      {"0 0 15 * 0", "2026-11-30T00:00:00Z", "2026-12-06T00:00:00Z"},
      {"0 0 15 * 0", "2026-12-13T00:00:00Z", "2026-12-15T00:00:00Z"},
      // Only one restricted: both must (a '*'-led field counts as unrestricted, as in cron).
      {"0 0 15 * *", "2026-11-30T00:00:00Z", "2026-12-15T00:00:00Z"},
      {"0 0 * * 2", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"},
      {"0 0 */10 * 0", "2026-11-30T00:00:00Z", "2027-01-31T00:00:00Z"},
      // A leap day waits for its year; month restricted with day of week.
      {"0 12 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00Z"},
      {"0 0 * 2 1", "2026-11-30T00:00:00Z", "2027-02-01T00:00:00Z"},
      // UTC only: no daylight-saving hour is skipped or repeated (Europe's 2027-03-28).
      {"30 2 * * *", "2027-03-28T00:00:00Z", "2027-03-28T02:30:00Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Next(c.cron, c.after), c.want) << c.cron << " after " << c.after;
  }
}

TEST(Cron, RefusesAnythingElseNamingTheField) {
  struct Case {
    const char* cron;
    const char* want;  // the start of the message
  };
  const Case cases[] = {
      {"", "'' has 0 field(s); a cron schedule has 5"},
      {"@daily", "'@daily' has 1 field(s)"},
      {"0 3 * * * *", "'0 3 * * * *' has 6 field(s)"},
      {"60 * * * *", "field 1 (minute) '60': '60' is outside 0-59"},
      {"* 24 * * *", "field 2 (hour) '24': '24' is outside 0-23"},
      {"* * 0 * *", "field 3 (day of month) '0': '0' is outside 1-31"},
      {"* * * 13 *", "field 4 (month) '13': '13' is outside 1-12"},
      {"* * * JAN *", "field 4 (month) 'JAN': 'JAN' is not a number"},
      {"0 3 * * MON",
       "field 5 (day of week) 'MON': 'MON' is not a number; cron here takes "
       "numbers only (0-7, Sunday 0 or 7)"},
      {"* * * * 8", "field 5 (day of week) '8': '8' is outside 0-7"},
      {"* * ? * *", "field 3 (day of month) '?': '?' is not a number"},
      {"* * L * *", "field 3 (day of month) 'L'"},
      {"* * * * 1#2", "field 5 (day of week) '1#2'"},
      {"*/0 * * * *", "field 1 (minute) '*/0': the step after '/' must be a number from 1"},
      {"5/10 * * * *", "field 1 (minute) '5/10': a step goes after '*' or a range"},
      {"20-10 * * * *", "field 1 (minute) '20-10': '20-10' is outside 0-59 or runs backwards"},
      {"1,,2 * * * *", "field 1 (minute) '1,,2': an empty list item"},
      {"-1 * * * *", "field 1 (minute) '-1'"},
      {"0 0 31 2 *", "'0 0 31 2 *' matches no date"},
      {"0 0 30 2 *", "'0 0 30 2 *' matches no date"},
  };
  for (const Case& c : cases) {
    auto s = ParseCron(c.cron);
    ASSERT_FALSE(s.ok()) << c.cron;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << c.cron;
    EXPECT_EQ(s.status().message().rfind(c.want, 0), 0u) << c.cron << ": " << s.status().message();
  }
}

TEST(Cron, KeepsTheTextTrimmed) {
  auto s = ParseCron("  0  3 *\t* *  ");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->text, "0 3 * * *");
  EXPECT_TRUE(s->day_of_month_star);
  EXPECT_TRUE(s->hours[3]);
  EXPECT_FALSE(s->hours[4]);
}

}  // namespace
}  // namespace mysqlset
