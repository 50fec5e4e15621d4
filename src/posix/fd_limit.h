#pragma once
// The process's open-file limit. Servers that hold one descriptor per connection (the
// agent's HTTP port under a flood of idle connections) need more than the usual soft
// limit of 1024; the hard limit is what an unprivileged process may raise it to.

#include <cstdint>

#include "common/status.h"

namespace mysqlset {

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at `cap`, since some systems set
// the hard limit to "unlimited" and huge limits slow down closing every fd at fork).
// Returns the soft limit now in force.
Result<uint64_t> RaiseOpenFileLimit(uint64_t cap = 1 << 20);

}  // namespace mysqlset
