#include "core/cron.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <vector>

#include "fmt/format.h"

namespace mysqlset {
namespace {

struct Field {
  const char* name;
  int min;
  int max;
  const char* range_hint;
};

constexpr Field kFields[] = {
    {"minute", 0, 59, "0-59"},
    {"hour", 0, 23, "0-23"},
    {"day of month", 1, 31, "1-31"},
    {"month", 1, 12, "1-12"},
    {"day of week", 0, 7, "0-7, Sunday 0 or 7"},
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::optional<int> Number(std::string_view s) {
  int v = 0;
  if (s.empty() || s.size() > 4) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The values one field matches, as bits min..max; an error message without the field's name.
Result<std::bitset<64>> ParseField(std::string_view text, const Field& f) {
  std::bitset<64> bits;
  if (text.empty()) return InvalidArgument("empty");
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) return InvalidArgument("an empty list item");
    int step = 1;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      const auto s = Number(item.substr(slash + 1));
      if (!s || *s < 1) return InvalidArgument("the step after '/' must be a number from 1");
      step = *s;
      item = item.substr(0, slash);
      if (item != "*" && item.find('-') == std::string_view::npos) {
        return InvalidArgument("a step goes after '*' or a range N-M, not after a single number");
      }
    }
    int lo = f.min, hi = f.max;
    if (item != "*") {
      const size_t dash = item.find('-');
      const auto a = Number(item.substr(0, dash));
      const auto b = dash == std::string_view::npos ? a : Number(item.substr(dash + 1));
      if (!a || !b) {
        return InvalidArgument("'{}' is not a number; cron here takes numbers only ({})", item,
                               f.range_hint);
      }
      if (*a < f.min || *b > f.max || *a > *b) {
        return InvalidArgument("'{}' is outside {}{}", item, f.range_hint,
                               *a > *b ? " or runs backwards" : "");
      }
      lo = *a;
      hi = *b;
    } else if (f.max == 7) {
      hi = 6;  // '*' in the day of week: 7 is Sunday again
    }
    for (int v = lo; v <= hi; v += step) bits.set(static_cast<size_t>(v));
  }
  return bits;
}

template <size_t N>
std::bitset<N> Narrow(const std::bitset<64>& b) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = b[i];
  return out;
}

bool DayMatches(const CronSchedule& s, const std::tm& tm) {
  const bool dom = s.days_of_month[static_cast<size_t>(tm.tm_mday)];
  const bool dow = s.days_of_week[static_cast<size_t>(tm.tm_wday)];
  if (!s.day_of_month_star && !s.day_of_week_star) return dom || dow;
  return dom && dow;
}

}  // namespace

Result<CronSchedule> ParseCron(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return InvalidArgument(
        "'{}' has {} field(s); a cron schedule has 5: minute hour day-of-month month "
        "day-of-week, e.g. '0 3 * * *' (03:00 UTC daily)",
        text, fields.size());
  }
  std::bitset<64> bits[5];
  for (size_t f = 0; f < 5; ++f) {
    auto b = ParseField(fields[f], kFields[f]);
    if (!b.ok()) {
      return InvalidArgument("field {} ({}) '{}': {}", f + 1, kFields[f].name, fields[f],
                             b.status().message());
    }
    bits[f] = *b;
  }
  if (bits[4][7]) bits[4].set(0);  // 7 is Sunday too
  CronSchedule s;
  s.minutes = Narrow<60>(bits[0]);
  s.hours = Narrow<24>(bits[1]);
  s.days_of_month = Narrow<32>(bits[2]);
  s.months = Narrow<13>(bits[3]);
  s.days_of_week = Narrow<7>(bits[4]);
  s.day_of_month_star = fields[2][0] == '*';
  s.day_of_week_star = fields[4][0] == '*';
  for (std::string_view f : fields) s.text += (s.text.empty() ? "" : " ") + std::string(f);
  if (!NextCronRun(s, 0)) {
    return InvalidArgument(
        "'{}' matches no date (none of its months has that day): it would never run", s.text);
  }
  return s;
}

std::optional<int64_t> NextCronRun(const CronSchedule& s, int64_t after_unix) {
  constexpr int64_t kDay = 86400;
  // The minute after `after`, then day by day: at most 8 years of days, each checked whole.
  const int64_t first = (std::max<int64_t>(after_unix, -1) / 60 + 1) * 60;
  int64_t day_start = first - first % kDay;
  for (int d = 0; d <= 8 * 366; ++d, day_start += kDay) {
    const time_t t = static_cast<time_t>(day_start);
    std::tm tm{};
    gmtime_r(&t, &tm);
    if (!s.months[static_cast<size_t>(tm.tm_mon + 1)] || !DayMatches(s, tm)) continue;
    for (int h = 0; h < 24; ++h) {
      if (!s.hours[static_cast<size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!s.minutes[static_cast<size_t>(m)]) continue;
        const int64_t at = day_start + h * 3600 + m * 60;
        if (at >= first) return at;
      }
    }
  }
  return std::nullopt;
}

}  // namespace mysqlset
