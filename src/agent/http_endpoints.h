#pragma once
// The agent's HTTP endpoints (cpp-httplib):
//   /livez      the agent process is alive (does not depend on mysqld)
//   /healthz    mysqld answers a ping on the monitor connection (liveness)
//   /readyz     the readiness verdict of the last loop tick; 200 or 503, reasons in the body
//   /v1/status  JSON for tools and the local CLI
//   /metrics    Prometheus text format
// Probes share one monitor connection and never wait past their deadline.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/agent.h"
#include "agent/status_view.h"
#include "env/clock.h"
#include "env/db.h"

namespace httplib {
class Server;
}

namespace mysqlset {

class AgentHttpServer {
 public:
  struct Deps {
    Agent* agent;
    Db* monitor;  // used only under the probe lock
    const Clock* clock;
    std::function<BackupStats()> backup;  // may be empty
  };
  explicit AgentHttpServer(Deps deps);
  ~AgentHttpServer();

  // Binds and serves on a background thread. Fails if the port is taken.
  Status Start(const std::string& bind_address, uint16_t port);
  void Stop();
  uint16_t port() const { return port_; }

 private:
  void Install();
  double StateAgeSeconds(const AgentSnapshot& snap) const;
  BackupStats Backup() const;

  Deps deps_;
  AgentMetrics metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::timed_mutex probe_mu_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> healthz_ok_{0}, healthz_fail_{0}, readyz_ok_{0}, readyz_fail_{0};
};

}  // namespace mysqlset
