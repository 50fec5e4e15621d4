#include "posix/posix_process_table.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/logging.h"
#include "posix/subprocess.h"

namespace mysqlset {
namespace {

std::string Timestamp() {
  char buf[64];
  const time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

pid_t PosixProcessTable::Spawn(const std::vector<std::string>& argv, const std::string& log) {
  {
    std::ofstream header(log, std::ios::app);
    header << "--- " << Timestamp()
           << " supervisor starts: " << fmt::format("{}", fmt::join(argv, " ")) << "\n";
  }
  SpawnOptions spawn;
  spawn.argv = argv;
  spawn.log_file = log;
  spawn.new_process_group = true;
  // If the supervisor dies without stopping us (SIGKILL), stop cleanly instead of living on
  // as an orphan nobody supervises.
  spawn.parent_death_signal = SIGTERM;
  auto pid = mysqlset::Spawn(spawn);
  if (!pid.ok()) {
    spdlog::error("{}", pid.status().message());
    return 0;
  }
  return *pid;
}

std::optional<ProcessExit> PosixProcessTable::Reap() {
  int status = 0;
  const pid_t pid = waitpid(-1, &status, WNOHANG);
  if (pid <= 0) return std::nullopt;
  return ProcessExit{pid, WIFEXITED(status) && WEXITSTATUS(status) == 0, DescribeWaitStatus(status),
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

bool PosixProcessTable::ReapIfExited(pid_t pid) {
  int status = 0;
  const pid_t r = waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void PosixProcessTable::Signal(pid_t pid, int signal) { kill(pid, signal); }

void PosixProcessTable::SignalGroup(pid_t pid, int signal) { kill(-pid, signal); }

PosixSelfProcess::~PosixSelfProcess() {
  if (signal_fd_ >= 0) close(signal_fd_);
  if (lock_fd_ >= 0) close(lock_fd_);
}

pid_t PosixSelfProcess::Pid() const { return getpid(); }

bool PosixSelfProcess::IsRoot() const { return geteuid() == 0; }

Result<bool> PosixSelfProcess::LockFile(const std::string& path) {
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return FailedPrecondition("open {}: {}", path, std::strerror(errno));
  bool locked = false;
  for (int i = 0; i < 60 && !locked; ++i) {
    locked = flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
    if (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return locked;
}

Status PosixSelfProcess::CatchSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd_ < 0) return Internal("signalfd: {}", std::strerror(errno));
  return Status::Ok();
}

std::vector<int> PosixSelfProcess::WaitForSignals(std::chrono::milliseconds timeout) {
  pollfd p{signal_fd_, POLLIN, 0};
  poll(&p, 1, static_cast<int>(timeout.count()));
  std::vector<int> out;
  signalfd_siginfo info;
  while (read(signal_fd_, &info, sizeof info) == sizeof info) {
    out.push_back(static_cast<int>(info.ssi_signo));
  }
  return out;
}

}  // namespace mysqlset
