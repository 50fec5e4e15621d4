#pragma once
// The agent's HTTP endpoints (net::HttpServer):
//   /livez      the agent process is alive (does not depend on mysqld)
//   /healthz    mysqld answers a ping on the monitor connection (liveness)
//   /readyz     core's readiness verdict on the last loop tick's state at its age now; 200 or
//               503, reasons in the body
//   /primary    200 only while this agent holds the leader key before its fence deadline and
//               its server is writable (HAProxy's write backend)
//   /replica    200 only for a replica following the leader that is ready (read-only,
//               replicating, under the lag limit): HAProxy's read backend
//   /v1/status  JSON for tools and the local CLI
//   /metrics    Prometheus text format
//   /v1/switchover  POST asks for a switchover (token), GET shows it (agent/switchover_api.h)
//   /v1/drain   POST (token): the pod is stopping; /replica answers 503 from then on
// Probes share one monitor connection and never wait past their deadline. /livez and
// /readyz have workers of their own, /healthz (which waits on mysqld) too, so neither a flood
// of idle connections nor a slow /metrics, /v1/status or mysqld delays them (issue #18).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/agent.h"
#include "agent/status_report.h"
#include "agent/switchover_api.h"
#include "env/clock.h"
#include "env/db.h"
#include "net/http_server.h"

namespace mysqlset {

class AgentHttpServer {
 public:
  struct Deps {
    Agent* agent;
    Db* monitor;  // used only under the probe lock
    const Clock* clock;
    std::function<BackupStats()> backup;  // may be empty
    SwitchoverApi* switchover = nullptr;  // POST/GET /v1/switchover; none without a store
    // More Prometheus text appended to /metrics (the binlog archiver's and the backup-age
    // monitor's); may be empty.
    std::function<std::string()> extra_metrics;
    // "archive" of /v1/status (the binlog archiver's and the backup-age monitor's stats);
    // may be empty: null then.
    std::function<formats::AgentStatus::Archive()> archive_status;
    // The data directory's file system ("data_volume" of /v1/status and its /metrics
    // gauges); may be empty, and may answer nullopt: unknown. Must not block: the agent
    // serves agent/volume_watch.h's last read.
    std::function<std::optional<VolumeSpace>()> data_volume;
  };
  explicit AgentHttpServer(Deps deps);
  ~AgentHttpServer();

  // Binds and serves on background threads. Fails if the port is taken.
  Status Start(const std::string& bind_address, uint16_t port);
  void Stop();
  uint16_t port() const { return server_.port(); }

 private:
  void Install();
  // How long ago the loop gathered `snap`'s state; nullopt before its first tick.
  std::optional<double> StateAgeSeconds(const AgentSnapshot& snap) const;
  BackupStats Backup() const;

  Deps deps_;
  AgentMetrics metrics_;
  net::HttpServer server_;
  std::timed_mutex probe_mu_;
  std::atomic<uint64_t> healthz_ok_{0}, healthz_fail_{0}, readyz_ok_{0}, readyz_fail_{0};
  std::atomic<bool> draining_{false};  // set by POST /v1/drain, never cleared
};

}  // namespace mysqlset
