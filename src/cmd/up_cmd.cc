// `mysqlset up`: create or restart a local cluster and wait until every member is ready.
// `mysqlset supervise` (hidden): the daemon `up` starts; see local/supervisor.h.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "agent/datadir_template.h"
#include "cmd/cluster_checks.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/repository_spec.h"
#include "local/cluster_dir.h"
#include "local/display.h"
#include "local/log_cap.h"
#include "local/supervisor.h"
#include "posix/posix_env.h"
#include "posix/posix_process_table.h"
#include "posix/subprocess.h"

namespace mysqlset::cmd {
namespace {

// A supervisor SIGKILLed a moment ago can still hold its lock, and its last state file says
// "converged", while the kernel tears it down. Only a supervisor still there a moment later
// counts as running; otherwise `up` would report a dead cluster as ready.
std::optional<pid_t> LiveSupervisor(const local::ClusterPaths& paths) {
  const auto running = local::RunningSupervisor(paths);
  if (!running) return running;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto again = local::RunningSupervisor(paths);
  if (!again || *again != *running || !ProcessAlive(*again)) return std::nullopt;
  return again;
}

struct UpFlags {
  std::string dir = "./mysqlset-data";
  int replicas = 3;
  std::string name = "mysql";
  int base_port = local::kDefaultBasePort;  // int: 70000 gets a range message, not "convert"
  std::string log_format;
  int timeout_s = 900;
  int etcd_members = 1;
  CLI::Option* etcd_members_opt = nullptr;
  bool semi_sync = true;
  CLI::Option* semi_sync_opt = nullptr;
  std::string repo;  // binlog archive
  int archive_interval_s = local::ClusterSpec{}.archive_interval_s;
  CLI::Option* archive_interval_opt = nullptr;
  std::string backup_schedule;  // cron, UTC
  std::string backup_verify_schedule;
  CLI::Option* backup_schedule_opt = nullptr;
  CLI::Option* backup_verify_schedule_opt = nullptr;
  int keep_last = 0;
  int keep_days = 0;
  CLI::Option* keep_last_opt = nullptr;
  CLI::Option* keep_days_opt = nullptr;
  CLI::Option* replicas_opt = nullptr;
  CLI::Option* name_opt = nullptr;
  CLI::Option* base_port_opt = nullptr;
};

// The spec `up` converges to: the stored one (flags may only change --replicas), or a new
// one from the flags. `exists`: DIR already holds a cluster.
Result<local::ClusterSpec> SpecForUp(PosixFileSystem& fs, const local::ClusterPaths& paths,
                                     const UpFlags& f, bool exists) {
  local::ClusterSpec spec;
  if (exists) {
    ASSIGN_OR_RETURN(spec, local::LoadSpec(fs, paths));
    if (f.name_opt->count() > 0 && f.name != spec.name) {
      return InvalidArgument("{} holds cluster '{}', not '{}': drop --name or use another --dir",
                             paths.dir(), spec.name, f.name);
    }
    if (f.base_port_opt->count() > 0 && f.base_port != spec.base_port) {
      return InvalidArgument(
          "{} was created with --base-port {}: drop --base-port or use another --dir", paths.dir(),
          spec.base_port);
    }
    if (f.etcd_members_opt->count() > 0 && f.etcd_members != spec.etcd_members) {
      return InvalidArgument(
          "{} was created with --etcd-members {}: drop --etcd-members or use another --dir",
          paths.dir(), spec.etcd_members);
    }
    if (f.semi_sync_opt->count() > 0 && f.semi_sync != spec.semi_sync) {
      return InvalidArgument("{} was created {}: drop {} or use another --dir", paths.dir(),
                             spec.semi_sync ? "with semi-sync" : "with --no-semi-sync",
                             f.semi_sync ? "--semi-sync" : "--no-semi-sync");
    }
  } else {
    spec.name = f.name;
    spec.base_port = static_cast<uint16_t>(f.base_port);
    spec.etcd_members = f.etcd_members;
    spec.etcd_token = local::NewEtcdToken();
    spec.semi_sync = f.semi_sync;
  }
  if (f.replicas_opt->count() > 0) spec.replicas = f.replicas;
  // Only the flags given change the stored settings (local/cluster_spec.h); a later `up`
  // given a schedule replaces the stored one ('' removes it).
  local::BackupFlagsGiven given;
  if (!f.repo.empty()) {
    RETURN_IF_ERROR(CheckRepositorySpec(f.repo));  // before it reaches cluster.json
    // Agents run elsewhere than this shell: a directory repository by its absolute path.
    given.repo = f.repo.rfind("rclone:", 0) == 0 ? f.repo : Absolute(f.repo);
  }
  auto if_given = [](const CLI::Option* o, const auto& value) {
    return o->count() > 0 ? std::optional(value) : std::nullopt;
  };
  given.archive_interval_s = if_given(f.archive_interval_opt, f.archive_interval_s);
  given.backup_schedule = if_given(f.backup_schedule_opt, f.backup_schedule);
  given.backup_verify_schedule = if_given(f.backup_verify_schedule_opt, f.backup_verify_schedule);
  given.keep_last = if_given(f.keep_last_opt, f.keep_last);
  given.keep_days = if_given(f.keep_days_opt, f.keep_days);
  RETURN_IF_ERROR(local::ApplyBackupFlags(given, spec));
  RETURN_IF_ERROR(local::ValidateSpec(spec));
  RETURN_IF_ERROR(local::CheckSocketPathLengths(paths, spec));
  return spec;
}

// A supervisor already runs on DIR: hand it the new size (SIGHUP), as `scale` does.
Status ResizeRunningSupervisor(PosixFileSystem& fs, const local::ClusterPaths& paths,
                               const local::ClusterSpec& spec, pid_t supervisor) {
  auto stored = local::LoadSpec(fs, paths);
  if (stored.ok() && stored->replicas != spec.replicas) {
    // Members that will start must find their ports free, exactly as for `scale`.
    RETURN_IF_ERROR(local::CheckNewMemberPortsFree(*stored, spec));
    RETURN_IF_ERROR(local::SaveSpec(fs, paths, spec));
    kill(supervisor, SIGHUP);
  }
  if (stored.ok() && (stored->archive_repo != spec.archive_repo ||
                      stored->archive_interval_s != spec.archive_interval_s ||
                      stored->backup_schedule != spec.backup_schedule ||
                      stored->backup_verify_schedule != spec.backup_verify_schedule ||
                      stored->backup_keep_last != spec.backup_keep_last ||
                      stored->backup_keep_days != spec.backup_keep_days)) {
    RETURN_IF_ERROR(local::SaveSpec(fs, paths, spec));
    std::printf(
        "The repository and backup schedule are saved; the running supervisor (pid %d) applies "
        "them when it next starts (mysqlset down, then up).\n",
        supervisor);
  }
  std::printf("A supervisor (pid %d) already runs on %s; waiting for its members.\n", supervisor,
              paths.dir().c_str());
  return Status::Ok();
}

// No supervisor runs: check that the ports are free, write DIR, and start one.
Result<pid_t> StartSupervisor(PosixFileSystem& fs, const local::ClusterPaths& paths,
                              const local::ClusterSpec& spec, const UpFlags& f, bool exists) {
  // Everything that can refuse the request is checked before anything is written.
  Status st = local::CheckPortsFree(local::PortsOf(spec));
  if (!st.ok() && exists) {
    // A supervisor that was SIGKILLed leaves its children stopping (they got SIGTERM);
    // they hold the ports for a moment. Wait for them rather than refuse.
    auto left = local::LeftoverProcesses(paths);
    if (!left.empty()) {
      std::printf("Waiting for %zu process(es) of a previous supervisor to stop (pid %d%s)\n",
                  left.size(), left[0], left.size() > 1 ? ", ..." : "");
      std::fflush(stdout);
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
      while (!left.empty() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        left = local::LeftoverProcesses(paths);
      }
      st = local::CheckPortsFree(local::PortsOf(spec));
    }
  }
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR(local::PrepareClusterDir(fs, paths, spec));
  // The supervisor and the members it starts inherit the log format.
  if (!f.log_format.empty()) setenv("MYSQLSET_LOG_FORMAT", f.log_format.c_str(), 1);
  ASSIGN_OR_RETURN(const pid_t supervisor, local::LaunchSupervisor(local::SelfExe(), paths));
  std::printf("%s cluster '%s' with %d member(s) in %s (supervisor pid %d, log %s)\n",
              exists ? "Restarting" : "Creating", spec.name.c_str(), spec.replicas,
              paths.dir().c_str(), supervisor, paths.supervisor_log().c_str());
  return supervisor;
}

int RunUp(const UpFlags& f) {
  const auto t0 = std::chrono::steady_clock::now();
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  const bool exists = fs.Exists(paths.cluster_json());
  auto spec_or = SpecForUp(fs, paths, f, exists);
  if (!spec_or.ok()) return ReportError("up", spec_or.status());
  const local::ClusterSpec spec = *spec_or;

  pid_t supervisor = 0;
  if (auto running = LiveSupervisor(paths)) {
    supervisor = *running;
    Status st = ResizeRunningSupervisor(fs, paths, spec, supervisor);
    if (!st.ok()) return ReportError("up", st);
  } else {
    auto started = StartSupervisor(fs, paths, spec, f, exists);
    if (!started.ok()) return ReportError("up", started.status());
    supervisor = *started;
  }
  std::fflush(stdout);
  local::WaitOptions w;
  w.timeout = std::chrono::seconds(f.timeout_s);
  w.tty = isatty(STDOUT_FILENO);
  w.what = fmt::format("up with {} member(s)", spec.replicas);
  w.confirm = [&paths, &spec] { return ConfirmClusterReady(paths, spec); };
  Status st = local::WaitForConverged(fs, paths, supervisor, spec.replicas, w);
  if (!st.ok()) {
    ReportError("up", st);
    // A supervisor that does not respond retries nothing; a superseded request was replaced.
    if (st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kCancelled) return 1;
    std::fprintf(stderr,
                 "mysqlset up: the supervisor keeps retrying; see `mysqlset status --dir %s`, "
                 "stop it with `mysqlset down --dir %s`\n",
                 paths.dir().c_str(), paths.dir().c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Cluster '%s' is ready: %d member(s) in %.1fs.\n%s", spec.name.c_str(), spec.replicas,
              secs, local::RenderConnectHelp(spec, paths).c_str());
  std::printf("SQL prompt: mysqlset sql --dir %s    Logs: mysqlset logs --dir %s [NAME]\n",
              paths.dir().c_str(), paths.dir().c_str());
  return 0;
}

}  // namespace

Action AddUpCommand(CLI::App& app) {
  auto f = std::make_shared<UpFlags>();
  AddClusterDirFlag(app, f->dir);
  f->replicas_opt = app.add_option("--replicas", f->replicas,
                                   fmt::format("Number of members (1-{})", local::kMaxReplicas))
                        ->capture_default_str();  // ValidateSpec refuses others, one line
  f->semi_sync_opt =
      app.add_flag("--semi-sync,!--no-semi-sync", f->semi_sync,
                   "Lossless semi-sync and automatic failover to the sync replica (the default; "
                   "docs/roles.md \"Failover\"). --no-semi-sync: asynchronous replication, and the "
                   "primary moves only by switchover. Fixed when the cluster is created");
  app.add_option("--repo", f->repo,
                 "Archive the primary's binlogs continuously into this backup repository (a "
                 "directory or rclone:REMOTE:PATH) for point-in-time restore (docs/backup.md)");
  f->archive_interval_opt =
      app.add_option("--archive-interval", f->archive_interval_s,
                     "With --repo: seconds between closes of the active binlog for archiving (at "
                     "most this much is lost with the whole cluster)")
          ->capture_default_str()
          ->check(CLI::Range(1, 3600));
  f->backup_schedule_opt = app.add_option(
      "--backup-schedule", f->backup_schedule,
      "With --repo: the supervisor runs `mysqlset backup` into the repository at the times this "
      "5-field cron expression gives, in UTC: e.g. '0 3 * * *' (docs/backup.md \"Schedules\")");
  f->backup_verify_schedule_opt =
      app.add_option("--backup-verify-schedule", f->backup_verify_schedule,
                     "With --backup-schedule: runs at these times (cron, UTC) are `backup "
                     "--verify`, restoring the new backup to prove it: e.g. '0 4 * * 0'");
  f->keep_last_opt =
      app.add_option("--keep-last", f->keep_last,
                     "With --backup-schedule: after each successful run, prune to the newest N "
                     "backups (with --keep-days, either rule keeps; the newest verified backup "
                     "is always kept; 0 unsets)")
          ->check(CLI::Range(0, 100000));
  f->keep_days_opt = app.add_option("--keep-days", f->keep_days,
                                    "With --backup-schedule: after each successful run, prune "
                                    "backups older than D days (0 unsets)")
                         ->check(CLI::Range(0, 36500));
  f->name_opt = app.add_option("--name", f->name, "Cluster name; members are NAME-0 .. NAME-(N-1)")
                    ->capture_default_str();
  f->base_port_opt =
      app.add_option("--base-port", f->base_port,
                     "mariadbd port of NAME-0; member N uses P+10N (mariadbd), P+10N+1 (agent), "
                     "P+10N+2 (backup); endpoints P-6 (write) and P-5 (read); etcd member I "
                     "P-16+2I (client) and P-15+2I (peer)")
          ->check(CLI::Range(local::kMinBasePort, local::kMaxBasePort))
          ->capture_default_str();
  f->etcd_members_opt =
      app.add_option("--etcd-members", f->etcd_members,
                     "etcd members the supervisor runs (the coordination store): 1, or 3 for a "
                     "real quorum (5 also works); fixed when the cluster is created")
          ->capture_default_str();  // ValidateSpec refuses others, one line
  app.add_option("--log-format", f->log_format,
                 "Log format of the supervisor and members it starts: text or json. Default: "
                 "$MYSQLSET_LOG_FORMAT, else text")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname("MYSQLSET_LOG_FORMAT");
  app.add_option("--timeout", f->timeout_s, "Seconds to wait for all members to be ready")
      ->capture_default_str();
  return [f]() { return RunUp(*f); };
}

Action AddSuperviseCommand(CLI::App& app) {
  auto dir = std::make_shared<std::string>("./mysqlset-data");
  auto level = std::make_shared<std::string>("info");
  AddClusterDirFlag(app, *dir);
  AddLogFlags(app, *level);
  return [dir, level]() {
    SetUpLogging("supervisor", *level);
    PosixFileSystem fs;
    RealClock clock;
    local::SupervisorOptions options;
    options.self_exe = local::SelfExe();
    options.template_cache_dir = DefaultTemplateCacheDir();
    PosixProcessTable processes;
    PosixSelfProcess self;
    local::NetworkClusterProbe probe;
    local::Supervisor supervisor(fs, clock, processes, self, probe,
                                 local::ClusterPaths(Absolute(*dir)), options);
    Status st = supervisor.Start();
    if (!st.ok()) return ReportError("supervise", st);
    // Keeps every log of the cluster under local::kLogCapBytes (log_cap.h), on its own thread.
    // Started after Start(): the thread inherits the signal mask Start() set, so SIGTERM and
    // SIGCHLD still reach only the supervisor's signalfd.
    local::LogCapper log_cap(local::ClusterPaths(Absolute(*dir)));
    return supervisor.Run();
  };
}

}  // namespace mysqlset::cmd
