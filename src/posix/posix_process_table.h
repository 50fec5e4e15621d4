#pragma once
// The real ProcessTable (fork/exec, waitpid, kill) and SelfProcess (flock, signalfd) of
// env/process_table.h, as the local supervisor uses them.

#include "env/process_table.h"

namespace mysqlset {

class PosixProcessTable : public ProcessTable {
 public:
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) override;
  std::optional<ProcessExit> Reap() override;
  bool ReapIfExited(pid_t pid) override;
  void Signal(pid_t pid, int signal) override;
  void SignalGroup(pid_t pid, int signal) override;
};

class PosixSelfProcess : public SelfProcess {
 public:
  PosixSelfProcess() = default;
  PosixSelfProcess(const PosixSelfProcess&) = delete;
  PosixSelfProcess& operator=(const PosixSelfProcess&) = delete;
  ~PosixSelfProcess() override;

  pid_t Pid() const override;
  bool IsRoot() const override;
  Result<bool> LockFile(const std::string& path) override;
  Status CatchSignals() override;
  std::vector<int> WaitForSignals(std::chrono::milliseconds timeout) override;

 private:
  int lock_fd_ = -1;
  int signal_fd_ = -1;
};

}  // namespace mysqlset
