#include "testing/fake_process_table.h"

#include <signal.h>

#include "common/logging.h"

namespace mysqlset {

pid_t FakeProcessTable::Spawn(const std::vector<std::string>& argv, const std::string& log) {
  if (failing_spawns_ > 0) {
    --failing_spawns_;
    return 0;
  }
  processes_.push_back({next_pid_++, argv, log});
  return processes_.back().pid;
}

std::optional<ProcessExit> FakeProcessTable::Reap() {
  if (exited_.empty()) return std::nullopt;
  ProcessExit e = exited_.front();
  exited_.pop_front();
  return e;
}

bool FakeProcessTable::ReapIfExited(pid_t pid) {
  for (auto it = exited_.begin(); it != exited_.end(); ++it) {
    if (it->pid == pid) {
      exited_.erase(it);
      return true;
    }
  }
  const Process* p = Find(pid);
  return p == nullptr || !p->running;  // running: not yet; otherwise not (or no longer) a child
}

void FakeProcessTable::Signal(pid_t pid, int signal) {
  signals_.push_back({pid, signal, false});
  Process* p = Find(pid);
  if (p == nullptr || !p->running) return;
  const bool fatal = signal == SIGKILL || ((signal == SIGTERM || signal == SIGINT) && !p->hangs);
  if (fatal) End(*p, false, fmt::format("signal {}", signal));
}

void FakeProcessTable::SignalGroup(pid_t pid, int signal) {
  Signal(pid, signal);
  signals_.back().group = true;
}

pid_t FakeProcessTable::Running(std::string_view text) const {
  for (const Process& p : processes_) {
    if (p.running && fmt::format("{}", fmt::join(p.argv, " ")).find(text) != std::string::npos) {
      return p.pid;
    }
  }
  return 0;
}

void FakeProcessTable::Exit(pid_t pid, int code) {
  Process* p = Find(pid);
  CHECK(p != nullptr && p->running);
  End(*p, code == 0, fmt::format("exit {}", code));
}

void FakeProcessTable::Die(pid_t pid, int signal) {
  Process* p = Find(pid);
  CHECK(p != nullptr && p->running);
  End(*p, false, fmt::format("signal {}", signal));
}

void FakeProcessTable::Hang(pid_t pid) {
  Process* p = Find(pid);
  CHECK(p != nullptr);
  p->hangs = true;
}

const FakeProcessTable::Process& FakeProcessTable::Get(pid_t pid) const {
  for (const Process& p : processes_) {
    if (p.pid == pid) return p;
  }
  CHECK(false);
  return processes_.front();
}

FakeProcessTable::Process* FakeProcessTable::Find(pid_t pid) {
  for (Process& p : processes_) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

void FakeProcessTable::End(Process& p, bool success, std::string how) {
  p.running = false;
  exited_.push_back({p.pid, success, std::move(how)});
}

Result<bool> FakeSelfProcess::LockFile(const std::string& path) {
  if (lock_held_elsewhere) return false;
  locked_path = path;
  return true;
}

Status FakeSelfProcess::CatchSignals() {
  catching = true;
  return Status::Ok();
}

std::vector<int> FakeSelfProcess::WaitForSignals(std::chrono::milliseconds timeout) {
  if (++waits > max_waits) return {SIGTERM};
  if (!signals.empty()) {
    std::vector<int> out = std::move(signals.front());
    signals.pop_front();
    return out;
  }
  clock_.Advance(timeout);
  return {};
}

}  // namespace mysqlset
