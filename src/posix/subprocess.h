#pragma once
// fork/exec with explicit file descriptors. The building block for PosixProcessRunner and
// for streaming pipelines (mariabackup | socket, socket | mbstream).

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

struct SpawnFds {
  int stdin_fd = -1;   // -1: /dev/null
  int stdout_fd = -1;  // -1: /dev/null
  int stderr_fd = -1;  // -1: same as stdout
};

// A child process. Destruction does not kill or reap it; call Wait() or Kill().
class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with the given fds; the child gets its own process
  // group so that a kill reaches its helpers too.
  static Result<Subprocess> Spawn(const std::vector<std::string>& argv, const SpawnFds& fds);

  pid_t pid() const { return pid_; }
  // Blocks until exit. Returns the wait status decoded: exit code, or -1 with `signal`.
  int Wait(int* signal = nullptr);
  // Non-blocking: true and the code once exited.
  bool TryWait(int* exit_code, int* signal = nullptr);
  void Kill(int sig);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// Converts a wait() status to (exit_code, signal): exit_code is -1 when signalled.
void DecodeWaitStatus(int status, int* exit_code, int* signal);

// Sets FD_CLOEXEC; pipes we create must not leak into unrelated children.
Status MakePipe(int fds[2]);

}  // namespace mysqlset
