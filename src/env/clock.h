#pragma once
// Time, behind an interface so loops can be driven by a fake clock in tests.

#include <chrono>

namespace mysqlset {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Seconds since the Unix epoch, for timestamps shown to people.
  virtual int64_t UnixSeconds() const = 0;
  // Milliseconds since the Unix epoch, for heartbeats compared across processes.
  virtual int64_t UnixMillis() const = 0;
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

}  // namespace mysqlset
