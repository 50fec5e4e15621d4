#include "posix/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "posix/pipe.h"
#include "posix/posix_env.h"

namespace mysqlset {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for a child, at most 10 s (then kills it, and the test fails on the status).
int WaitStatus(pid_t pid) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "child " << pid << " still ran after 10 s";
      break;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return status;
}

// Polls `done` for up to 10 s.
template <typename F>
bool Eventually(F done) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/mysqlset-posix-test-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    log_ = dir_ + "/child.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `sh -c script` with its output appended to log_; the wait status.
  int RunShell(const std::string& script, SpawnOptions options = {}) {
    options.argv = {"/bin/sh", "-c", script};
    options.log_file = log_;
    auto pid = Spawn(options);
    EXPECT_TRUE(pid.ok()) << pid.status().message();
    return pid.ok() ? WaitStatus(*pid) : -1;
  }

  std::string dir_;
  std::string log_;
};

TEST_F(SpawnTest, ExitCodeAndSignalAreDescribed) {
  EXPECT_EQ(DescribeWaitStatus(RunShell("exit 3")), "exit 3");
  EXPECT_EQ(DescribeWaitStatus(RunShell("exit 0")), "exit 0");
  EXPECT_EQ(DescribeWaitStatus(RunShell("kill -9 $$")), "signal 9");
}

TEST_F(SpawnTest, StdoutAndStderrAreAppendedToTheLogFile) {
  std::ofstream(log_) << "earlier run\n";
  EXPECT_EQ(DescribeWaitStatus(RunShell("echo out; echo err >&2; read x || echo stdin-empty")),
            "exit 0");
  EXPECT_EQ(ReadAll(log_), "earlier run\nout\nerr\nstdin-empty\n");
}

TEST_F(SpawnTest, LogFileIsCreatedWithItsMode) {
  SpawnOptions o;
  o.log_mode = 0600;
  RunShell("true", o);
  EXPECT_EQ(std::filesystem::status(log_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(SpawnTest, ExecSearchesPathAndFailuresExit127SayingWhy) {
  std::ofstream(dir_ + "/mysqlset-own-tool") << "#!/bin/sh\necho own tool\n";
  std::filesystem::permissions(dir_ + "/mysqlset-own-tool", std::filesystem::perms::owner_all);
  struct Case {
    std::vector<std::string> argv;
    std::string path;  // the child's PATH; "" keeps ours
    std::string status;
    std::string log;
  };
  const Case cases[] = {
      {{"sh", "-c", "echo found"}, "", "exit 0", "found\n"},
      {{"mysqlset-own-tool"}, "/nonexistent:" + dir_, "exit 0", "own tool\n"},
      {{"mysqlset-own-tool"},
       "",
       "exit 127",
       "exec mysqlset-own-tool: No such file or directory\n"},
      {{dir_ + "/missing"},
       "",
       "exit 127",
       "exec " + dir_ + "/missing: No such file or directory\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.argv[0] + " with PATH " + c.path);
    std::filesystem::remove(log_);
    SpawnOptions o;
    o.argv = c.argv;
    o.log_file = log_;
    if (!c.path.empty()) o.env = {{"PATH", c.path}};
    auto pid = Spawn(o);
    ASSERT_TRUE(pid.ok());
    EXPECT_EQ(DescribeWaitStatus(WaitStatus(*pid)), c.status);
    EXPECT_EQ(ReadAll(log_), c.log);
  }
}

TEST_F(SpawnTest, EnvironmentIsAddedToAndReplaced) {
  setenv("MYSQLSET_SPAWN_KEPT", "kept", 1);
  setenv("MYSQLSET_SPAWN_REPLACED", "old", 1);
  SpawnOptions o;
  o.env = {{"MYSQLSET_SPAWN_REPLACED", "new"}, {"MYSQLSET_SPAWN_ADDED", "a b"}};
  RunShell(
      "echo \"$MYSQLSET_SPAWN_KEPT $MYSQLSET_SPAWN_REPLACED $MYSQLSET_SPAWN_ADDED\"; "
      "env | grep -c MYSQLSET_SPAWN_REPLACED",
      o);
  EXPECT_EQ(ReadAll(log_), "kept new a b\n1\n");
  unsetenv("MYSQLSET_SPAWN_KEPT");
  unsetenv("MYSQLSET_SPAWN_REPLACED");
}

TEST_F(SpawnTest, WorkingDirAndUmask) {
  SpawnOptions o;
  o.working_dir = dir_;
  o.umask = 027;
  RunShell("pwd; umask", o);
  EXPECT_EQ(ReadAll(log_), dir_ + "\n0027\n");
  o.working_dir = dir_ + "/missing";
  EXPECT_EQ(DescribeWaitStatus(RunShell("true", o)), "exit 126");
  EXPECT_NE(ReadAll(log_).find("chdir " + dir_ + "/missing: No such file or directory"),
            std::string::npos);
}

TEST_F(SpawnTest, NewProcessGroupOrTheCallersGroup) {
  for (bool own_group : {true, false}) {
    SCOPED_TRACE(own_group);
    int in[2];
    ASSERT_TRUE(MakePipe(in).ok());
    Fd read_end(in[0]);
    Fd write_end(in[1]);
    SpawnOptions o;
    o.argv = {"/bin/sh", "-c", "read x"};  // runs until we close its stdin
    o.fds.stdin_fd = read_end.get();
    o.new_process_group = own_group;
    auto pid = Spawn(o);
    ASSERT_TRUE(pid.ok());
    EXPECT_EQ(getpgid(*pid), own_group ? *pid : getpgrp());
    write_end.Reset();
    EXPECT_EQ(DescribeWaitStatus(WaitStatus(*pid)), "exit 1");
  }
}

TEST_F(SpawnTest, SignalsAreUnblockedAndSigpipeIsDefaultInTheChild) {
  IgnoreSigpipe();
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  // With SIGTERM blocked, "kill $$" would do nothing.
  EXPECT_EQ(DescribeWaitStatus(RunShell("kill -TERM $$; sleep 5")), "signal 15");
  // With SIGPIPE ignored, `yes` would get EPIPE and exit 1 instead of dying of SIGPIPE.
  int out[2];
  ASSERT_TRUE(MakePipe(out).ok());
  Fd write_end(out[1]);
  close(out[0]);  // nobody reads
  SpawnOptions o;
  o.argv = {"yes"};
  o.fds.stdout_fd = write_end.get();
  auto pid = Spawn(o);
  ASSERT_TRUE(pid.ok());
  EXPECT_EQ(DescribeWaitStatus(WaitStatus(*pid)), "signal 13");
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST_F(SpawnTest, ParentDeathSignalArrivesWhenTheSpawningThreadExits) {
  // PR_SET_PDEATHSIG fires when the thread that forked exits (the supervisor is single-
  // threaded, so that is when the supervisor dies).
  pid_t child = 0;
  std::thread spawner([&] {
    SpawnOptions o;
    o.argv = {"sleep", "30"};
    o.parent_death_signal = SIGTERM;
    auto pid = Spawn(o);
    ASSERT_TRUE(pid.ok());
    child = *pid;
    // The signal is armed before exec; a thread gone before that would never send it.
    EXPECT_TRUE(Eventually([&] {
      std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
      std::string name;
      return std::getline(comm, name) && name == "sleep";
    }));
  });
  spawner.join();
  ASSERT_GT(child, 0);
  EXPECT_EQ(DescribeWaitStatus(WaitStatus(child)), "signal 15");
}

TEST_F(SpawnTest, FdsAreConnected) {
  int in[2], out[2];
  ASSERT_TRUE(MakePipe(in).ok());
  ASSERT_TRUE(MakePipe(out).ok());
  Fd in_read(in[0]), in_write(in[1]), out_read(out[0]), out_write(out[1]);
  auto child = Subprocess::Spawn({"/bin/sh", "-c", "tr a-z A-Z; echo err >&2"},
                                 {in_read.get(), out_write.get(), -1});
  ASSERT_TRUE(child.ok());
  in_read.Reset();
  out_write.Reset();
  ASSERT_TRUE(WriteAll(in_write.get(), "hello\n").ok());
  in_write.Reset();
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = read(out_read.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  int sig = -1;
  EXPECT_EQ(child->Wait(&sig), 0);
  EXPECT_EQ(sig, 0);
  EXPECT_EQ(got, "HELLO\nerr\n");  // stderr -1: same as stdout
}

TEST_F(SpawnTest, BadOptionsAreRefusedBeforeForking) {
  SpawnOptions o;
  EXPECT_EQ(Spawn(o).status().code(), StatusCode::kInvalidArgument);
  o.argv = {"true"};
  o.log_file = log_;
  o.fds.stdout_fd = 1;
  EXPECT_EQ(Spawn(o).status().code(), StatusCode::kInvalidArgument);
  o.fds.stdout_fd = -1;
  o.log_file = dir_ + "/missing/child.log";
  auto r = Spawn(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(dir_ + "/missing/child.log"), std::string::npos);
}

TEST_F(SpawnTest, DaemonRunsInItsOwnSessionWithItsLog) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "pwd; exec sleep 30"};
  o.log_file = log_;
  o.working_dir = "/";
  o.new_process_group = false;
  auto pid = Daemonize(o);
  ASSERT_TRUE(pid.ok()) << pid.status().message();
  EXPECT_TRUE(ProcessAlive(*pid));
  EXPECT_TRUE(Eventually([&] { return ReadAll(log_) == "/\n"; })) << ReadAll(log_);
  const pid_t sid = getsid(*pid);
  EXPECT_NE(sid, getsid(0));  // left our session
  EXPECT_NE(sid, *pid);       // and leads none: it can never get a controlling terminal
  EXPECT_EQ(waitpid(*pid, nullptr, WNOHANG), -1);  // not our child
  kill(*pid, SIGKILL);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(*pid); }));
}

TEST_F(SpawnTest, DaemonTakesNoParentDeathSignal) {
  SpawnOptions o;
  o.argv = {"true"};
  o.parent_death_signal = SIGTERM;
  EXPECT_EQ(Daemonize(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ProcessAliveTest, RunningZombieAndReaped) {
  EXPECT_TRUE(ProcessAlive(getpid()));
  EXPECT_FALSE(ProcessAlive(0));
  EXPECT_FALSE(ProcessAlive(-1));
  SpawnOptions o;
  o.argv = {"true"};
  auto pid = Spawn(o);
  ASSERT_TRUE(pid.ok());
  // Exited but not reaped: a zombie, which kill(pid, 0) alone would call alive.
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(*pid); }));
  EXPECT_EQ(kill(*pid, 0), 0);
  EXPECT_EQ(waitpid(*pid, nullptr, 0), *pid);
  EXPECT_FALSE(ProcessAlive(*pid));
}

TEST(WaitStatusTest, DescribeAndDecode) {
  struct Case {
    int status;
    const char* text;
    int code;
    int signal;
  };
  const Case cases[] = {
      {W_EXITCODE(0, 0), "exit 0", 0, 0},
      {W_EXITCODE(1, 0), "exit 1", 1, 0},
      {W_EXITCODE(127, 0), "exit 127", 127, 0},
      {W_EXITCODE(0, SIGKILL), "signal 9", -1, 9},
      {W_EXITCODE(0, SIGTERM), "signal 15", -1, 15},
      {W_STOPCODE(SIGSTOP), "stopped", -1, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(DescribeWaitStatus(c.status), c.text);
    int code = 99, sig = 99;
    DecodeWaitStatus(c.status, &code, &sig);
    EXPECT_EQ(code, c.code);
    EXPECT_EQ(sig, c.signal);
  }
}

}  // namespace
TEST(ExecReplacingSelfTest, TheProcessBecomesTheToolOrSaysWhyNot) {
  // In a child, so the test process itself is not replaced.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    (void)ExecReplacingSelf({"/bin/sh", "-c", "exit 7"});
    _exit(99);  // exec failed
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(DescribeWaitStatus(status), "exit 7");

  const Status missing = ExecReplacingSelf({"/nonexistent/tool", "--flag"});
  EXPECT_EQ(missing.code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.message().find("cannot run /nonexistent/tool: No such file"), std::string::npos)
      << missing.message();
  EXPECT_EQ(ExecReplacingSelf({}).code(), StatusCode::kInvalidArgument);
}

}  // namespace mysqlset

namespace mysqlset {
namespace {

// A tool whose output goes to a log file is bounded by its timeout too (a hung --prepare or
// rollback pass must not hang its caller: before, the runner then waited without a limit).
TEST(PosixProcessRunnerTest, TheTimeoutHoldsWhenOutputGoesToAFile) {
  const std::string dir = ::testing::TempDir() + "/runner-timeout";
  std::filesystem::create_directories(dir);
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"sleep", "30"};
  spec.output_file = dir + "/log";
  spec.timeout = std::chrono::milliseconds(300);
  auto r = runner.Run(spec);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  spec.argv = {"sh", "-c", "echo done; exit 3"};
  spec.timeout = std::chrono::seconds(30);
  r = runner.Run(spec);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 3);
}

}  // namespace
}  // namespace mysqlset
