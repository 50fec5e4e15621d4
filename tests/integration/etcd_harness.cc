#include "tests/integration/etcd_harness.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "httplib.h"
#include "posix/subprocess.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

// A linearizable read of one key: answers 200 only once the member leads (or follows) a
// working cluster, which is what "ready" means to a CoordStore.
bool Answers(uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 300000);
  c.set_read_timeout(1, 0);
  auto res = c.Post("/v3/kv/range", R"({"key":"AA=="})", "application/json");
  return res && res->status == 200;
}

}  // namespace

EtcdProcess::EtcdProcess(std::string dir, uint16_t client_port, uint16_t peer_port)
    : dir_(std::move(dir)), client_port_(client_port), peer_port_(peer_port) {
  if (client_port_ == 0 || peer_port_ == 0) {
    const uint16_t base = FreePortBlock(1);
    client_port_ = base;
    peer_port_ = static_cast<uint16_t>(base + 1);
  }
  std::filesystem::create_directories(dir_);
}

EtcdProcess::~EtcdProcess() { Stop(); }

std::string EtcdProcess::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

bool EtcdProcess::Start(double wait_seconds) {
  if (pid_ > 0) return true;
  const std::string client = endpoint();
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  SpawnOptions options;
  options.argv = {"etcd",
                  "--name=test",
                  "--data-dir=" + data_dir(),
                  "--listen-client-urls=" + client,
                  "--advertise-client-urls=" + client,
                  "--listen-peer-urls=" + peer,
                  "--initial-advertise-peer-urls=" + peer,
                  "--initial-cluster=test=" + peer,
                  "--initial-cluster-state=new"};
  options.log_file = log();
  options.parent_death_signal = SIGKILL;  // a crashed test leaves no etcd behind
  auto pid = Spawn(options);
  if (!pid.ok()) return false;
  pid_ = *pid;
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(wait_seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // exited: a taken port, a bad data dir
      pid_ = -1;
      return false;
    }
    if (Answers(client_port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill(SIGKILL);
  return false;
}

void EtcdProcess::Kill(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  if (sig == SIGKILL || sig == SIGTERM) {
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void EtcdProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGCONT);  // a stopped etcd cannot act on SIGTERM
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Kill(SIGKILL);
}

std::unique_ptr<EtcdProcess> StartEtcd(const std::string& dir) {
  auto etcd = std::make_unique<EtcdProcess>(dir);
  if (!etcd->Start()) return nullptr;
  return etcd;
}

std::string EtcdLogTail(const std::string& dir) {
  const std::string all = ReadAll(dir + "/etcd.log");
  size_t from = all.size();
  for (int lines = 0; lines < 20 && from > 0; ++lines) {
    from = all.rfind('\n', from - 1);
    if (from == std::string::npos) {
      from = 0;
      break;
    }
  }
  return all.substr(from);
}

}  // namespace mysqlset::testing
