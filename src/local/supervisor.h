#pragma once
// The local cluster's supervisor: the kubelet and StatefulSet controller of `mysqlset up`.
// One per cluster dir (flock on DIR/supervisor.lock). It runs the cluster's etcd members
// (the coordination store, restarted with backoff like every child) and starts no member
// before etcd has answered once. Each tick it gathers (reaps children, probes each agent's
// /readyz, reads HAProxy's server states), decides (PlanStep, pure) and acts (starts
// `mysqlset init`, `mysqlset clone`, mariadbd and `mysqlset agent` as children, restarts
// crashed ones with backoff, stops scaled-down members, rewrites and reloads haproxy.cfg,
// runs `mysqlset backup` on the cluster's --backup-schedule), then writes DIR/state.json for
// the CLI. It signals and reaps only processes it
// started. SIGHUP re-reads DIR/cluster.json; SIGTERM stops everything: HAProxy, members highest
// ordinal first, then etcd. Each member's transitions are decided by member_lifecycle.h (pure);
// children, signals and the lock go through env/process_table.h, network probes through
// cluster_probe.h, time through the Clock, so RunOnce runs against fakes in unit tests.
// Single-threaded; not thread-safe.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/backoff.h"
#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_table.h"
#include "local/backup_schedule.h"
#include "local/cluster_probe.h"
#include "local/cluster_report.h"
#include "local/cluster_spec.h"
#include "local/member_lifecycle.h"
#include "local/plan.h"

namespace mysqlset::local {

struct SupervisorOptions {
  std::string self_exe;  // the mysqlset binary run for init, clone and agent
  std::string haproxy = "haproxy";
  std::string etcd = "etcd";
  // Passed to `clone --template-cache` (agent/datadir_template.h); "": none.
  std::string template_cache_dir;
  std::chrono::milliseconds tick{250};
  // The tick while the cluster is not converged (starting, scaling, a member down): a
  // member's readiness and HAProxy's view of it reach state.json, and `up`, sooner.
  std::chrono::milliseconds busy_tick{100};
  std::chrono::seconds stop_timeout{60};  // SIGTERM, then SIGKILL after this
  Backoff restart_backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 2.0};
  // A process that ran this long before exiting starts its backoff over.
  std::chrono::seconds backoff_reset{60};
  // Exits of mariadbd or the agent without the member becoming ready in between, before the
  // member is reported as failing (crash loop: count, reason and log in its error).
  int crashloop_threshold = 3;
};

// A mariadbd among the pids a stop signals, and whether it was still starting when it got
// SIGTERM (MariadbdStartUnfinished on its log).
struct StartHangCheck {
  pid_t pid = 0;  // 0: no mariadbd among them
  std::function<bool()> start_unfinished;
};

class Supervisor {
 public:
  // How long a mariadbd that got SIGTERM during its start-up may run on (StopPids).
  static constexpr std::chrono::seconds kStartStopGrace{10};
  Supervisor(FileSystem& fs, Clock& clock, ProcessTable& processes, SelfProcess& self,
             ClusterProbe& probe, ClusterPaths paths, SupervisorOptions options);

  // Takes the lock, writes the pid file, reads cluster.json, finds members with kept data.
  Status Start();
  // Until SIGTERM/SIGINT: RunOnce every tick (sooner when a child exits or on SIGHUP); then
  // stops everything. Returns the exit code for the process.
  int Run();
  void RunOnce();
  // Re-reads DIR/cluster.json and applies its replicas (SIGHUP).
  void ReloadSpec();
  // HAProxy first, then members highest ordinal first, then etcd (agents use it to the end).
  void StopAll();

 private:
  MemberRecord& MemberAt(uint32_t ordinal);
  void Reap();
  void OnExit(const ProcessExit& exit);
  void ProbeReadiness();
  void Execute(const PlannedAction& action);
  // Applies `event` to `m` (member_lifecycle.h) and carries out the resulting effects.
  void Handle(MemberRecord& m, const MemberEvent& event);
  void Perform(MemberRecord& m, const MemberEffect& effect);
  void EnsureHaproxy();
  // `up --backup-schedule`: starts `mysqlset backup` when one is due (backup_schedule.h).
  void RunScheduledBackup();
  // Starts etcd members that do not run and whose restart backoff has elapsed.
  void EnsureEtcd();
  // Until etcd has answered once: asks it again. Members start only after.
  void ProbeEtcd();
  void ReadHaproxyStats();
  // Writes DIR/state.json when it changed, or when the last write is kHeartbeatInterval old
  // (the heartbeat readers judge the supervisor by). `heartbeat_only`: only in the latter
  // case; loops that may run for seconds (stopping processes, probing agents) call it so the
  // heartbeat never lapses.
  void WriteState(bool heartbeat_only = false);
  // Removes a half-received clone (DATA/mysql.staging) of a member whose init or clone was
  // stopped. Never a datadir.
  void RemoveStaging(const MemberRecord& m);
  // `mysqlset COMMAND` for member `m`, with its dirs and the local peer layout.
  std::vector<std::string> MemberCommand(const MemberRecord& m, const char* command) const;
  std::vector<std::string> CloneArgv(const MemberRecord& m) const;
  std::vector<std::string> Argv(const MemberRecord& m, MemberProcess process) const;
  // SIGTERM to each pid's process group, wait up to stop_timeout, then SIGKILL; reaps. The
  // mariadbd of `mariadbd` gets SIGKILL after kStartStopGrace already if it was starting.
  void StopPids(std::vector<pid_t> pids, const std::string& what,
                const StartHangCheck& mariadbd = StartHangCheck());
  std::vector<MemberView> Views() const;

  FileSystem& fs_;
  Clock& clock_;
  ProcessTable& processes_;
  SelfProcess& self_;
  ClusterProbe& probe_;
  ClusterPaths paths_;
  SupervisorOptions options_;
  LifecyclePolicy policy_;
  ClusterSpec spec_;
  std::map<uint32_t, MemberRecord> members_;
  ChildRecord haproxy_;
  std::vector<ChildRecord> etcd_;  // by etcd member index
  bool etcd_answered_ = false;
  std::string haproxy_cfg_;  // text the running HAProxy was (re)loaded with
  std::string haproxy_error_;
  std::string last_state_;  // state.json as last written, without its timestamps
  int64_t last_write_ms_ = 0;
  bool converged_ = false;   // what state.json said last
  int64_t observed_ms_ = 0;  // when the current tick started observing
  bool stopping_ = false;
  std::unique_ptr<BackupScheduler> backup_scheduler_;  // none without a schedule
};

}  // namespace mysqlset::local
