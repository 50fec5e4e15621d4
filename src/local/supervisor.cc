#include "local/supervisor.h"

#include <signal.h>

#include <algorithm>
#include <charconv>

#include "common/logging.h"
#include "core/data_state.h"
#include "core/identity.h"
#include "core/reclone.h"
#include "core/repository_spec.h"
#include "local/cluster_dir.h"
#include "local/etcd_member.h"
#include "local/haproxy_config.h"
#include "local/wait_verdict.h"
#include "mariadb/tools.h"

namespace mysqlset::local {
namespace {

using std::chrono::milliseconds;

constexpr int kLocalBackupConcurrency = 4;

// HAProxy has the member UP behind the write or the read endpoint.
bool ServesAnEndpoint(const MemberRecord& m) {
  return m.haproxy_write_state == "UP" || m.haproxy_read_state == "UP";
}

// Display step of a member, as `up`, `scale` and `status` show it.
MemberStep StepOf(MemberPhase phase, bool ready) {
  switch (phase) {
    case MemberPhase::kServing:
      return ready ? MemberStep::kReady : MemberStep::kStarting;
    case MemberPhase::kInit:
      return MemberStep::kInit;
    case MemberPhase::kClone:
      return MemberStep::kClone;
    case MemberPhase::kFailed:
      return MemberStep::kFailed;
    case MemberPhase::kStopped:
      return MemberStep::kStopped;
  }
  return MemberStep::kUnknown;
}

}  // namespace

Supervisor::Supervisor(FileSystem& fs, Clock& clock, ProcessTable& processes, SelfProcess& self,
                       ClusterProbe& probe, ClusterPaths paths, SupervisorOptions options)
    : fs_(fs),
      clock_(clock),
      processes_(processes),
      self_(self),
      probe_(probe),
      paths_(std::move(paths)),
      options_(std::move(options)),
      policy_{.restart_backoff = options_.restart_backoff,
              .backoff_reset = options_.backoff_reset,
              .crashloop_threshold = options_.crashloop_threshold} {}

Status Supervisor::Start() {
  ASSIGN_OR_RETURN(const bool locked, self_.LockFile(paths_.supervisor_lock()));
  if (!locked) {
    pid_t other = 0;
    if (auto text = fs_.ReadFile(paths_.supervisor_pid()); text.ok()) {
      std::from_chars(text->data(), text->data() + text->size(), other);
    }
    return FailedPrecondition("another supervisor (pid {}) already runs on {}", other,
                              paths_.dir());
  }
  RETURN_IF_ERROR(
      fs_.WriteFileAtomic(paths_.supervisor_pid(), std::to_string(self_.Pid()) + "\n", 0644));
  ASSIGN_OR_RETURN(const std::string text, fs_.ReadFile(paths_.cluster_json()));
  ASSIGN_OR_RETURN(spec_, SpecFromJson(text, paths_.cluster_json()));
  // Members scaled down earlier keep their data; list them so status shows them.
  if (auto names = fs_.ListDir(paths_.members_dir()); names.ok()) {
    for (const auto& name : *names) {
      auto id = ParseIdentity(name);
      if (id.ok() && id->set_name == spec_.name) MemberAt(id->ordinal);
    }
  }
  for (int i = 0; i < spec_.replicas; ++i) MemberAt(static_cast<uint32_t>(i));
  etcd_.resize(static_cast<size_t>(spec_.etcd_members));
  if (!spec_.backup_schedule.empty()) {
    ASSIGN_OR_RETURN(CronSchedule backup, ParseCron(spec_.backup_schedule));
    std::optional<CronSchedule> verify;
    if (!spec_.backup_verify_schedule.empty()) {
      ASSIGN_OR_RETURN(verify, ParseCron(spec_.backup_verify_schedule));
    }
    std::string retention;
    for (const std::string& a : RetentionArgs(spec_)) {
      retention += (retention.empty() ? "" : " ") + a;
    }
    backup_scheduler_ = std::make_unique<BackupScheduler>(
        std::move(backup), std::move(verify), paths_.backup_schedule_log(), clock_.UnixSeconds(),
        std::move(retention));
    spdlog::info("backups into {} on schedule '{}' (UTC){}; their output goes to {}",
                 RedactedRepositorySpec(spec_.archive_repo), spec_.backup_schedule,
                 spec_.backup_verify_schedule.empty()
                     ? ""
                     : fmt::format(", with --verify on '{}'", spec_.backup_verify_schedule),
                 paths_.backup_schedule_log());
  }

  RETURN_IF_ERROR(self_.CatchSignals());
  spdlog::info("supervising cluster {} ({} members, base port {}) in {}", spec_.name,
               spec_.replicas, spec_.base_port, paths_.dir());
  return Status::Ok();
}

MemberRecord& Supervisor::MemberAt(uint32_t ordinal) {
  auto [it, inserted] = members_.try_emplace(ordinal);
  if (inserted) {
    it->second.ordinal = ordinal;
    it->second.pod = PodName(spec_.name, ordinal);
  }
  return it->second;
}

int Supervisor::Run() {
  while (!stopping_) {
    RunOnce();
    for (int signal : self_.WaitForSignals(converged_ ? options_.tick : options_.busy_tick)) {
      if (signal == SIGHUP) {
        ReloadSpec();
      } else if (signal == SIGTERM || signal == SIGINT) {
        spdlog::info("signal {}: stopping the cluster", signal);
        stopping_ = true;
      }
      // SIGCHLD only wakes us; Reap() collects.
    }
  }
  StopAll();
  fs_.RemoveAll(paths_.supervisor_pid()).ok();
  spdlog::info("all members stopped; supervisor exits");
  return 0;
}

void Supervisor::ReloadSpec() {
  auto text = fs_.ReadFile(paths_.cluster_json());
  auto spec =
      text.ok() ? SpecFromJson(*text, paths_.cluster_json()) : Result<ClusterSpec>(text.status());
  if (!spec.ok()) {
    spdlog::error("SIGHUP: keeping {} members: {}", spec_.replicas, spec.status().message());
    return;
  }
  if (spec->name != spec_.name || spec->base_port != spec_.base_port) {
    spdlog::error(
        "SIGHUP: name and base port cannot change on a running cluster; only "
        "replicas is applied");
  }
  if (spec->replicas != spec_.replicas) {
    spdlog::info("scaling from {} to {} members", spec_.replicas, spec->replicas);
  }
  if (spec->etcd_members != spec_.etcd_members) {
    spdlog::error("SIGHUP: the etcd members cannot change on a running cluster; keeping {}",
                  spec_.etcd_members);
  }
  spec_.replicas = spec->replicas;
  for (int i = 0; i < spec_.replicas; ++i) MemberAt(static_cast<uint32_t>(i));
}

void Supervisor::RunOnce() {
  observed_ms_ = clock_.UnixMillis();
  Reap();
  EnsureEtcd();
  ProbeEtcd();
  ProbeReadiness();
  // Agents and clones need the store from their first step (registration, the bootstrap
  // guard's `initialized` key), so no member starts before etcd answered (~1 s).
  if (etcd_answered_) {
    for (const PlannedAction& action : PlanStep(spec_.replicas, Views())) Execute(action);
  }
  EnsureHaproxy();
  ReadHaproxyStats();
  RunScheduledBackup();
  WriteState();
}

void Supervisor::RunScheduledBackup() {
  if (!backup_scheduler_ || stopping_) return;
  const int64_t now = clock_.UnixSeconds();
  // A member `mysqlset backup` would stream from: ready and serving behind an endpoint. Ready
  // alone is not enough: at a cold start a member is ready while it waits for the election,
  // and is no donor then (core/readiness.h); a run started then failed (CI saw it). Members
  // 0..replicas-1 only, as `backup` asks: one being scaled away does not count.
  const bool a_member_ready = std::any_of(members_.begin(), members_.end(), [this](const auto& m) {
    const MemberRecord& r = m.second;
    return static_cast<int>(m.first) < spec_.replicas && r.ready && ServesAnEndpoint(r);
  });
  const BackupScheduler::Due due = backup_scheduler_->Tick(now, a_member_ready);
  if (due.skipped_unready) {
    spdlog::warn("scheduled backup skipped: no member became ready since it fell due");
  }
  if (due.waits) {
    spdlog::info("scheduled backup due; it starts once a member is ready");
  }
  if (due.skipped) {
    const pid_t busy =
        backup_scheduler_->running() ? backup_scheduler_->running() : backup_scheduler_->pruning();
    spdlog::warn("scheduled backup skipped: the previous run or its prune (pid {}) still runs",
                 busy);
    return;
  }
  if (due.prune) {
    // The policy never prunes the newest verified backup (`backups`: core/backup_choice.h).
    std::vector<std::string> argv = {options_.self_exe, "backups", "--repo", spec_.archive_repo};
    for (const std::string& a : RetentionArgs(spec_)) argv.push_back(a);
    argv.push_back("--prune");
    const pid_t pid = processes_.Spawn(argv, paths_.backup_schedule_log());
    backup_scheduler_->PruneStarted(pid);
    if (pid == 0) spdlog::error("retention could not start; see {}", paths_.backup_schedule_log());
    return;
  }
  if (!due.start) return;
  // The repository is given as written in cluster.json; the backup reads its token from DIR.
  std::vector<std::string> argv = {options_.self_exe, "backup", "--dir",
                                   paths_.dir(),      "--repo", spec_.archive_repo};
  if (due.verify) argv.push_back("--verify");
  const pid_t pid = processes_.Spawn(argv, paths_.backup_schedule_log());
  backup_scheduler_->Started(pid, now);
  if (pid == 0) {
    spdlog::error("scheduled backup could not start; see {}", paths_.backup_schedule_log());
    return;
  }
  spdlog::info("scheduled backup{} started (pid {}); output in {}",
               due.verify ? " with --verify" : "", pid, paths_.backup_schedule_log());
}

std::vector<MemberView> Supervisor::Views() const {
  const auto now = clock_.Now();
  std::vector<MemberView> out;
  for (const auto& [ord, m] : members_) {
    out.push_back(ViewOf(m, now));
    out.back().has_data = fs_.Exists(MarkerPathOf(paths_.data_dir(m.pod)));
  }
  return out;
}

void Supervisor::Reap() {
  while (auto exit = processes_.Reap()) OnExit(*exit);
}

void Supervisor::OnExit(const ProcessExit& exit) {
  if (backup_scheduler_ && exit.pid == backup_scheduler_->pruning()) {
    backup_scheduler_->Exited(exit.pid, exit.success, exit.how, clock_.UnixSeconds());
    if (!exit.success) {
      spdlog::error("retention (pid {}) failed ({}); see {}", exit.pid, exit.how,
                    paths_.backup_schedule_log());
    }
    return;
  }
  if (backup_scheduler_ &&
      backup_scheduler_->Exited(exit.pid, exit.success, exit.how, clock_.UnixSeconds())) {
    const formats::ScheduledBackups& b = backup_scheduler_->state();
    if (exit.success) {
      spdlog::info("scheduled backup (pid {}) published", exit.pid);
    } else {
      spdlog::error("scheduled backup (pid {}) failed ({}; {} of {} runs failed); see {}", exit.pid,
                    exit.how, b.failed, b.started, paths_.backup_schedule_log());
    }
    return;
  }
  if (exit.pid == haproxy_.pid) {
    haproxy_.pid = 0;
    haproxy_.last_exit = exit.how;
    haproxy_.restart_at = clock_.Now() + options_.restart_backoff.DelayFor(haproxy_.restarts++);
    haproxy_cfg_.clear();
    haproxy_error_ = fmt::format("haproxy exited ({}); see {}", exit.how, paths_.haproxy_log());
    spdlog::warn("{}", haproxy_error_);
    return;
  }
  for (size_t i = 0; i < etcd_.size(); ++i) {
    ChildRecord& e = etcd_[i];
    if (exit.pid != e.pid) continue;
    // A member that ran for a while starts its backoff over, as members' processes do.
    if (clock_.Now() - e.started >= options_.backoff_reset) e.restarts = 0;
    e.pid = 0;
    e.last_exit = exit.how;
    e.restart_at = clock_.Now() + options_.restart_backoff.DelayFor(e.restarts++);
    spdlog::warn("{} exited ({}); restarting it; see {}", EtcdMemberName(static_cast<int>(i)),
                 exit.how, paths_.etcd_log(static_cast<int>(i)));
    return;
  }
  for (auto& [ord, m] : members_) {
    const auto process = ProcessOf(m, exit.pid);
    if (!process) continue;
    event::Exited exited{
        *process,
        exit.success,
        exit.how,
        "",
        paths_.log_file(m.pod, ProcessName(*process)),
        *process == MemberProcess::kAgent && exit.exit_status == kExitRecloneRequested};
    const bool prep = *process == MemberProcess::kInit || *process == MemberProcess::kClone;
    if (!prep || !exit.success) {
      // The reason its log gives, for the member's error: its last lines are enough, and a
      // log of gigabytes must not stall the tick.
      const std::string text = fs_.ReadTail(exited.log, 64 * 1024);
      exited.reason =
          *process == MemberProcess::kMariadbd ? LastServerError(text) : LastErrorMessage(text);
    }
    Handle(m, exited);
    return;
  }
  spdlog::debug("reaped unknown child {} ({})", exit.pid, exit.how);
}

void Supervisor::ProbeReadiness() {
  for (auto& [ord, m] : members_) {
    if (!ShouldProbe(m)) {
      Handle(m, event::Probed{false});
      continue;
    }
    const MemberAddress a = MemberAddressOf(spec_, ord);
    Handle(m, event::Probed{probe_.AgentReady(a.host, a.agent_port)});
    WriteState(/*heartbeat_only=*/true);  // a hung agent costs up to 500 ms each
  }
}

void Supervisor::Execute(const PlannedAction& action) {
  MemberRecord& m = MemberAt(action.ordinal);
  switch (action.kind) {
    case SupervisorAction::kStartMember: {
      for (const std::string& d :
           {paths_.conf_dir(m.pod), paths_.data_dir(m.pod), paths_.logs_dir(m.pod)}) {
        Status st = fs_.MakeDirs(d, 0755);
        if (!st.ok()) return Handle(m, event::StartFailed{st.message()});
      }
      spdlog::info("{}: starting (init, clone, then mariadbd on port {})", m.pod,
                   MemberAddressOf(spec_, m.ordinal).mysql_port);
      return Handle(m, event::Start{});
    }
    case SupervisorAction::kRestartMariadbd:
      return Handle(m, event::Restart{MemberProcess::kMariadbd});
    case SupervisorAction::kRestartAgent:
      return Handle(m, event::Restart{MemberProcess::kAgent});
    case SupervisorAction::kStopMember:
      // The record shows the member as it was until its processes are gone.
      Handle(m, event::Stop{});
      return Handle(m, event::Stopped{});
  }
}

void Supervisor::Handle(MemberRecord& m, const MemberEvent& event) {
  Transition t = ApplyEvent(m, event, clock_.Now(), policy_);
  m = std::move(t.record);
  for (const MemberEffect& effect : t.effects) Perform(m, effect);
}

void Supervisor::Perform(MemberRecord& m, const MemberEffect& effect) {
  switch (effect.kind) {
    case MemberEffect::Kind::kSpawn: {
      const pid_t pid = processes_.Spawn(Argv(m, effect.process),
                                         paths_.log_file(m.pod, ProcessName(effect.process)));
      return Handle(m, event::Spawned{effect.process, pid});
    }
    case MemberEffect::Kind::kStop: {
      const pid_t mariadbd = m.mariadbd.pid;
      if (std::find(effect.pids.begin(), effect.pids.end(), mariadbd) == effect.pids.end()) {
        return StopPids(effect.pids, effect.what);
      }
      const std::string log = paths_.log_file(m.pod, ProcessName(MemberProcess::kMariadbd));
      return StopPids(effect.pids, effect.what, {mariadbd, [this, log, mariadbd] {
                                                   return MariadbdStartUnfinished(
                                                       fs_.ReadTail(log, 64 * 1024), mariadbd);
                                                 }});
    }
    case MemberEffect::Kind::kRemoveStaging:
      return RemoveStaging(m);
    case MemberEffect::Kind::kLog:
      switch (effect.level) {
        case MemberEffect::Level::kInfo:
          return spdlog::info("{}", effect.message);
        case MemberEffect::Level::kWarn:
          return spdlog::warn("{}", effect.message);
        case MemberEffect::Level::kError:
          return spdlog::error("{}", effect.message);
      }
  }
}

std::vector<std::string> Supervisor::MemberCommand(const MemberRecord& m,
                                                   const char* command) const {
  // --etcd, --cluster and --members: the store, the keys' prefix, and how many members an
  // election over existing data waits for (docs/roles.md).
  return {options_.self_exe, command,
          "--pod-name",      m.pod,
          "--conf-dir",      paths_.conf_dir(m.pod),
          "--data-dir",      paths_.data_dir(m.pod),
          "--secrets-dir",   paths_.secrets_dir(),
          "--peer-host",     kLocalHost,
          "--port",          std::to_string(spec_.base_port),
          "--http-port",     std::to_string(spec_.base_port + 1),
          "--backup-port",   std::to_string(spec_.base_port + 2),
          "--port-stride",   std::to_string(kPortStride),
          "--etcd",          EtcdEndpoints(spec_),
          "--cluster",       spec_.name,
          "--members",       std::to_string(spec_.replicas)};
}

std::vector<std::string> Supervisor::CloneArgv(const MemberRecord& m) const {
  std::vector<std::string> argv = MemberCommand(m, "clone");
  // Whichever member the clone step lets bootstrap (docs/roles.md: ordinal 0, once, guarded
  // by the store) first checks that no peer holds data. Locally it can see its peers'
  // volumes even when they are stopped (after `down`, all of them are). Over the network,
  // only the members this supervisor runs: higher local ports may belong to something else.
  argv.insert(argv.end(), {"--peers-to-ask", std::to_string(spec_.replicas - 1)});
  if (!options_.template_cache_dir.empty()) {
    argv.insert(argv.end(), {"--template-cache", options_.template_cache_dir});
  }
  auto names = fs_.ListDir(paths_.members_dir());
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
    if (name != m.pod) argv.insert(argv.end(), {"--peer-data-dir", paths_.data_dir(name)});
  }
  return argv;
}

std::vector<std::string> Supervisor::Argv(const MemberRecord& m, MemberProcess process) const {
  switch (process) {
    case MemberProcess::kInit:
      return {options_.self_exe,  "init",
              "--pod-name",       m.pod,
              "--conf-dir",       paths_.conf_dir(m.pod),
              "--config-map-dir", paths_.config_dir(),
              "--data-dir",       paths_.data_dir(m.pod),
              "--port",           std::to_string(MemberAddressOf(spec_, m.ordinal).mysql_port),
              "--bind-address",   kLocalHost,
              "--report-host",    kLocalHost};
    case MemberProcess::kClone:
      return CloneArgv(m);
    case MemberProcess::kMariadbd: {
      // mariadbd refuses to run as root unless told to; local mode runs as the invoking user.
      return tools::ServerArgv(paths_.conf_dir(m.pod) + "/my.cnf", self_.IsRoot());
    }
    case MemberProcess::kAgent: {
      std::vector<std::string> argv = MemberCommand(m, "agent");
      // Every member but 0 starts at once (plan.h) and the first ones clone from 0: serving
      // them side by side spares each refused one its retry delay.
      argv.insert(argv.end(), {"--bind-address", kLocalHost, "--backup-concurrency",
                               std::to_string(kLocalBackupConcurrency)});
      if (spec_.semi_sync) argv.push_back("--semi-sync");
      if (!spec_.archive_repo.empty()) {
        argv.insert(argv.end(), {"--archive-repo", spec_.archive_repo, "--archive-interval",
                                 std::to_string(spec_.archive_interval_s)});
      }
      // An errant or diverged replica's heal (core/reclone.h): its agent exits, and the
      // member starts over from init and clone.
      argv.push_back("--exit-to-reclone");
      // Members stop agent first, then mariadbd (member_lifecycle.cc): a replica drains.
      argv.push_back("--drain-on-stop");
      return argv;
    }
  }
  return {};
}

void Supervisor::StopPids(std::vector<pid_t> pids, const std::string& what,
                          const StartHangCheck& mariadbd) {
  std::erase(pids, 0);
  if (pids.empty()) return;
  for (pid_t p : pids) processes_.SignalGroup(p, SIGTERM);
  const auto deadline = clock_.Now() + options_.stop_timeout;
  const auto start_grace = clock_.Now() + kStartStopGrace;
  bool killed = false;
  bool start_checked = mariadbd.pid == 0;
  while (!pids.empty()) {
    std::erase_if(pids, [&](pid_t p) { return processes_.ReapIfExited(p); });
    if (pids.empty()) break;
    WriteState(/*heartbeat_only=*/true);  // stopping can take up to stop_timeout
    if (!start_checked && clock_.Now() >= start_grace) {
      start_checked = true;
      if (std::find(pids.begin(), pids.end(), mariadbd.pid) != pids.end() &&
          mariadbd.start_unfinished()) {
        spdlog::warn(
            "{}: mariadbd got SIGTERM during its start-up and still runs {}s later "
            "(MariaDB then hangs); sending it SIGKILL",
            what, kStartStopGrace.count());
        processes_.SignalGroup(mariadbd.pid, SIGKILL);
      }
    }
    if (!killed && clock_.Now() >= deadline) {
      spdlog::warn("{}: still running {}s after SIGTERM; sending SIGKILL", what,
                   options_.stop_timeout.count());
      for (pid_t p : pids) processes_.SignalGroup(p, SIGKILL);
      killed = true;
    }
    clock_.SleepFor(milliseconds(50));
  }
}

void Supervisor::RemoveStaging(const MemberRecord& m) {
  // A clone stopped mid-stream (scaled down before it finished) leaves what it received so
  // far. That is not data anyone can use (it is not prepared, has no marker, and the next
  // clone starts it over), so it is removed rather than shown as "data kept". The datadir
  // (DATA/mysql) is never touched here.
  const std::string staging = StagingPathOf(paths_.data_dir(m.pod));
  if (!fs_.Exists(staging)) return;
  Status st = fs_.RemoveAll(staging);
  if (st.ok()) {
    spdlog::info("{}: removed the unfinished clone in {}", m.pod, staging);
  } else {
    spdlog::warn("{}: could not remove the unfinished clone in {}: {}", m.pod, staging,
                 st.message());
  }
  fs_.RemoveAll(paths_.clone_progress(m.pod)).ok();
}

void Supervisor::StopAll() {
  stopping_ = true;
  WriteState();
  // First, while its source still serves: a backup stopped midway is never listed.
  if (backup_scheduler_) {
    for (const pid_t pid : {backup_scheduler_->running(), backup_scheduler_->pruning()}) {
      if (pid <= 0) continue;
      spdlog::info("stopping the scheduled backup or retention (pid {})", pid);
      StopPids({pid}, "scheduled backup");
      backup_scheduler_->Exited(pid, false, "stopped", clock_.UnixSeconds());
    }
  }
  std::optional<uint32_t> primary;
  std::vector<uint32_t> running;
  for (const auto& [ord, m] : members_) {
    if (m.haproxy_write_state == "UP") primary = ord;  // read before haproxy stops
    if (m.phase != MemberPhase::kStopped) running.push_back(ord);
  }
  if (haproxy_.pid > 0) {
    spdlog::info("stopping haproxy");
    StopPids({haproxy_.pid}, "haproxy");
    haproxy_.pid = 0;
  }
  for (const uint32_t ord : StopOrder(running, primary)) {
    Execute({SupervisorAction::kStopMember, ord});
    WriteState();
  }
  // Last: agents stopping above may still release their leases in the store.
  std::vector<pid_t> etcd_pids;
  for (ChildRecord& e : etcd_) {
    etcd_pids.push_back(e.pid);
    e.pid = 0;
  }
  if (std::any_of(etcd_pids.begin(), etcd_pids.end(), [](pid_t p) { return p > 0; })) {
    spdlog::info("stopping etcd");
    StopPids(etcd_pids, "etcd");
  }
  WriteState();
}

void Supervisor::EnsureEtcd() {
  for (size_t i = 0; i < etcd_.size(); ++i) {
    ChildRecord& e = etcd_[i];
    if (e.pid > 0 || clock_.Now() < e.restart_at) continue;
    const int index = static_cast<int>(i);
    Status st = fs_.MakeDirs(paths_.etcd_data_dir(index), 0700);
    if (!st.ok()) {
      spdlog::error("{}: {}", EtcdMemberName(index), st.message());
      e.restart_at = clock_.Now() + options_.restart_backoff.DelayFor(e.restarts++);
      continue;
    }
    e.started = clock_.Now();
    e.pid = processes_.Spawn(EtcdArgv(spec_, paths_, index, options_.etcd), paths_.etcd_log(index));
    if (e.pid > 0) {
      spdlog::info("{} started (pid {}): client {}:{}", EtcdMemberName(index), e.pid, kLocalHost,
                   EtcdClientPort(spec_, index));
    } else {
      e.restart_at = clock_.Now() + options_.restart_backoff.DelayFor(e.restarts++);
    }
  }
}

void Supervisor::ProbeEtcd() {
  if (etcd_answered_) return;
  for (int i = 0; i < spec_.etcd_members && !etcd_answered_; ++i) {
    etcd_answered_ = probe_.EtcdHealthy(kLocalHost, EtcdClientPort(spec_, i));
  }
  if (etcd_answered_) spdlog::info("etcd answers at {}; starting members", EtcdEndpoints(spec_));
}

void Supervisor::EnsureHaproxy() {
  const std::string cfg = RenderHaproxyConfig(spec_, spec_.replicas, paths_.haproxy_stats_socket());
  if (haproxy_.pid > 0) {
    if (cfg == haproxy_cfg_) return;
    Status st = fs_.WriteFileAtomic(paths_.haproxy_cfg(), cfg, 0644);
    if (!st.ok()) {
      haproxy_error_ = st.message();
      return;
    }
    // Master-worker mode: SIGUSR2 makes the master re-read the file and start new workers;
    // old workers finish their sessions. A bad file leaves the old workers serving.
    spdlog::info("haproxy: reloading with {} servers per endpoint", spec_.replicas);
    probe_.SaveHaproxyServerState(paths_.haproxy_stats_socket(),
                                  HaproxyStateFile(paths_.haproxy_stats_socket()));
    processes_.Signal(haproxy_.pid, SIGUSR2);
    haproxy_cfg_ = cfg;
    return;
  }
  if (clock_.Now() < haproxy_.restart_at) return;
  Status st = fs_.WriteFileAtomic(paths_.haproxy_cfg(), cfg, 0644);
  if (!st.ok()) {
    haproxy_error_ = st.message();
    return;
  }
  haproxy_.started = clock_.Now();
  haproxy_.pid = processes_.Spawn({options_.haproxy, "-W", "-db", "-f", paths_.haproxy_cfg()},
                                  paths_.haproxy_log());
  if (haproxy_.pid > 0) {
    haproxy_cfg_ = cfg;
    spdlog::info("haproxy started (pid {}): write {}:{}, read {}:{}", haproxy_.pid, kLocalHost,
                 WritePort(spec_), kLocalHost, ReadPort(spec_));
  }
}

void Supervisor::ReadHaproxyStats() {
  if (haproxy_.pid == 0) return;
  const auto states = probe_.HaproxyServerStates(paths_.haproxy_stats_socket());
  if (!states.empty()) haproxy_error_.clear();
  for (auto& [ord, m] : members_) {
    auto it = states.find(spec_.name + "-read/" + m.pod);
    m.haproxy_read_state = it == states.end() ? "" : it->second;
    it = states.find(spec_.name + "-primary/" + m.pod);
    m.haproxy_write_state = it == states.end() ? "" : it->second;
  }
}

void Supervisor::WriteState(bool heartbeat_only) {
  if (heartbeat_only && clock_.UnixMillis() - last_write_ms_ < kHeartbeatInterval.count()) {
    return;
  }
  SupervisorState s;
  s.pid = self_.Pid();
  s.spec = {spec_.name, spec_.replicas, spec_.base_port};
  for (size_t i = 0; i < etcd_.size(); ++i) {
    const int index = static_cast<int>(i);
    s.etcd.push_back({EtcdMemberName(index), etcd_[i].pid,
                      fmt::format("http://{}:{}", kLocalHost, EtcdClientPort(spec_, index)),
                      etcd_[i].restarts, etcd_[i].last_exit});
  }
  s.stopping = stopping_;
  s.haproxy_pid = haproxy_.pid;
  s.haproxy_error = haproxy_error_;
  bool endpoints_up = haproxy_.pid > 0;
  for (const auto& [ord, m] : members_) {
    SupervisedMember o;
    o.name = m.pod;
    o.ordinal = ord;
    o.step = StepOf(m.phase, m.ready);
    o.ready = m.ready;
    o.mariadbd_pid = m.mariadbd.pid;
    o.agent_pid = m.agent.pid;
    o.mariadbd_restarts = m.mariadbd.restarts;
    o.agent_restarts = m.agent.restarts;
    o.error = m.error;
    o.read_endpoint = m.haproxy_read_state;
    o.write_endpoint = m.haproxy_write_state;
    // Each member serves behind the endpoint of its role: the primary behind the write
    // endpoint, a replica behind the read endpoint.
    if (static_cast<int>(ord) < spec_.replicas && !ServesAnEndpoint(m)) endpoints_up = false;
    s.members.push_back(std::move(o));
  }
  if (backup_scheduler_) s.backups = backup_scheduler_->state();
  s.converged = !stopping_ && etcd_answered_ && Converged(spec_.replicas, Views()) && endpoints_up;
  converged_ = s.converged;
  const std::string unstamped = formats::ToJson(s);
  const int64_t now = clock_.UnixMillis();
  if (unstamped == last_state_ && now - last_write_ms_ < kHeartbeatInterval.count()) return;
  s.heartbeat_ms = now;
  s.observed_ms = observed_ms_;
  if (fs_.WriteFileAtomic(paths_.state_json(), formats::ToJson(s), 0644).ok()) {
    last_state_ = unstamped;
    last_write_ms_ = now;
  }
}

}  // namespace mysqlset::local
