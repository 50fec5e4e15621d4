#include "core/backoff.h"

#include <algorithm>

namespace mysqlset {

std::chrono::milliseconds Backoff::DelayFor(int attempt) const {
  double delay = static_cast<double>(initial.count());
  for (int i = 0; i < attempt && delay < static_cast<double>(max.count()); ++i) delay *= factor;
  return std::chrono::milliseconds(
      static_cast<long long>(std::min(delay, static_cast<double>(max.count()))));
}

}  // namespace mysqlset
