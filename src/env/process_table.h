#pragma once
// Long-running children, and the running process itself, behind interfaces so the local
// supervisor's loop runs against a stateful fake in tests (testing/fake_process_table.h).
// ProcessTable starts, signals and reaps the children a supervisor owns; SelfProcess is the
// supervisor's own pid, user, lock file and signals. ProcessRunner (process_runner.h) is
// the other kind: a helper run to completion.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

// A child that exited and was reaped.
struct ProcessExit {
  pid_t pid = 0;
  bool success = false;  // exited with status 0
  std::string how;       // "exit 1", "signal 9", "stopped"
  int exit_status = -1;  // its exit status; -1 when a signal ended it
};

class ProcessTable {
 public:
  virtual ~ProcessTable() = default;
  // Starts `argv` (argv[0] looked up in PATH) as the leader of a new process group, stdin
  // from /dev/null, stdout and stderr appended to `log` after a header line naming the
  // command; it gets SIGTERM when the caller dies. Returns 0 when it could not start.
  virtual pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) = 0;
  // One child that has exited, reaped; nullopt when none has (never waits).
  virtual std::optional<ProcessExit> Reap() = 0;
  // Reaps `pid` if it has exited; true when it is gone (reaped now, or not a child).
  virtual bool ReapIfExited(pid_t pid) = 0;
  // kill(2) to the process `pid`, or to its whole process group.
  virtual void Signal(pid_t pid, int signal) = 0;
  virtual void SignalGroup(pid_t pid, int signal) = 0;
};

class SelfProcess {
 public:
  virtual ~SelfProcess() = default;
  virtual pid_t Pid() const = 0;
  virtual bool IsRoot() const = 0;  // effective uid 0
  // Takes an exclusive lock on `path` (created if missing) for the life of this object,
  // retrying for up to 3 s (a CLI probing the lock holds it for an instant). False when
  // another process keeps holding it.
  virtual Result<bool> LockFile(const std::string& path) = 0;
  // From now on SIGHUP, SIGTERM, SIGINT and SIGCHLD are queued for WaitForSignals instead of
  // acting (SIGCHLD only wakes the waiter).
  virtual Status CatchSignals() = 0;
  // Waits up to `timeout` for a caught signal; returns those that arrived (maybe none).
  virtual std::vector<int> WaitForSignals(std::chrono::milliseconds timeout) = 0;
};

}  // namespace mysqlset
