#pragma once
// A real etcd for integration tests: one member of Debian's etcd-server (3.4) on
// 127.0.0.1, on ports picked free, with its data and log under a directory the test owns.
// Started with flags only (a config file can turn the v3 gateway off: etcd#12297), and
// stopped by pid (never pkill). Ready in about 1 s.
//
//   TempDir tmp;
//   auto etcd = StartEtcd(tmp.path() + "/etcd");   // nullptr when it did not come up
//   ASSERT_NE(etcd, nullptr) << EtcdLogTail(tmp.path() + "/etcd");
//   ... pass etcd->endpoint() ("http://127.0.0.1:PORT") to --etcd or OpenEtcdStore ...
//   etcd->Kill(SIGKILL); etcd->Start();   // kill -9, then the same member on the same data
//   etcd->Kill(SIGSTOP); ... etcd->Kill(SIGCONT);
//
// The destructor stops it (SIGTERM, then SIGKILL after 5 s) and reaps it.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace mysqlset::testing {

class EtcdProcess {
 public:
  // `dir` holds data/ and etcd.log; created if missing. Ports 0: picked free.
  explicit EtcdProcess(std::string dir, uint16_t client_port = 0, uint16_t peer_port = 0);
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // Starts etcd (again after Kill or Stop: the same member, data and ports) and waits up to
  // `wait_seconds` until a linearizable read answers on the v3 gateway. false (and the
  // process stopped) when it did not; the reason is in log().
  bool Start(double wait_seconds = 10);
  // Sends `sig`; for SIGKILL and SIGTERM, waits until it is gone.
  void Kill(int sig);
  void Stop();  // SIGTERM, SIGKILL after 5 s; reaped

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t client_port() const { return client_port_; }
  std::string endpoint() const;  // "http://127.0.0.1:<client port>"
  std::string data_dir() const { return dir_ + "/data"; }
  std::string log() const { return dir_ + "/etcd.log"; }

 private:
  std::string dir_;
  uint16_t client_port_, peer_port_;
  pid_t pid_ = -1;
};

// An EtcdProcess in `dir` on free ports, started; nullptr when it did not come up (see
// EtcdLogTail(dir)).
std::unique_ptr<EtcdProcess> StartEtcd(const std::string& dir);
// The last lines of the etcd log in `dir`, for a failure message.
std::string EtcdLogTail(const std::string& dir);

}  // namespace mysqlset::testing
