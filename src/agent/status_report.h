#pragma once
// What the agent shows the world: its /v1/status document (formats/agent_status.h) and the
// Prometheus metrics. Both are built from an AgentSnapshot; neither ever contains a secret.

#include <memory>
#include <optional>
#include <string>

#include "agent/agent.h"
#include "core/disk_space.h"
#include "formats/agent_status.h"
#include "net/backup_server.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace mysqlset {

struct ProbeCounters {
  uint64_t healthz_ok = 0, healthz_fail = 0, readyz_ok = 0, readyz_fail = 0;
};

formats::AgentStatus StatusOf(const AgentConfig& config, const AgentSnapshot& snap,
                              const BackupStats& backup, double state_age_seconds);
// StatusOf serialised for /v1/status. Never throws: text from outside (MariaDB error
// messages, hosts) that is not valid UTF-8 has its bad bytes replaced with U+FFFD.
std::string StatusJsonText(const AgentConfig& config, const AgentSnapshot& snap,
                           const BackupStats& backup, double state_age_seconds);

// Prometheus metrics, updated from snapshots. Thread-safe (prometheus-cpp's own locking;
// Render() serialises callers).
class AgentMetrics {
 public:
  explicit AgentMetrics(const AgentConfig& config);
  ~AgentMetrics();
  // `data_volume`: the data directory's file system now (nullopt: unknown, no sample).
  std::string Render(const AgentSnapshot& snap, const BackupStats& backup,
                     const ProbeCounters& probes,
                     const std::optional<VolumeSpace>& data_volume = std::nullopt);

 private:
  struct Impl;
  const std::string pod_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mysqlset
