#pragma once
// Pipes between this process and its children: creating them close-on-exec, writing all
// bytes, and turning a reader's exit into an error instead of a SIGPIPE.

#include <string_view>

#include "common/status.h"
#include "posix/fd.h"

namespace mysqlset {

// pipe2 with O_CLOEXEC: fds[0] reads, fds[1] writes. Pipes must not leak into unrelated
// children (spawning dup2s the ends a child should have).
Status MakePipe(int fds[2]);

// Bulk streams between processes: a pipe holds 64 KiB by default, so a writer ahead of its
// reader blocks every 64 KiB. Best effort (a pipe keeps its size when the kernel refuses).
inline constexpr int kBulkPipeBytes = 1 << 20;
void EnlargePipe(int fd, int bytes = kBulkPipeBytes);

// Writes every byte to a pipe or file (write(2), retrying on EINTR and short writes).
// kUnavailable when the reader is gone (EPIPE, once SIGPIPE is ignored) or on another error.
Status WriteAll(int fd, std::string_view data);

// Ignores SIGPIPE process-wide: every socket/pipe write then reports EPIPE instead of
// killing the process. Children get SIGPIPE's default back (see Spawn).
void IgnoreSigpipe();

}  // namespace mysqlset
