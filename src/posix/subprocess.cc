#include "posix/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mysqlset {

void DecodeWaitStatus(int status, int* exit_code, int* signal) {
  if (WIFEXITED(status)) {
    *exit_code = WEXITSTATUS(status);
    if (signal) *signal = 0;
  } else {
    *exit_code = -1;
    if (signal) *signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
}

Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return Internal("pipe: {}", std::strerror(errno));
  return Status::Ok();
}

Result<Subprocess> Subprocess::Spawn(const std::vector<std::string>& argv, const SpawnFds& fds) {
  if (argv.empty()) return InvalidArgument("spawn: empty argv");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Internal("fork {}: {}", argv[0], std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    const int devnull = open("/dev/null", O_RDWR);
    const int in = fds.stdin_fd >= 0 ? fds.stdin_fd : devnull;
    const int out = fds.stdout_fd >= 0 ? fds.stdout_fd : devnull;
    const int err = fds.stderr_fd >= 0 ? fds.stderr_fd : out;
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Restore default signal handling the parent may have changed.
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(args[0], args.data());
    const std::string msg = "exec " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
  setpgid(pid, pid);  // both sides, to win the race with the child's exec
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
