#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "agent/agent.h"
#include "agent/backup_service.h"
#include "agent/clone_io.h"
#include "agent/cluster_view.h"
#include "agent/http_endpoints.h"
#include "agent/secrets.h"
#include "agent/switchover_api.h"
#include "agent/volume_watch.h"
#include "backup/archive_status.h"
#include "backup/backup_age_monitor.h"
#include "backup/binlog_archiver.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/data_state.h"
#include "core/mycnf.h"
#include "core/reclone.h"
#include "core/repository_spec.h"
#include "etcd/etcd_store.h"
#include "mariadb/mariadb_db.h"
#include "posix/fd_limit.h"
#include "posix/pid_file_killer.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

std::atomic<bool> stop_requested{false};
// The agent asked for a re-clone with --exit-to-reclone: it stops and exits with
// kExitRecloneRequested.
std::atomic<bool> exit_for_reclone{false};

void OnSignal(int) { stop_requested = true; }

struct AgentFlags {
  MemberFlags member;
  int64_t lag_threshold = 30;
  int64_t max_stale_read_seconds = 30;
  int tick_ms = 1000;
  int startup_tick_ms = 100;
  std::string bind_address = "0.0.0.0";
  int backup_concurrency = 1;
  std::string etcd;     // endpoints, "http://HOST:PORT[,...]"
  std::string cluster;  // the store's key prefix; default: the set name
  uint32_t members = 1;
  int64_t lease_ttl = 3;
  int64_t failover_cool_down_s = 30;
  bool semi_sync = false;
  bool exit_to_reclone = false;
  bool kill_server_to_reclone = false;
  bool drain_on_stop = false;
  std::string archive_repo;  // "" off
  int archive_interval_s = 30;
};

// Ticks the agent until SIGTERM or SIGINT.
void RunUntilSignalled(Agent& agent, Clock& clock) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  while (!stop_requested) {
    agent.RunOnce();
    // Sleep in short steps so a signal ends the agent promptly.
    const auto until = clock.Now() + agent.NextDelay();
    while (!stop_requested && clock.Now() < until) {
      clock.SleepFor(std::chrono::milliseconds(50));
    }
  }
}

int RunAgent(const AgentFlags& f) {
  SetUpLogging("agent", f.member.log_level);
  // Every connection to the HTTP port holds a descriptor; a flood of 500 idle ones must
  // not exhaust the usual soft limit of 1024 (issue #18).
  if (auto fds = RaiseOpenFileLimit(); !fds.ok()) {
    spdlog::warn("agent: cannot raise the open-file limit: {}", fds.status().message());
  }
  auto id = ParseIdentity(ResolvePodName(f.member), f.member.server_id_offset);
  if (!id.ok()) return ReportError("agent", id.status());
  PosixFileSystem fs;
  RealClock clock;
  auto secrets = LoadSecrets(fs, f.member.secrets_dir);
  if (!secrets.ok()) return ReportError("agent", secrets.status());
  const MemberAddress self = AddressOf(f.member.layout, id->set_name, id->ordinal);

  AgentConfig config;
  config.id = *id;
  config.layout = f.member.layout;
  config.data_dir = Absolute(f.member.data_dir);
  config.policy.max_lag_seconds = f.lag_threshold;
  config.policy.max_stale_read_seconds = static_cast<double>(f.max_stale_read_seconds);
  config.secrets = *secrets;
  config.tick = std::chrono::milliseconds(f.tick_ms);
  config.startup_tick = std::chrono::milliseconds(f.startup_tick_ms);
  config.cluster = f.cluster.empty() ? id->set_name : f.cluster;
  config.expected_members = f.members;
  config.lease.ttl = std::chrono::seconds(f.lease_ttl);
  config.failover.cool_down = std::chrono::seconds(f.failover_cool_down_s);
  config.semi_sync = f.semi_sync;
  config.request_reclone = [&fs, &config, &f](const std::string& reason) -> Status {
    if (reason.empty()) return fs.RemoveAll(RecloneRequestPathOf(config.data_dir));
    RETURN_IF_ERROR(fs.WriteFileAtomic(RecloneRequestPathOf(config.data_dir), reason + "\n", 0644));
    // After the request is on disk, never before: the server's restart acts on it only if it
    // finds it there; restarted without it, the server would come back on the same data.
    if (f.kill_server_to_reclone) {
      if (Status killed = PidFileKiller(config.data_dir + "/mysqld.pid").KillServer();
          !killed.ok()) {
        // No request stands without the kill: the agent asks again next tick, and a later
        // restart of a member that is no longer errant (or now leads) must not act on it.
        (void)fs.RemoveAll(RecloneRequestPathOf(config.data_dir));
        return killed;
      }
    }
    if (f.exit_to_reclone || f.kill_server_to_reclone) {
      exit_for_reclone = true;
      stop_requested = true;
    }
    return Status::Ok();
  };
  // The lease is renewed once a tick: a tick as long as the safe time would fence the
  // primary between two renewals.
  if (config.tick >= config.lease.ttl - config.lease.margin) {
    return ReportError("agent",
                       InvalidArgument("--tick-ms {} must be shorter than --lease-ttl minus {} ms; "
                                       "lower --tick-ms or raise --lease-ttl",
                                       f.tick_ms, config.lease.margin.count()));
  }
  // Short store calls: the loop checks the fence deadline between them, so one slow call
  // must not carry a primary far past it.
  auto store = etcd::OpenEtcdStore(f.etcd, std::chrono::milliseconds(500));
  if (!store.ok()) return ReportError("agent", store.status());
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr) config.os_user = pw->pw_name;

  // Two connections: the loop acts as admin; probes only ever need the monitor account.
  ConnectOptions admin{"127.0.0.1", self.mysql_port, kAdminUser, secrets->admin_password};
  ConnectOptions monitor{
      "127.0.0.1", self.mysql_port, kMonitorUser, secrets->monitor_password, 2, 2, 2};
  MariaDb admin_db(admin);
  MariaDb monitor_db(monitor);
  PidFileKiller killer(config.data_dir + "/mysqld.pid");
  // Admin connections to peers with these timeouts (connect, read, write; seconds).
  auto peers = [&f, id, pw = secrets->admin_password](int connect_s, int io_s) -> PeerDbFactory {
    return [&f, id, pw, connect_s, io_s](const std::string& member) -> Result<std::unique_ptr<Db>> {
      auto peer = ParseIdentity(member);
      if (!peer.ok() || peer->set_name != id->set_name) {
        return InvalidArgument("'{}' is not a member of {}", member, id->set_name);
      }
      const MemberAddress a = AddressOf(f.member.layout, id->set_name, peer->ordinal);
      return std::unique_ptr<Db>(std::make_unique<MariaDb>(
          ConnectOptions{a.host, a.mysql_port, kAdminUser, pw, connect_s, io_s, io_s}));
    };
  };
  // The switchover step waits on the candidate's server (MASTER_GTID_WAIT, 1 s at most).
  config.peer_db = peers(2, 3);
  // A replica reads the primary's GTIDs every tick: a frozen primary must not stall it.
  config.check_peer_db = peers(1, 1);
  Agent agent(config, admin_db, **store, killer, fs, clock);
  std::unique_ptr<backup::Repository> archive_repo;
  std::unique_ptr<backup::BinlogArchiver> binlog_archiver;
  PosixProcessRunner archive_runner;
  std::unique_ptr<backup::Repository> backup_age_repo;
  std::unique_ptr<backup::BackupAgeMonitor> backup_age;
  PosixProcessRunner age_runner;
  MariaDb archive_db(
      ConnectOptions{"127.0.0.1", self.mysql_port, kAdminUser, secrets->admin_password, 2, 10, 10});
  if (!f.archive_repo.empty()) {
    if (HasConnectionSettings(f.archive_repo)) {
      // Taken, so that agents an older version set up keep running; shown redacted.
      spdlog::warn(
          "--archive-repo {}: rclone connection-string settings show in process arguments; move "
          "them into rclone's config and give rclone:REMOTE:PATH",
          RedactedRepositorySpec(f.archive_repo));
    }
    auto repo = backup::OpenRepository(f.archive_repo, fs, archive_runner, /*create=*/true);
    if (!repo.ok()) return ReportError("agent", repo.status().Annotate("--archive-repo"));
    archive_repo = std::move(*repo);
    binlog_archiver = std::make_unique<backup::BinlogArchiver>(
        backup::ArchiverOptions{.cluster = config.cluster,
                                .member = id->pod_name,
                                .binlog_dir = DatadirOf(config.data_dir),
                                .interval = std::chrono::seconds(f.archive_interval_s)},
        *archive_repo, clock,
        backup::BinlogArchiver::Hooks{[&archive_db] { return archive_db.FlushBinaryLogs(); }});
    // A repository object of its own (Repository is not thread-safe): the monitor reads the
    // catalog on its own thread.
    auto age_repo = backup::OpenRepository(f.archive_repo, fs, age_runner, /*create=*/true);
    if (!age_repo.ok()) return ReportError("agent", age_repo.status().Annotate("--archive-repo"));
    backup_age_repo = std::move(*age_repo);
    backup_age = std::make_unique<backup::BackupAgeMonitor>(*backup_age_repo, clock);
  }

  // POST /v1/switchover runs on the HTTP threads: a store client of its own, so the loop's
  // calls and the requests' never share one.
  auto api_store = etcd::OpenEtcdStore(f.etcd, std::chrono::milliseconds(500));
  if (!api_store.ok()) return ReportError("agent", api_store.status());
  const formats::StoreKeys keys(config.cluster);
  SwitchoverApi switchover_api({
      .store = api_store->get(),
      .keys = keys,
      .set_name = id->set_name,
      .members = f.members,
      .token = secrets->backup_token,
      .policy = {.max_lag_seconds = static_cast<double>(f.lag_threshold),
                 .server_id_offset = f.member.server_id_offset},
      .read_view = [&api_store, keys]() -> Result<ClusterView> {
        ASSIGN_OR_RETURN(std::vector<StoredValue> values, (*api_store)->List(keys.prefix));
        return ParseClusterView(keys, values).view;
      },
      .clock = &clock,
  });

  BackupServiceOptions backup_options;
  backup_options.bind_address = f.bind_address;
  backup_options.port = self.backup_port;
  backup_options.max_concurrent = f.backup_concurrency;
  backup_options.pod_name = id->pod_name;
  backup_options.datadir = DatadirOf(config.data_dir);
  backup_options.mysql_port = self.mysql_port;
  BackupService backups(backup_options, *secrets);
  if (Status st = backups.Start(); !st.ok()) return ReportError("agent", st);

  auto repository_metrics = [&binlog_archiver, &backup_age, &config]() -> std::string {
    if (!binlog_archiver) return "";
    return backup::ArchiveMetricsText(binlog_archiver->Stats(), config.cluster) +
           backup::BackupAgeMetricsText(backup_age->Stats(), config.cluster);
  };
  std::function<formats::AgentStatus::Archive()> archive_status;
  if (binlog_archiver) {
    archive_status = [&binlog_archiver, &backup_age] {
      return backup::ArchiveStatusOf(binlog_archiver->Stats(), backup_age->Stats());
    };
  }
  // Read every 5 s, and unknown after 30 s without an answer (a hung file system).
  VolumeWatcher volume(
      [data_dir = config.data_dir] { return StatvfsDiskSpace::VolumeOf(data_dir); },
      std::chrono::seconds(5), std::chrono::seconds(30));
  auto data_volume = [&volume] { return volume.Latest(); };
  AgentHttpServer http({&agent, &monitor_db, &clock, [&backups] { return backups.Stats(); },
                        &switchover_api, repository_metrics, archive_status, data_volume});
  if (Status st = http.Start(f.bind_address, self.agent_port); !st.ok()) {
    backups.Stop();
    return ReportError("agent", st);
  }
  spdlog::info(
      "{}: agent serving http://{}:{} and backups on port {}, mysqld 127.0.0.1:{}, store {} "
      "(cluster {})",
      id->pod_name, f.bind_address, self.agent_port, self.backup_port, self.mysql_port, f.etcd,
      config.cluster);

  // The fence watchdog (Agent::FenceIfPastDeadline): its own connection, short timeouts.
  MariaDb watchdog_db(
      ConnectOptions{"127.0.0.1", self.mysql_port, kAdminUser, secrets->admin_password, 1, 2, 2});
  std::thread watchdog([&] {
    while (!stop_requested) {
      agent.FenceIfPastDeadline(watchdog_db);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // The binlog archiver (backup/binlog_archiver.h), while this member is the primary: a
  // thread of its own, since uploads must never delay the tick that keeps the lease.
  std::thread archiver;
  if (archive_repo) {
    archiver = std::thread([&] {
      backup::BinlogArchiver& a = *binlog_archiver;
      std::string last_error;
      while (!stop_requested) {
        const AgentSnapshot snap = agent.Snapshot();
        Status st = a.RunOnce(Agent::ServesPrimary(snap, clock.Now()), snap.state.gtid_binlog);
        if (!st.ok() && st.message() != last_error) {
          spdlog::warn("{}: binlog archive: {}", id->pod_name, st.message());
        }
        last_error = st.ok() ? "" : st.message();
        for (int i = 0; i < 10 && !stop_requested; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  // The backup-age monitor (backup/backup_age_monitor.h) on every member with a repository,
  // not only the primary: the metrics must outlive a failover. A thread of its own, since
  // listing a remote repository reads every manifest and would hold up archiving.
  std::thread age_reader;
  if (backup_age) {
    age_reader = std::thread([&] {
      std::string logged;
      while (!stop_requested) {
        Status st = backup_age->RunOnce();
        if (!st.ok() && st.message() != logged) {
          spdlog::warn("{}: backup age: {}", id->pod_name, st.message());
          logged = st.message();
        }
        // RunOnce is OK between reads too: only a good read ends the error.
        if (backup_age->Stats().last_error.empty()) logged.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    });
  }
  RunUntilSignalled(agent, clock);
  watchdog.join();
  if (archiver.joinable()) archiver.join();
  // Stopped by a signal (`down`, a scale-down): the local supervisor stops mariadbd only
  // after this process exits (local/member_lifecycle.cc), so a replica can still drain.
  if (!exit_for_reclone && f.drain_on_stop) agent.DrainOnStop();
  spdlog::info("{}: agent stopping{}", id->pod_name,
               exit_for_reclone ? " so that this member is re-cloned" : "");
  // After the drain: a catalog read in flight must not delay it.
  if (age_reader.joinable()) age_reader.join();
  http.Stop();
  backups.Stop();
  return exit_for_reclone ? kExitRecloneRequested : 0;
}

}  // namespace

Action AddAgentCommand(CLI::App& app) {
  auto f = std::make_shared<AgentFlags>();
  AddPodNameFlag(app, f->member);
  AddDirFlags(app, f->member, /*secrets=*/true);
  AddPeerFlags(app, f->member);
  app.add_option("--lag-threshold", f->lag_threshold,
                 "A replica further behind than this many seconds is not ready")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86400}));
  app.add_option("--max-stale-read-seconds", f->max_stale_read_seconds,
                 "A replica that was caught up when its primary became unreachable keeps "
                 "serving (possibly stale) reads this many seconds, counted from its last "
                 "working IO thread, or until a new primary leads; 0 turns it off")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86400}));
  app.add_option("--tick-ms", f->tick_ms, "Milliseconds between convergence checks")
      ->capture_default_str()
      ->check(CLI::Range(50, 60000));
  app.add_option("--startup-tick-ms", f->startup_tick_ms,
                 "Milliseconds between checks until the member is first ready (at most 30 s); "
                 "0: --tick-ms throughout")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  app.add_option("--bind-address", f->bind_address, "Address for the HTTP and backup ports")
      ->capture_default_str();
  app.add_option("--backup-concurrency", f->backup_concurrency,
                 "Backups served at once; further requests are refused as busy")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  app.add_option("--etcd", f->etcd,
                 "The coordination store: etcd endpoints, http://HOST:PORT[,...]")
      ->required();
  app.add_option("--cluster", f->cluster,
                 "The cluster's name in the store (keys under /mysqlset/NAME/); default: the set "
                 "name");
  app.add_option("--members", f->members,
                 "Members in the cluster: on a store with no leader history, the election waits "
                 "until this many have registered")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--lease-ttl", f->lease_ttl,
                 "Seconds the store keeps this agent's lease (and the leader key) without a "
                 "keepalive; the primary fences itself 0.5 s before")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{60}));
  app.add_option("--failover-cool-down", f->failover_cool_down_s,
                 "Seconds after a failover during which only the new primary's own loss "
                 "triggers another (docs/roles.md \"Failover\")")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{3600}));
  app.add_flag("--exit-to-reclone", f->exit_to_reclone,
               "After asking for a re-clone (an errant or diverged replica), exit with status 75 "
               "so that the local supervisor re-runs the clone step; without it the request "
               "waits for the member's next start");
  app.add_flag("--kill-server-to-reclone", f->kill_server_to_reclone,
               "After asking for a re-clone, kill -9 this member's mariadbd (through its pid "
               "file: the pod shares one process namespace) and exit with status 75. On "
               "Kubernetes the mariadbd container runs `mysqlset clone ... -- mariadbd`, so its "
               "restart re-runs the clone step, which sets the datadir aside and clones");
  app.add_flag("--drain-on-stop", f->drain_on_stop,
               "On SIGTERM, a replica stops its IO thread, applies what it received and records "
               "it (DATA/.mysqlset-drained.json), so that after its server's restart it may "
               "still take over by failover (docs/roles.md \"Failover\"). Only where mariadbd "
               "always stops right after the agent (the local supervisor): a stop of the agent "
               "alone would leave the IO thread stopped, and writes waiting, until it is back");
  app.add_option("--archive-repo", f->archive_repo,
                 "While primary, archive binlogs into this backup repository (a directory or "
                 "rclone:REMOTE:PATH; docs/backup.md \"Binlog archive\")");
  app.add_option("--archive-interval", f->archive_interval_s,
                 "With --archive-repo: seconds between closes of the active binlog for archiving")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.add_flag("--semi-sync", f->semi_sync,
               "Lossless semi-sync and automatic failover to the sync replica (docs/roles.md "
               "\"Failover\"); off: the primary moves only by switchover");
  return [f]() { return RunAgent(*f); };
}

}  // namespace mysqlset::cmd
