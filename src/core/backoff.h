#pragma once
// Exponential backoff with a cap. Pure: the caller sleeps.

#include <chrono>

namespace mysqlset {

struct Backoff {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
  double factor = 2.0;

  // Delay before retry number `attempt` (0-based): initial * factor^attempt, capped at max.
  std::chrono::milliseconds DelayFor(int attempt) const;
};

}  // namespace mysqlset
