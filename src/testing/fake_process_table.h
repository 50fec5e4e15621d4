#pragma once
// Stateful fakes of env/process_table.h for the supervisor's unit tests: children that run
// until the test makes them exit, crash or hang; every signal recorded, in order.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "env/process_table.h"
#include "testing/fakes.h"

namespace mysqlset {

class FakeProcessTable : public ProcessTable {
 public:
  struct Process {
    pid_t pid = 0;
    std::vector<std::string> argv;
    std::string log;
    bool running = true;
    bool hangs = false;  // ignores SIGTERM; only SIGKILL stops it
  };
  struct SignalSent {
    pid_t pid = 0;
    int signal = 0;
    bool group = false;  // sent to the process group
    bool operator==(const SignalSent&) const = default;
  };

  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) override;
  std::optional<ProcessExit> Reap() override;
  bool ReapIfExited(pid_t pid) override;
  void Signal(pid_t pid, int signal) override;
  void SignalGroup(pid_t pid, int signal) override;

  // The running child whose command line (argv joined by spaces) contains `text`; 0 if none.
  pid_t Running(std::string_view text) const;
  // Makes a running child exit with `code`, or die of `signal` (a crash); reaped later.
  void Exit(pid_t pid, int code);
  void Die(pid_t pid, int signal);
  // From now on `pid` ignores SIGTERM.
  void Hang(pid_t pid);
  // The next `n` Spawn calls fail (return 0), as when fork fails.
  void FailSpawns(int n) { failing_spawns_ = n; }

  const Process& Get(pid_t pid) const;
  const std::vector<Process>& processes() const { return processes_; }  // in start order
  const std::vector<SignalSent>& signals() const { return signals_; }
  void ClearSignals() { signals_.clear(); }

 private:
  Process* Find(pid_t pid);
  void End(Process& p, bool success, std::string how);

  std::vector<Process> processes_;
  std::deque<ProcessExit> exited_;  // not yet reaped, in exit order
  std::vector<SignalSent> signals_;
  pid_t next_pid_ = 1000;
  int failing_spawns_ = 0;
};

// Pid 4242, not root. WaitForSignals hands out `signals` one batch per call; with none
// queued it advances `clock` by the timeout and returns none, and after `max_waits` calls it
// returns SIGTERM so a loop under test always ends.
class FakeSelfProcess : public SelfProcess {
 public:
  explicit FakeSelfProcess(FakeClock& clock) : clock_(clock) {}

  pid_t Pid() const override { return 4242; }
  bool IsRoot() const override { return root; }
  Result<bool> LockFile(const std::string& path) override;
  Status CatchSignals() override;
  std::vector<int> WaitForSignals(std::chrono::milliseconds timeout) override;

  bool root = false;
  bool lock_held_elsewhere = false;
  std::deque<std::vector<int>> signals;
  int max_waits = 10000;
  std::string locked_path;  // what LockFile locked
  bool catching = false;
  int waits = 0;

 private:
  FakeClock& clock_;
};

}  // namespace mysqlset
