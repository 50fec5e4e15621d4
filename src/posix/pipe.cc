#include "posix/pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mysqlset {

void Fd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return Internal("pipe: {}", std::strerror(errno));
  return Status::Ok();
}

void EnlargePipe(int fd, int bytes) {
  // EPERM past the user's pipe budget, EINVAL beyond pipe-max-size: keep the default then.
  (void)fcntl(fd, F_SETPIPE_SZ, bytes);
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return Unavailable("write: {}", std::strerror(errno));
  }
  return Status::Ok();
}

void IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }

}  // namespace mysqlset
