#pragma once
// Child processes: the one fork/exec of the code base (Spawn), a daemon launcher
// (Daemonize), and the helpers around them: decoding and describing wait statuses, telling
// whether a pid still runs. Used by PosixProcessRunner, the clone pipelines
// (mariabackup | socket, socket | mbstream), the local supervisor and `mysqlset up`.
//
// Everything a child needs (argv and envp arrays, the resolved executable path, the log fd,
// error message prefixes) is prepared before fork; between fork and exec the child calls only
// async-signal-safe functions (signal-safety(7)). Spawning from a multi-threaded process (the
// agent) therefore cannot deadlock on a lock, such as malloc's, that another thread held
// at fork time. Thread-safe: every fd opened here is close-on-exec, so a child started by
// one thread never inherits another child's pipes.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mysqlset {

struct SpawnFds {
  int stdin_fd = -1;   // -1: /dev/null
  int stdout_fd = -1;  // -1: /dev/null
  int stderr_fd = -1;  // -1: same as stdout
};

struct SpawnOptions {
  // argv[0] is searched in PATH (the child's, when `env` sets one) unless it holds a '/'.
  std::vector<std::string> argv;
  // The child's stdin, stdout and stderr (dup2'ed; the caller keeps and closes its fds).
  SpawnFds fds;
  // When set, the child's stdout and stderr are appended to this file, created with
  // `log_mode` if missing. REQUIRES: fds.stdout_fd and fds.stderr_fd are -1.
  std::string log_file;
  mode_t log_mode = 0644;
  // The child leads a new process group, so that kill(-pid, sig) reaches its helpers too.
  bool new_process_group = true;
  // Delivered to the child when the thread that spawned it exits (PR_SET_PDEATHSIG), so a
  // child is not left running unsupervised after its parent is SIGKILLed; 0: none. A child
  // whose parent died before the signal was armed exits at once with code 1.
  int parent_death_signal = 0;
  // Added to, or replacing in, the child's environment, which is otherwise this process's.
  std::vector<std::pair<std::string, std::string>> env;
  // The child's working directory; "" keeps this process's. Failing chdir: exit 126.
  std::string working_dir;
  // The child's umask; nullopt keeps this process's.
  std::optional<mode_t> umask;
};

// Starts options.argv as a child and returns its pid; reap it with waitpid (or Subprocess).
// The child gets SIGPIPE's default action back and no blocked signal. When exec fails, the
// child writes "exec ARGV0: REASON" to its stderr (so to the log file) and exits 127, as a
// shell does. kInvalidArgument for an empty argv or a log file together with output fds;
// kInternal when the log file cannot be opened or fork fails.
Result<pid_t> Spawn(const SpawnOptions& options);

// Starts options.argv as a daemon and returns its pid: a grandchild in a session of its
// own (setsid, then a second fork, so it is not a session leader and can never acquire a
// controlling terminal), reparented to init or the nearest subreaper. It is not our child:
// watch it with ProcessAlive, not waitpid. Set working_dir ("/") and umask as daemons do.
// kInvalidArgument when options.parent_death_signal is set (a daemon outlives its parent).
Result<pid_t> Daemonize(const SpawnOptions& options);

// Replaces this process with argv (argv[0] searched in PATH), as a shell's `exec` does:
// for handing the terminal to an interactive tool. Returns only when exec fails, with why.
Status ExecReplacingSelf(const std::vector<std::string>& argv);

// A child process. Destruction does not kill or reap it; call Wait() or Kill().
class Subprocess {
 public:
  // Starts argv[0] (searched in PATH) with the given fds, in a process group of its own so
  // that a kill reaches its helpers too. The child is SIGKILLed if the spawning thread dies.
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

// A wait() status as people read it: "exit 1", "signal 9" ("stopped" for a stop report).
std::string DescribeWaitStatus(int status);

// True while `pid` exists and is not a zombie. Works for processes that are not our
// children (a daemon: PID 1 may be slow to reap it). False for pid <= 0.
bool ProcessAlive(pid_t pid);

}  // namespace mysqlset
