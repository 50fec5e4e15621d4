#pragma once
// Rate limit for log lines about events an outside peer can trigger at will (refused,
// evicted or timed-out connections): at most one line per interval for one kind of event,
// with the number of events left out since the previous line, so a flood cannot fill the
// log or slow the process down with its own logging. Pure logic: the caller passes the time.
// Thread-compatible.

#include <chrono>
#include <cstdint>
#include <optional>

namespace mysqlset::net {

class LogLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  // One event at `now`. Returns the number of events left out since the last line when a
  // line may be written for this one, nullopt when it is to be counted and left out.
  std::optional<uint64_t> Admit(TimePoint now);

  // The events left out since the last line, once an interval has passed since that line
  // (then counted as written), so a burst's tail is reported even when no event follows.
  std::optional<uint64_t> TakeLeftOut(TimePoint now);

  // The events left out since the last line, whenever it was: for a last line at shutdown.
  std::optional<uint64_t> Flush();

 private:
  std::chrono::milliseconds interval_;
  std::optional<TimePoint> last_line_;
  uint64_t left_out_ = 0;
};

}  // namespace mysqlset::net
