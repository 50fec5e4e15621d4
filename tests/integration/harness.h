#pragma once
// Integration-test harness: real members made with the real `mysqlset` binary and started
// as real mariadbd processes on loopback ports the test picks. Each server is stopped by
// its pid when the test ends.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/accounts.h"
#include "mariadb/connection.h"

namespace mysqlset::testing {

// Path of the mysqlset binary under test (from the build).
std::string MysqlsetBinary();
// A free TCP port on 127.0.0.1 (bound to port 0, then released).
uint16_t FreePort();
// A base port B such that B + stride*i + j (i < members, j < 3) are all free on 127.0.0.1.
// Under `ctest -j2 --resource-spec-file ctest-resources.json`, this and FreeClusterBasePort
// pick only from the test's own share of the ports (harness.cc).
uint16_t FreePortBlock(int members, int stride = 10);
// A base port P for a local cluster of up to `members` members: etcd's P-16..P-7, HAProxy's
// P-6 and P-5 and
// each member's P+10N .. P+10N+2 all free on 127.0.0.1, below the kernel's ephemeral range
// (32768+) so that no client connection takes one of them meanwhile. 0 if none found.
uint16_t FreeClusterBasePort(int members);
// True when something accepts TCP connections on 127.0.0.1:port.
bool PortOpen(uint16_t port);

// The whole file, "" when it cannot be read.
std::string ReadAll(const std::string& path);

// A fresh directory under /tmp, removed by the caller (TempDir's destructor).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a command (argv), returns exit code; output appended to `log`.
int RunCommand(const std::vector<std::string>& argv, const std::string& log);

// Runs `mysqlset ARGS` with its output in `scratch` (overwritten), appends a transcript to
// `log`, and returns the exit code; the output in `out` if given.
int RunMysqlset(std::vector<std::string> args, const std::string& scratch, const std::string& log,
                std::string* out = nullptr);

// Writes random secrets into DIR (0600), returns them.
Secrets MakeSecrets(const std::string& dir);

// One member on disk: conf, data and log under `root`, named `pod` (e.g. "mysql-0").
struct MemberSpec {
  std::string root;
  std::string pod = "mysql-0";
  std::string secrets_dir;
  std::string config_map_dir;  // defaults to the repo's config/
  uint16_t port = 0;           // 0: FreePort()
};

class Member {
 public:
  explicit Member(MemberSpec spec);
  ~Member();  // stops mariadbd if running

  // `mysqlset init` then `mysqlset clone` (bootstrap for ordinal 0). Returns exit codes.
  int Init();
  int Clone(const std::vector<std::string>& extra_args = {});
  // Starts mariadbd with the generated my.cnf and waits until it answers (or fails).
  bool Start();
  void Kill(int sig);  // signal mariadbd
  void Stop();         // SIGTERM and wait
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::unique_ptr<Connection> Connect(const std::string& user, const std::string& password);
  std::unique_ptr<Connection> ConnectAdmin();

  const MemberSpec& spec() const { return spec_; }
  std::string conf_dir() const { return spec_.root + "/conf"; }
  std::string data_dir() const { return spec_.root + "/data"; }
  std::string log_file() const { return spec_.root + "/member.log"; }
  uint16_t port() const { return spec_.port; }
  Secrets secrets() const;

 private:
  MemberSpec spec_;
  pid_t pid_ = -1;
};

// A `mysqlset agent` process for `member` in a local layout (peer host 127.0.0.1, ports
// base + stride*N). Stopped by pid on destruction.
class AgentProcess {
 public:
  AgentProcess(const Member& member, uint16_t base_port, int stride = 10,
               std::vector<std::string> extra_args = {});
  ~AgentProcess();
  bool Start();  // starts and waits until /livez answers
  void Stop();
  pid_t pid() const { return pid_; }
  uint16_t http_port() const { return http_port_; }
  // GET path on the agent: (status, body); status -1 when no answer.
  std::pair<int, std::string> Get(const std::string& path) const;

 private:
  const Member& member_;
  uint16_t base_port_;
  int stride_;
  uint16_t http_port_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

// Polls `pred` every 200 ms until it is true or `seconds` pass.
bool WaitFor(const std::function<bool()>& pred, double seconds);

// First column of the first row, or "" (for quick assertions).
std::string QueryValue(Connection& c, const std::string& sql);

// A connection to 127.0.0.1:`port` as `user`, retried every 200 ms for up to `wait_s`
// seconds (one try with 0); nullptr when none could be made.
std::unique_ptr<Connection> ConnectRetrying(uint16_t port, const std::string& user,
                                            const std::string& password, double wait_s);

}  // namespace mysqlset::testing

namespace mysqlset::testing {

// A connection flood against 127.0.0.1:port (issue #18): `silent` connections that send
// nothing and `slow` ones that send a request head one byte every `slow_interval`. A
// connection the server closes is opened again, so the pressure lasts until Stop(); at most
// `max_opens` connections are opened in all. Raise RLIMIT_NOFILE first (RaiseOpenFileLimit).
class ConnectionFlood {
 public:
  ConnectionFlood(uint16_t port, int silent, int slow,
                  std::chrono::milliseconds slow_interval = std::chrono::milliseconds(300),
                  int max_opens = 100000);
  ~ConnectionFlood();  // Stop()
  void Start();        // opens the connections (in the background) and keeps them open
  void Stop();         // closes every connection
  int opened() const { return opened_; }
  int closed_by_server() const { return closed_by_server_; }
  // Connections open now (connected or connecting).
  int open_now() const { return open_now_; }

 private:
  void Run();

  uint16_t port_;
  int silent_, slow_;
  std::chrono::milliseconds slow_interval_;
  int max_opens_;
  std::atomic<bool> stop_{false};
  std::atomic<int> opened_{0}, closed_by_server_{0}, open_now_{0};
  std::thread thread_;
};

}  // namespace mysqlset::testing
