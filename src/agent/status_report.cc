#include "agent/status_report.h"

#include <map>
#include <mutex>
#include <optional>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace mysqlset {
namespace {

const char* ThreadName(ThreadState t) {
  switch (t) {
    case ThreadState::kYes:
      return "Yes";
    case ThreadState::kConnecting:
      return "Connecting";
    case ThreadState::kNo:
      return "No";
  }
  return "No";
}

}  // namespace

formats::AgentStatus StatusOf(const AgentConfig& config, const AgentSnapshot& snap,
                              const BackupStats& backup, double state_age_seconds) {
  const ServerState& s = snap.state;
  formats::AgentStatus st;
  st.pod = config.id.pod_name;
  st.ordinal = config.id.ordinal;
  st.role = RoleName(snap.role);
  st.leader = snap.leader;
  st.epoch = snap.epoch;
  st.decision = RoleVerdictName(snap.decision.verdict);
  st.decision_reason = snap.decision.reason;
  st.semi_sync = snap.semi_sync;
  st.store_reachable = snap.store_ok;
  st.ready = snap.readiness.ready;
  st.reasons = snap.readiness.reasons;
  st.stale_reads = snap.readiness.stale_reads;
  st.sync = snap.sync;
  st.errant_gtids = snap.errant_gtids.ToString();
  st.reclone = snap.reclone;
  if (snap.last_epoch) {
    const EpochView& e = *snap.last_epoch;
    st.last_epoch = formats::AgentStatus::Epoch{e.epoch, e.name, e.from, e.reason, e.since_unix_ms};
  }
  st.server_id = config.id.server_id;
  st.mysql_reachable = s.reachable;
  st.read_only = s.read_only;
  st.gtid_current = s.gtid_current.ToString();
  st.gtid_binlog = s.gtid_binlog.ToString();
  st.gtid_slave = s.gtid_slave.ToString();
  if (s.replica && s.replica->seconds_behind) {
    st.lag_seconds = static_cast<double>(*s.replica->seconds_behind);
  }
  if (snap.role == Role::kPrimary && s.reachable) st.lag_seconds = 0;
  st.last_error = snap.last_error;
  st.replication_error = snap.replication_error;
  st.last_actions = snap.last_actions;
  st.ticks = snap.ticks;
  st.state_age_seconds = state_age_seconds;
  st.lag_threshold_seconds = config.policy.max_lag_seconds;
  if (s.replica) {
    const ReplicaStatus& r = *s.replica;
    st.replication =
        formats::AgentStatus::Replication{r.source_host + ":" + std::to_string(r.source_port),
                                          r.source_user,
                                          r.using_gtid_slave_pos ? "slave_pos" : "no",
                                          ThreadName(r.io),
                                          ThreadName(r.sql),
                                          r.last_io_errno,
                                          r.last_io_error,
                                          r.last_sql_errno,
                                          r.last_sql_error,
                                          r.gtid_io_pos};
  }
  if (snap.clone) {
    st.clone = formats::AgentStatus::Clone{snap.clone->donor, snap.clone->gtid, snap.clone->bytes,
                                           snap.clone->seconds};
  }
  st.backup = {backup.active,       backup.served_ok,    backup.failed,
               backup.refused_auth, backup.refused_busy, backup.bytes_sent};
  return st;
}

std::string StatusJsonText(const AgentConfig& config, const AgentSnapshot& snap,
                           const BackupStats& backup, double state_age_seconds) {
  return formats::ToJson(StatusOf(config, snap, backup, state_age_seconds));
}

struct AgentMetrics::Impl {
  std::mutex mu;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Gauge* ready;
  prometheus::Gauge* reachable;
  prometheus::Gauge* role_primary;
  prometheus::Gauge* role_replica;
  prometheus::Gauge* read_only;
  // Replication lag: a sample only while the lag is known, absent otherwise rather than NaN
  // (a NaN compares false with any threshold, so an alert on it could never fire).
  prometheus::Family<prometheus::Gauge>* lag_family;
  prometheus::Gauge* lag = nullptr;
  std::map<std::string, std::string> member;
  prometheus::Gauge* io_running;
  prometheus::Gauge* sql_running;
  prometheus::Family<prometheus::Gauge>* gtid_seq;
  prometheus::Gauge* clone_bytes;
  prometheus::Gauge* clone_seconds;
  prometheus::Gauge* backups_active;
  prometheus::Gauge* epoch;
  prometheus::Gauge* leader;
  prometheus::Gauge* store_up;
  prometheus::Gauge* stale_reads;
  prometheus::Gauge* sync_replica;
  prometheus::Gauge* errant_gtids;
  // Server metrics people alert on, from what the agent reads anyway (docs/kubernetes.md
  // "MariaDB server metrics": no mysqld-exporter sidecar).
  prometheus::Family<prometheus::Gauge>* uptime_family;
  prometheus::Gauge* uptime = nullptr;
  // The data directory's file system, when statvfs answers (absent otherwise).
  prometheus::Family<prometheus::Gauge>* volume_free_family;
  prometheus::Gauge* volume_free = nullptr;
  prometheus::Family<prometheus::Gauge>* volume_size_family;
  prometheus::Gauge* volume_size = nullptr;
  prometheus::Gauge* io_errno;
  prometheus::Gauge* sql_errno;
  prometheus::Gauge* semi_sync_clients;
  prometheus::Gauge* semi_sync_waits;
  struct Mirrored {
    prometheus::Counter* counter;
    uint64_t seen = 0;
    void Sync(uint64_t total) {
      if (total > seen) counter->Increment(static_cast<double>(total - seen));
      seen = total;
    }
  };
  Mirrored ticks, actions, repl_errors, healthz_ok, healthz_fail, readyz_ok, readyz_fail;
  Mirrored backups_ok, backups_failed, refused_auth, refused_busy, bad_requests, bytes_sent;
  Mirrored leader_changes, fence_read_only, fence_kill_sessions, fence_kill_server;
  Mirrored failovers, switchovers, errant_detections;
};

AgentMetrics::AgentMetrics(const AgentConfig& config)
    : pod_(config.id.pod_name), impl_(std::make_unique<Impl>()) {
  auto& reg = *impl_->registry;
  // No `pod` label: Prometheus adds the target's own (pod, instance), and one set here would
  // clash with it (exported_pod). `cluster` tells clusters apart in one Prometheus.
  const std::map<std::string, std::string> member = {
      {"cluster", config.cluster.empty() ? config.id.set_name : config.cluster}};
  impl_->member = member;
  auto gauge = [&](const char* name, const char* help,
                   std::map<std::string, std::string> labels = {}) {
    labels.insert(member.begin(), member.end());
    return &prometheus::BuildGauge().Name(name).Help(help).Register(reg).Add(labels);
  };
  auto counter = [&](const char* name, const char* help,
                     std::map<std::string, std::string> labels = {}) {
    labels.insert(member.begin(), member.end());
    return Impl::Mirrored{
        &prometheus::BuildCounter().Name(name).Help(help).Register(reg).Add(labels)};
  };
  Impl& m = *impl_;
  m.ready = gauge("mysqlset_ready", "1 when the member passes its readiness rules");
  m.reachable = gauge("mysqlset_mysql_up", "1 when mariadbd answered the agent's last check");
  auto& role =
      prometheus::BuildGauge().Name("mysqlset_role").Help("1 for the member's role").Register(reg);
  auto with = [&](std::map<std::string, std::string> labels) {
    labels.insert(member.begin(), member.end());
    return labels;
  };
  m.role_primary = &role.Add(with({{"role", "primary"}}));
  m.role_replica = &role.Add(with({{"role", "replica"}}));
  m.read_only = gauge("mysqlset_read_only", "1 when read_only is ON");
  m.lag_family = &prometheus::BuildGauge()
                      .Name("mysqlset_replication_lag_seconds")
                      .Help("Seconds_Behind_Master (0 on the primary); absent when unknown")
                      .Register(reg);
  m.io_running = gauge("mysqlset_replication_io_running", "1 when the IO thread runs");
  m.sql_running = gauge("mysqlset_replication_sql_running", "1 when the SQL thread runs");
  m.gtid_seq = &prometheus::BuildGauge()
                    .Name("mysqlset_gtid_sequence")
                    .Help("Sequence number reached per GTID domain (gtid_current_pos)")
                    .Register(reg);
  m.clone_bytes =
      gauge("mysqlset_clone_bytes", "Bytes received by the clone this datadir came from");
  m.clone_seconds = gauge("mysqlset_clone_duration_seconds", "Duration of that clone");
  m.backups_active = gauge("mysqlset_backups_active", "Backups being streamed to peers now");
  m.epoch = gauge("mysqlset_leader_epoch", "Epoch of the leader this agent last saw");
  m.leader = gauge("mysqlset_leader", "1 while this member holds the leader key in time");
  m.store_up = gauge("mysqlset_store_up", "1 when the coordination store answered the last tick");
  m.leader_changes = counter("mysqlset_leader_changes_total",
                             "Times this agent saw a new holder of the leader key");
  m.fence_read_only = counter("mysqlset_fencing_actions_total", "Fencing ladder steps taken",
                              {{"action", "read_only"}});
  m.fence_kill_sessions = counter("mysqlset_fencing_actions_total", "Fencing ladder steps taken",
                                  {{"action", "kill_session"}});
  m.fence_kill_server = counter("mysqlset_fencing_actions_total", "Fencing ladder steps taken",
                                {{"action", "kill_mariadbd"}});
  m.failovers = counter("mysqlset_failovers_total",
                        "Epochs this agent saw begin with a failover (automatic or forced)");
  m.switchovers =
      counter("mysqlset_switchovers_total", "Epochs this agent saw begin with a switchover");
  m.errant_detections = counter("mysqlset_errant_detections_total",
                                "Times this member was found holding errant GTIDs");
  m.errant_gtids = gauge("mysqlset_errant_gtids",
                         "Errant GTIDs this member holds (one per domain and server id); 0 "
                         "when none");
  m.stale_reads = gauge("mysqlset_stale_reads",
                        "1 while this replica serves possibly stale reads, its primary "
                        "unreachable (within --max-stale-read-seconds)");
  m.sync_replica = gauge("mysqlset_sync_replica",
                         "1 when this member is the designated "
                         "semi-sync replica (the store's sync key)");
  m.ticks = counter("mysqlset_agent_ticks_total", "Convergence loop iterations");
  m.actions = counter("mysqlset_agent_actions_total", "Corrective actions taken");
  m.repl_errors = counter("mysqlset_replication_errors_total",
                          "Times replication stopped on an error the agent will not skip");
  m.healthz_ok = counter("mysqlset_probe_requests_total", "Probe requests",
                         {{"probe", "healthz"}, {"result", "ok"}});
  m.healthz_fail = counter("mysqlset_probe_requests_total", "Probe requests",
                           {{"probe", "healthz"}, {"result", "fail"}});
  m.readyz_ok = counter("mysqlset_probe_requests_total", "Probe requests",
                        {{"probe", "readyz"}, {"result", "ok"}});
  m.readyz_fail = counter("mysqlset_probe_requests_total", "Probe requests",
                          {{"probe", "readyz"}, {"result", "fail"}});
  m.backups_ok = counter("mysqlset_backups_total", "Backups streamed to peers", {{"result", "ok"}});
  m.backups_failed =
      counter("mysqlset_backups_total", "Backups streamed to peers", {{"result", "failed"}});
  m.refused_auth =
      counter("mysqlset_backup_refusals_total", "Backup requests refused", {{"reason", "auth"}});
  m.refused_busy =
      counter("mysqlset_backup_refusals_total", "Backup requests refused", {{"reason", "busy"}});
  m.bad_requests = counter("mysqlset_backup_refusals_total", "Backup requests refused",
                           {{"reason", "bad_request"}});
  m.bytes_sent = counter("mysqlset_backup_bytes_sent_total", "Backup payload bytes sent to peers");
  m.volume_free_family =
      &prometheus::BuildGauge()
           .Name("mysqlset_data_volume_free_bytes")
           .Help(
               "Bytes free on the data directory's file system (for writers without root's "
               "reserve); mariadbd waits when it is full")
           .Register(reg);
  m.volume_size_family = &prometheus::BuildGauge()
                              .Name("mysqlset_data_volume_size_bytes")
                              .Help("Size of the data directory's file system in bytes")
                              .Register(reg);
  m.uptime_family = &prometheus::BuildGauge()
                         .Name("mysqlset_mysql_uptime_seconds")
                         .Help("mariadbd's Uptime status variable; absent when not read")
                         .Register(reg);
  m.io_errno = gauge("mysqlset_replication_last_io_errno",
                     "Last_IO_Errno of SHOW SLAVE STATUS (0: none, or no replication)");
  m.sql_errno = gauge("mysqlset_replication_last_sql_errno",
                      "Last_SQL_Errno of SHOW SLAVE STATUS (0: none, or no replication)");
  m.semi_sync_clients = gauge("mysqlset_semi_sync_master_clients",
                              "Rpl_semi_sync_master_clients: replicas acking this primary");
  m.semi_sync_waits = gauge("mysqlset_semi_sync_master_wait_sessions",
                            "Rpl_semi_sync_master_wait_sessions: commits waiting for an ack");
  // Constant 1, with the version: `on (cluster) group_left(version)` joins it to any series.
  prometheus::BuildGauge()
      .Name("mysqlset_build_info")
      .Help("The running mysqlset's version")
      .Register(reg)
      .Add(with({{"version", MYSQLSET_VERSION}}))
      .Set(1);
}

namespace {

// Sets `*g` in `family` (created on first use) when `value` is known, else removes it, so that
// an unknown value is an absent series rather than NaN.
void SetOrRemove(prometheus::Family<prometheus::Gauge>& family,
                 const std::map<std::string, std::string>& labels, prometheus::Gauge*& g,
                 std::optional<double> value) {
  if (value) {
    if (g == nullptr) g = &family.Add(labels);
    g->Set(*value);
  } else if (g != nullptr) {
    family.Remove(g);
    g = nullptr;
  }
}

}  // namespace

AgentMetrics::~AgentMetrics() = default;

std::string AgentMetrics::Render(const AgentSnapshot& snap, const BackupStats& backup,
                                 const ProbeCounters& probes,
                                 const std::optional<VolumeSpace>& data_volume) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  const ServerState& s = snap.state;
  m.ready->Set(snap.readiness.ready ? 1 : 0);
  m.reachable->Set(s.reachable ? 1 : 0);
  m.role_primary->Set(snap.role == Role::kPrimary ? 1 : 0);
  m.role_replica->Set(snap.role == Role::kReplica ? 1 : 0);
  m.read_only->Set(s.read_only ? 1 : 0);
  std::optional<double> lag;
  if (s.replica && s.replica->seconds_behind) {
    lag = static_cast<double>(*s.replica->seconds_behind);
  } else if (snap.role == Role::kPrimary && s.reachable) {
    lag = 0.0;
  }
  SetOrRemove(*m.lag_family, m.member, m.lag, lag);
  SetOrRemove(*m.uptime_family, m.member, m.uptime,
              s.uptime_seconds >= 0 ? std::optional<double>(static_cast<double>(s.uptime_seconds))
                                    : std::nullopt);
  SetOrRemove(*m.volume_free_family, m.member, m.volume_free,
              data_volume ? std::optional<double>(static_cast<double>(data_volume->free_bytes))
                          : std::nullopt);
  SetOrRemove(*m.volume_size_family, m.member, m.volume_size,
              data_volume ? std::optional<double>(static_cast<double>(data_volume->total_bytes))
                          : std::nullopt);
  m.io_errno->Set(s.replica ? s.replica->last_io_errno : 0);
  m.sql_errno->Set(s.replica ? s.replica->last_sql_errno : 0);
  m.semi_sync_clients->Set(static_cast<double>(s.semi_sync_master_clients));
  m.semi_sync_waits->Set(static_cast<double>(s.semi_sync_master_wait_sessions));
  m.io_running->Set(s.replica && s.replica->io == ThreadState::kYes ? 1 : 0);
  m.sql_running->Set(s.replica && s.replica->sql == ThreadState::kYes ? 1 : 0);
  for (const Gtid& g : s.gtid_current.gtids()) {
    std::map<std::string, std::string> labels = m.member;
    labels["domain"] = std::to_string(g.domain);
    m.gtid_seq->Add(labels).Set(static_cast<double>(g.seq));
  }
  m.clone_bytes->Set(snap.clone ? static_cast<double>(snap.clone->bytes) : 0);
  m.clone_seconds->Set(snap.clone ? snap.clone->seconds : 0);
  m.backups_active->Set(backup.active);
  m.epoch->Set(static_cast<double>(snap.epoch));
  m.leader->Set(snap.role == Role::kPrimary ? 1 : 0);
  m.store_up->Set(snap.store_ok ? 1 : 0);
  m.stale_reads->Set(snap.readiness.stale_reads.empty() ? 0 : 1);
  m.sync_replica->Set(!snap.sync.empty() && snap.sync == pod_ ? 1 : 0);
  m.errant_gtids->Set(static_cast<double>(snap.errant_gtids.gtids().size()));
  m.failovers.Sync(snap.failovers);
  m.switchovers.Sync(snap.switchovers);
  m.errant_detections.Sync(snap.errant_checks_failed);
  m.leader_changes.Sync(snap.leader_changes);
  m.fence_read_only.Sync(snap.fencing.read_only);
  m.fence_kill_sessions.Sync(snap.fencing.kill_sessions);
  m.fence_kill_server.Sync(snap.fencing.kill_server);
  m.ticks.Sync(snap.ticks);
  m.actions.Sync(snap.actions_taken);
  m.repl_errors.Sync(snap.replication_errors_seen);
  m.healthz_ok.Sync(probes.healthz_ok);
  m.healthz_fail.Sync(probes.healthz_fail);
  m.readyz_ok.Sync(probes.readyz_ok);
  m.readyz_fail.Sync(probes.readyz_fail);
  m.backups_ok.Sync(backup.served_ok);
  m.backups_failed.Sync(backup.failed);
  m.refused_auth.Sync(backup.refused_auth);
  m.refused_busy.Sync(backup.refused_busy);
  m.bad_requests.Sync(backup.bad_requests);
  m.bytes_sent.Sync(backup.bytes_sent);
  prometheus::TextSerializer serializer;
  return serializer.Serialize(m.registry->Collect());
}

}  // namespace mysqlset
