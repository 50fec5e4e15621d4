#include "posix/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

#include "posix/fd.h"
#include "posix/pipe.h"

extern char** environ;

namespace mysqlset {
namespace {

// The first executable regular file named `name` in the ':'-separated `path` (an empty
// entry is the working directory, as for execvp); "" when there is none.
std::string FindInPath(const std::string& name, std::string_view path) {
  while (true) {
    const size_t colon = path.find(':');
    const std::string_view dir = path.substr(0, colon);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) return "";
    path.remove_prefix(colon + 1);
  }
}

// Everything the child needs, built before fork. The child reads it and allocates nothing.
class ChildPlan {
 public:
  ChildPlan() = default;
  ChildPlan(const ChildPlan&) = delete;  // argv_ and envp_ point into the strings below
  ChildPlan& operator=(const ChildPlan&) = delete;

  Status Prepare(const SpawnOptions& options) {
    if (options.argv.empty()) return InvalidArgument("spawn: empty argv");
    if (!options.log_file.empty() && (options.fds.stdout_fd >= 0 || options.fds.stderr_fd >= 0)) {
      return InvalidArgument("spawn {}: a log file and output fds together", options.argv[0]);
    }
    for (const std::string& a : options.argv) argv_.push_back(const_cast<char*>(a.c_str()));
    argv_.push_back(nullptr);

    const char* path = getenv("PATH");
    envp_ = environ;
    if (!options.env.empty()) {
      for (const auto& [name, value] : options.env) {
        env_strings_.push_back(name + "=" + value);
        if (name == "PATH") path = value.c_str();
      }
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const std::string_view name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& kv : options.env) replaced = replaced || kv.first == name;
        if (!replaced) env_strings_.emplace_back(entry);
      }
      for (const std::string& s : env_strings_) env_vector_.push_back(const_cast<char*>(s.c_str()));
      env_vector_.push_back(nullptr);
      envp_ = env_vector_.data();
    }
    exec_path_ = options.argv[0].find('/') != std::string::npos
                     ? options.argv[0]
                     : FindInPath(options.argv[0], path != nullptr ? path : "/bin:/usr/bin");
    exec_error_ = "exec " + options.argv[0] + ": ";
    chdir_error_ = "chdir " + options.working_dir + ": ";
    working_dir_ = options.working_dir;
    umask_ = options.umask;
    new_process_group_ = options.new_process_group;
    parent_death_signal_ = options.parent_death_signal;
    parent_ = getpid();

    if (!options.log_file.empty()) {
      log_ = Fd(open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                     options.log_mode));
      if (!log_.valid()) {
        return Internal("spawn {}: open log {}: {}", options.argv[0], options.log_file,
                        std::strerror(errno));
      }
    }
    if (options.fds.stdin_fd < 0 || (options.fds.stdout_fd < 0 && !log_.valid())) {
      devnull_ = Fd(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!devnull_.valid()) return Internal("open /dev/null: {}", std::strerror(errno));
    }
    stdio_[0] = options.fds.stdin_fd >= 0 ? options.fds.stdin_fd : devnull_.get();
    stdio_[1] = log_.valid()                 ? log_.get()
                : options.fds.stdout_fd >= 0 ? options.fds.stdout_fd
                                             : devnull_.get();
    stdio_[2] = log_.valid()                 ? log_.get()
                : options.fds.stderr_fd >= 0 ? options.fds.stderr_fd
                                             : stdio_[1];
    return Status::Ok();
  }

  // In the child, after fork: async-signal-safe calls only (no malloc, no stdio, no locks:
  // another thread of the parent may have held them at fork time).
  [[noreturn]] void Run() const {
    if (new_process_group_) setpgid(0, 0);
    if (parent_death_signal_ != 0) {
      prctl(PR_SET_PDEATHSIG, parent_death_signal_);
      if (getppid() != parent_) _exit(1);  // the parent died before the signal was armed
    }
    int from[3] = {stdio_[0], stdio_[1], stdio_[2]};
    // A source fd that is itself 0..2 would be overwritten before its turn: move it up.
    for (int i = 0; i < 3; ++i) {
      if (from[i] < 3 && from[i] != i) from[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 3);
    }
    for (int i = 0; i < 3; ++i) {
      if (from[i] == i) {
        const int flags = fcntl(i, F_GETFD);
        if (flags >= 0) fcntl(i, F_SETFD, flags & ~FD_CLOEXEC);
      } else {
        dup2(from[i], i);  // the copy is not close-on-exec
      }
    }
    signal(SIGPIPE, SIG_DFL);  // the parent ignores it; exec keeps ignored signals ignored
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (umask_) umask(*umask_);
    if (!working_dir_.empty() && chdir(working_dir_.c_str()) != 0) Fail(chdir_error_, errno, 126);
    int err = ENOENT;  // not found in PATH
    if (!exec_path_.empty()) {
      execve(exec_path_.c_str(), argv_.data(), envp_);
      err = errno;
    }
    Fail(exec_error_, err, 127);
  }

 private:
  [[noreturn]] static void Fail(const std::string& prefix, int err, int code) {
    // strerrordesc_np returns static text without consulting the locale: safe here, unlike
    // strerror.
    const char* reason = strerrordesc_np(err);
    if (reason == nullptr) reason = "unknown error";
    (void)!write(2, prefix.data(), prefix.size());
    (void)!write(2, reason, std::strlen(reason));
    (void)!write(2, "\n", 1);
    _exit(code);
  }

  std::vector<char*> argv_;
  std::vector<std::string> env_strings_;
  std::vector<char*> env_vector_;
  char** envp_ = nullptr;
  std::string exec_path_;
  std::string exec_error_;
  std::string chdir_error_;
  std::string working_dir_;
  std::optional<mode_t> umask_;
  bool new_process_group_ = true;
  int parent_death_signal_ = 0;
  pid_t parent_ = 0;
  Fd log_;
  Fd devnull_;
  int stdio_[3] = {-1, -1, -1};
};

}  // namespace

Result<pid_t> Spawn(const SpawnOptions& options) {
  ChildPlan plan;
  RETURN_IF_ERROR(plan.Prepare(options));
  const pid_t pid = fork();
  if (pid < 0) return Internal("fork for {}: {}", options.argv[0], std::strerror(errno));
  if (pid == 0) plan.Run();
  if (options.new_process_group) setpgid(pid, pid);  // both sides, to win the race with exec
  return pid;
}

Result<pid_t> Daemonize(const SpawnOptions& options) {
  if (options.parent_death_signal != 0) {
    return InvalidArgument(
        "daemonize {}: a daemon outlives its parent; it takes no "
        "parent-death signal",
        options.argv.empty() ? "" : options.argv[0]);
  }
  ChildPlan plan;
  RETURN_IF_ERROR(plan.Prepare(options));
  int fds[2];
  RETURN_IF_ERROR(MakePipe(fds));
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  const pid_t child = fork();
  if (child < 0) return Internal("fork for {}: {}", options.argv[0], std::strerror(errno));
  if (child == 0) {
    // Leave the caller's session and terminal; the second fork makes the daemon a
    // non-leader of the new session, which can never acquire a controlling terminal.
    // _Fork, unlike fork, runs no atfork handlers: async-signal-safe here.
    setsid();
    const pid_t daemon = _Fork();
    if (daemon == 0) plan.Run();
    (void)!write(write_end.get(), &daemon, sizeof daemon);
    _exit(daemon > 0 ? 0 : 1);
  }
  write_end.Reset();
  pid_t daemon = -1;
  ssize_t n;
  do {
    n = read(read_end.get(), &daemon, sizeof daemon);
  } while (n < 0 && errno == EINTR);
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof daemon || daemon <= 0) {
    return Internal("daemonize {}: the second fork failed", options.argv[0]);
  }
  return daemon;
}

void DecodeWaitStatus(int status, int* exit_code, int* signal) {
  if (WIFEXITED(status)) {
    *exit_code = WEXITSTATUS(status);
    if (signal) *signal = 0;
  } else {
    *exit_code = -1;
    if (signal) *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "stopped";
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // A zombie still answers kill(pid, 0) until its parent reaps it: state 'Z' in
  // /proc/PID/stat, after the command name in parentheses (which may hold ')').
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

Status ExecReplacingSelf(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("exec: empty command line");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execvp(args[0], args.data());
  return Unavailable("cannot run {}: {}", argv[0], std::strerror(errno));
}

Result<Subprocess> Subprocess::Spawn(const std::vector<std::string>& argv, const SpawnFds& fds) {
  SpawnOptions options;
  options.argv = argv;
  options.fds = fds;
  // A helper (mbstream, mariabackup, a bootstrap mariadbd) only makes sense to the process
  // waiting for it: when that process is killed, a prepare running on would race the next
  // attempt's staging clean-up. (Fires when the spawning thread exits; callers wait.)
  options.parent_death_signal = SIGKILL;
  ASSIGN_OR_RETURN(const pid_t pid, ::mysqlset::Spawn(options));
  return Subprocess(pid);
}

int Subprocess::Wait(int* signal) {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  int code = -1;
  DecodeWaitStatus(status, &code, signal);
  return code;
}

bool Subprocess::TryWait(int* exit_code, int* signal) {
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  DecodeWaitStatus(status, exit_code, signal);
  return true;
}

void Subprocess::Kill(int sig) {
  if (pid_ > 0) ::kill(-pid_, sig);  // the whole process group
}

}  // namespace mysqlset
