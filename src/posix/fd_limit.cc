#include "posix/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mysqlset {

Result<uint64_t> RaiseOpenFileLimit(uint64_t cap) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return Internal("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
  }
  const rlim_t want =
      rl.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(cap) : std::min<rlim_t>(rl.rlim_max, cap);
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) return uint64_t{rl.rlim_cur};
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return Internal("setrlimit(RLIMIT_NOFILE, {}): {}", want, std::strerror(errno));
  }
  return uint64_t{rl.rlim_cur};
}

}  // namespace mysqlset
