#include "net/log_limiter.h"

namespace mysqlset::net {

std::optional<uint64_t> LogLimiter::Admit(TimePoint now) {
  if (last_line_ && now - *last_line_ < interval_) {
    ++left_out_;
    return std::nullopt;
  }
  last_line_ = now;
  const uint64_t n = left_out_;
  left_out_ = 0;
  return n;
}

std::optional<uint64_t> LogLimiter::TakeLeftOut(TimePoint now) {
  if (left_out_ == 0 || (last_line_ && now - *last_line_ < interval_)) return std::nullopt;
  last_line_ = now;
  const uint64_t n = left_out_;
  left_out_ = 0;
  return n;
}

std::optional<uint64_t> LogLimiter::Flush() {
  if (left_out_ == 0) return std::nullopt;
  const uint64_t n = left_out_;
  left_out_ = 0;
  return n;
}

}  // namespace mysqlset::net
