#pragma once
// Standard 5-field cron expressions, in UTC, for `up --backup-schedule` (docs/backup.md
// "Schedules"). Pure.
//
//   minute (0-59)  hour (0-23)  day of month (1-31)  month (1-12)  day of week (0-7, 0 and 7
//   are Sunday)
//
// Each field is `*` or a comma-separated list of `N`, `N-M`, `*/S` or `N-M/S`. Anything else
// (names such as MON or JAN, `?`, `L`, `W`, `#`, `@daily`, six fields) is refused with one
// line naming the field. As in standard (Vixie) cron, when both day fields are restricted
// (neither starts with `*`) a day matches if EITHER matches; otherwise both must.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mysqlset {

struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;  // bits 1..31
  std::bitset<13> months;         // bits 1..12
  std::bitset<7> days_of_week;    // bits 0..6, Sunday 0
  bool day_of_month_star = true;  // the field starts with '*'
  bool day_of_week_star = true;
  std::string text;  // as given, trimmed
};

// kInvalidArgument on anything but the syntax above, e.g.
// "field 5 (day of week) 'MON': not a number; cron here takes numbers only (0-7, Sunday 0 or 7)".
// An expression that matches no date (`0 0 31 2 *`) is refused too: it would never run.
Result<CronSchedule> ParseCron(std::string_view text);

// The first minute strictly after `after_unix` (UTC) that the schedule matches, as unix
// seconds (a whole minute); nullopt when none in the next 8 years (no valid schedule: a
// leap day comes within 8 years, e.g. 2096 to 2104).
std::optional<int64_t> NextCronRun(const CronSchedule& schedule, int64_t after_unix);

}  // namespace mysqlset
