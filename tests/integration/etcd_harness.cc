#include "tests/integration/etcd_harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "fmt/format.h"
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

EtcdProcess::EtcdProcess(std::string dir, uint16_t client_port, uint16_t peer_port,
                         std::string name, std::string initial_cluster)
    : dir_(std::move(dir)),
      client_port_(client_port),
      peer_port_(peer_port),
      name_(std::move(name)),
      initial_cluster_(std::move(initial_cluster)) {
  if (client_port_ == 0 || peer_port_ == 0) {
    const uint16_t base = FreePortBlock(1);
    client_port_ = base;
    peer_port_ = static_cast<uint16_t>(base + 1);
  }
  if (initial_cluster_.empty()) initial_cluster_ = name_ + "=" + peer_url();
  std::filesystem::create_directories(dir_);
}

EtcdProcess::~EtcdProcess() { Stop(); }

std::string EtcdProcess::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

std::string EtcdProcess::peer_url() const {
  return "http://127.0.0.1:" + std::to_string(peer_port_);
}

bool EtcdProcess::Start(double wait_seconds) { return Launch() && WaitReady(wait_seconds); }

bool EtcdProcess::Launch() {
  if (pid_ > 0) return true;
  SpawnOptions options;
  options.argv = {"etcd",
                  "--name=" + name_,
                  "--data-dir=" + data_dir(),
                  "--listen-client-urls=" + endpoint(),
                  "--advertise-client-urls=" + endpoint(),
                  "--listen-peer-urls=" + peer_url(),
                  "--initial-advertise-peer-urls=" + peer_url(),
                  "--initial-cluster=" + initial_cluster_,
                  "--initial-cluster-state=new"};
  options.log_file = log();
  options.parent_death_signal = SIGKILL;  // a crashed test leaves no etcd behind
  auto pid = Spawn(options);
  if (!pid.ok()) return false;
  pid_ = *pid;
  return true;
}

bool EtcdProcess::WaitReady(double wait_seconds) {
  if (pid_ <= 0) return false;
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
  if (sig == SIGSTOP) {
    // kill() returns before every thread has stopped: until the group stop completes, a
    // thread already running may still answer (etcd_contract_test saw a Get served after
    // SIGSTOP under load). waitpid(WUNTRACED) reports the completed stop.
    for (int i = 0; i < 500; ++i) {
      int st = 0;
      if (waitpid(pid_, &st, WUNTRACED | WNOHANG) == pid_ && WIFSTOPPED(st)) break;
      usleep(2000);
    }
  }
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

EtcdCluster::EtcdCluster(const std::string& dir, int members) {
  std::vector<uint16_t> bases;
  std::string initial;
  for (int i = 0; i < members; ++i) {
    // Distinct blocks: FreePortBlock only checks that a port is free now.
    uint16_t base = 0;
    for (int tries = 0; tries < 20 && (base == 0 || std::count(bases.begin(), bases.end(), base));
         ++tries) {
      base = FreePortBlock(1);
    }
    bases.push_back(base);
    initial += (i ? "," : "") + fmt::format("m{}=http://127.0.0.1:{}", i, base + 1);
  }
  for (int i = 0; i < members; ++i) {
    members_.push_back(std::make_unique<EtcdProcess>(fmt::format("{}/{}", dir, i), bases[i],
                                                     static_cast<uint16_t>(bases[i] + 1),
                                                     fmt::format("m{}", i), initial));
  }
}

bool EtcdCluster::Start(double wait_seconds) {
  for (auto& m : members_) {
    if (!m->Launch()) return false;
  }
  for (auto& m : members_) {
    if (!m->WaitReady(wait_seconds)) return false;
  }
  return true;
}

std::string EtcdCluster::endpoints() const {
  std::string out;
  for (const auto& m : members_) out += (out.empty() ? "" : ",") + m->endpoint();
  return out;
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
