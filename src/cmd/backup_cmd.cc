// `mysqlset backup`, `mysqlset backups` and `mysqlset restore` (docs/backup.md): take a
// physical backup of a local cluster into a repository, list a repository's backups, and
// build a new local cluster from one.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

#include "agent/clone_receiver.h"
#include "agent/secrets.h"
#include "backup/backup_run.h"
#include "backup/catalog.h"
#include "backup/restore_run.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/backup_choice.h"
#include "core/donor.h"
#include "core/identity.h"
#include "core/pitr.h"
#include "local/cluster_dir.h"
#include "nlohmann/json.hpp"
#include "posix/posix_env.h"
#include "posix/subprocess.h"

namespace mysqlset::cmd {
namespace {

struct BackupFlags {
  std::string dir = "./mysqlset-data";
  std::string repo;
  std::string from;
  int zstd_level = 3;
  bool verify = false;
  std::string use_memory = "256M";
};

// Records in the repository that a restore of `id` started and was checked.
void RecordVerified(backup::Repository& repo, const std::string& id, int64_t now,
                    const backup::RestoredData& data, const std::string& where) {
  formats::BackupVerification v{id, now, data.gtid,
                                fmt::format("restored into {}: mariadbd started, {}, GTID {}",
                                            where, data.tables_report, data.gtid)};
  if (Status st = repo.PutText(formats::BackupKey(id, formats::kVerifiedName), formats::ToJson(v));
      !st.ok()) {
    std::fprintf(stderr, "warning: could not record the verification: %s\n", st.message().c_str());
  }
}

// backup --verify: restore the published backup into a scratch dir, prepare it, start a
// throwaway mariadbd on it, check every table and the GTID (restore_run.h), then remove it.
Status VerifyBackup(FileSystem& fs, ProcessRunner& runner, Clock& clock, backup::Repository& repo,
                    const formats::BackupManifest& m, const Secrets& secrets,
                    const std::string& use_memory) {
  char tmpl[] = "/tmp/mysqlset-verify-XXXXXX";  // short: the throwaway server's socket
  if (!mkdtemp(tmpl)) return Internal("cannot create a scratch dir in /tmp");
  const std::string work = tmpl;
  auto object = backup::FetchVerified(repo, m, work + "/fetch");
  Result<backup::RestoredData> data = object.status();
  if (object.ok()) {
    PosixPipedProcessStarter pipes;
    backup::RestoreEnv env{fs, clock, runner, pipes};
    backup::RestoreDataOptions o;
    o.data_dir = work + "/data";
    o.work_dir = work;
    o.use_memory = use_memory;
    o.run_as_root = geteuid() == 0;
    Status st = fs.MakeDirs(o.data_dir, 0750);
    data = st.ok() ? backup::BuildRestoredDatadir(env, o, m, *object, secrets)
                   : Result<backup::RestoredData>(st);
  }
  if (!data.ok()) {
    std::fprintf(stderr, "(logs of the failed verification: %s)\n", work.c_str());
    return data.status().Annotate("verify " + m.id);
  }
  (void)fs.RemoveAll(work);
  RecordVerified(repo, m.id, clock.UnixSeconds(), *data, "a scratch dir");
  std::printf("Verified %s: restored, prepared, %s, GTID %s\n", m.id.c_str(),
              data->tables_report.c_str(), data->gtid.empty() ? "(none)" : data->gtid.c_str());
  return Status::Ok();
}

// The member to stream from: --from, or the least-lagging ready replica (then the ready
// primary), from each member's /v1/status (core/donor.h).
Result<backup::BackupSource> ChooseSource(const local::ClusterSpec& spec, const std::string& from) {
  const uint32_t n = static_cast<uint32_t>(spec.replicas);
  auto source_of = [&](uint32_t ordinal) {
    const MemberAddress a = local::MemberAddressOf(spec, ordinal);
    return backup::BackupSource{PodName(spec.name, ordinal), a.host, a.backup_port};
  };
  if (!from.empty()) {
    for (uint32_t i = 0; i < n; ++i) {
      if (PodName(spec.name, i) == from) return source_of(i);
    }
    return InvalidArgument("--from {}: not a member of cluster '{}' ({}-0 .. {}-{})", from,
                           spec.name, spec.name, spec.name, n - 1);
  }
  HttpPeerStatusReader reader;
  std::vector<std::optional<PeerStatus>> statuses;
  bool any = false;
  for (uint32_t i = 0; i < n; ++i) {
    statuses.push_back(reader.Read(local::MemberAddressOf(spec, i)));
    any = any || statuses.back().has_value();
  }
  const auto ranked = any ? RankDonors(n, statuses) : std::vector<uint32_t>{};
  if (ranked.empty()) {
    return Unavailable(
        "no member of cluster '{}' is ready to stream a backup: check mysqlset "
        "status, or name one with --from",
        spec.name);
  }
  return source_of(ranked.front());
}

int RunBackupCmd(const BackupFlags& f) {
  SetUpLogging("backup", "warn");
  PosixFileSystem fs;
  PosixProcessRunner runner;
  RealClock clock;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return ReportError("backup", spec.status());
  auto secrets = LoadSecrets(fs, paths.secrets_dir());
  if (!secrets.ok()) return ReportError("backup", secrets.status());
  auto repo = backup::OpenRepository(f.repo, fs, runner, /*create=*/true);
  if (!repo.ok()) return ReportError("backup", repo.status());
  auto source = ChooseSource(*spec, f.from);
  if (!source.ok()) return ReportError("backup", source.status());
  std::fprintf(stderr, "Backing up cluster '%s' from %s into %s\n", spec->name.c_str(),
               source->name.c_str(), (*repo)->Describe().c_str());
  backup::BackupRunOptions o;
  o.cluster = spec->name;
  o.source = *source;
  o.backup_token = secrets->backup_token;
  o.zstd_level = f.zstd_level;
  o.on_progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
  NetBackupDialer dialer;
  PosixPipedProcessStarter pipes;
  backup::BackupRunEnv env{fs, clock, dialer, pipes, runner, **repo};
  auto m = backup::RunBackup(env, o);
  if (!m.ok()) return ReportError("backup", m.status());
  std::printf("Backup %s published in %s: GTID %s, %s stored (%s streamed) in %lld s\n",
              m->id.c_str(), (*repo)->Describe().c_str(),
              m->gtid.empty() ? "(none)" : m->gtid.c_str(),
              backup::HumanBytes(static_cast<double>(m->objects.at(0).bytes)).c_str(),
              backup::HumanBytes(static_cast<double>(m->stream_bytes)).c_str(),
              static_cast<long long>(m->finished_at_unix - m->started_at_unix));
  if (f.verify) {
    std::fflush(stdout);
    Status st = VerifyBackup(fs, runner, clock, **repo, *m, *secrets, f.use_memory);
    if (!st.ok()) return ReportError("backup", st);
  }
  return kExitOk;
}

struct BackupsFlags {
  std::string repo;
  bool json = false;
  std::optional<int> keep_last;
  std::optional<int> keep_days;
  bool prune = false;
};

// --keep-last/--keep-days: what the policy prunes (core/backup_choice.h), deleted with
// --prune, else only shown.
int PruneBackups(backup::Repository& repo, const std::vector<backup::CatalogEntry>& list,
                 const BackupsFlags& f) {
  RealClock clock;
  auto ids =
      BackupsToPrune(backup::EntriesOf(list), {f.keep_last, f.keep_days}, clock.UnixSeconds());
  if (!ids.ok()) return ReportError("backups", ids.status());
  if (ids->empty()) std::printf("Nothing to prune in %s\n", repo.Describe().c_str());
  for (const auto& id : *ids) {
    if (!f.prune) {
      std::printf("would prune %s (add --prune to delete)\n", id.c_str());
      continue;
    }
    if (Status st = backup::PruneBackup(repo, id); !st.ok()) {
      return ReportError("backups", st.Annotate("prune " + id));
    }
    std::printf("pruned %s\n", id.c_str());
  }
  return kExitOk;
}

// The recoverable window from the backups and the binlog archive, and any gap in it.
int PrintRecoveryWindow(backup::Repository& repo, const std::vector<backup::CatalogEntry>& list) {
  auto binlogs = backup::ListBinlogs(repo);
  if (!binlogs.ok()) return ReportError("backups", binlogs.status());
  const RecoveryView view =
      ComputeRecoveryView(backup::RestorablesOf(list), backup::ArchivedOf(*binlogs));
  std::printf("Archived binlogs: %zu\n", binlogs->size());
  for (const auto& w : view.windows) std::printf("Recoverable: %s\n", DescribeWindow(w).c_str());
  for (const auto& g : view.gaps) std::printf("Gap: %s\n", DescribeGap(g).c_str());
  return kExitOk;
}

int RunBackupsCmd(const BackupsFlags& f) {
  SetUpLogging("backups", "warn");
  PosixFileSystem fs;
  PosixProcessRunner runner;
  auto repo = backup::OpenRepository(f.repo, fs, runner);
  if (!repo.ok()) return ReportError("backups", repo.status());
  auto list = backup::ListBackups(**repo);
  if (!list.ok()) return ReportError("backups", list.status());
  if (f.keep_last || f.keep_days || f.prune) return PruneBackups(**repo, *list, f);
  const bool json = f.json;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *list) {
      nlohmann::json j = nlohmann::json::parse(formats::ToJson(e.manifest));
      j["verified"] = e.verification.has_value();
      if (e.verification) j["verified_at_unix"] = e.verification->verified_at_unix;
      out.push_back(j);
    }
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (list->empty()) {
    std::printf("No backups in %s\n", (*repo)->Describe().c_str());
    return kExitOk;
  }
  std::printf("%-36s %-20s %-10s %-24s %10s  %s\n", "ID", "FINISHED", "SOURCE", "GTID", "SIZE",
              "VERIFIED");
  for (const auto& e : *list) {
    const auto& m = e.manifest;
    uint64_t bytes = 0;
    for (const auto& o : m.objects) bytes += o.bytes;
    std::printf("%-36s %-20s %-10s %-24s %10s  %s\n", m.id.c_str(),
                FormatUtcTime(m.finished_at_unix).c_str(), m.source_member.c_str(),
                m.gtid.empty() ? "-" : m.gtid.c_str(),
                backup::HumanBytes(static_cast<double>(bytes)).c_str(),
                e.verification ? FormatUtcTime(e.verification->verified_at_unix).c_str() : "no");
  }
  return PrintRecoveryWindow(**repo, *list);
}

struct RestoreFlags {
  std::string dir;
  std::string repo;
  std::string backup_id;
  std::string to_time;  // "2026-11-30T12:00:00Z"
  std::string to_gtid;
  std::string name = "mysql";
  int replicas = 1;
  int base_port = local::kDefaultBasePort;
  std::string use_memory = "256M";
};

int RunRestoreCmd(const RestoreFlags& f) {
  SetUpLogging("restore", "warn");
  PosixFileSystem fs;
  PosixProcessRunner runner;
  RealClock clock;
  const local::ClusterPaths paths(Absolute(f.dir));
  // Everything that can refuse is checked before anything is written or started.
  if (fs.Exists(paths.dir())) {
    return ReportError("restore", FailedPrecondition("refusing to restore into {}: it exists; "
                                                     "give a new --dir",
                                                     paths.dir()));
  }
  local::ClusterSpec spec;
  spec.name = f.name;
  spec.replicas = f.replicas;
  if (f.base_port < 1024 + local::kPortsBelowBase || f.base_port > 65535 - 2) {
    return ReportError("restore", InvalidArgument("--base-port {} is out of range", f.base_port));
  }
  spec.base_port = static_cast<uint16_t>(f.base_port);
  spec.etcd_token = local::NewEtcdToken();
  if (Status st = local::ValidateSpec(spec); !st.ok()) return ReportError("restore", st);
  if (Status st = local::CheckSocketPathLengths(paths, spec); !st.ok()) {
    return ReportError("restore", st);
  }
  if (Status st = local::CheckPortsFree(local::PortsOf(spec)); !st.ok()) {
    return ReportError("restore", st);
  }
  auto repo = backup::OpenRepository(f.repo, fs, runner);
  if (!repo.ok()) return ReportError("restore", repo.status());
  auto list = backup::ListBackups(**repo);
  if (!list.ok()) return ReportError("restore", list.status());
  // Point in time: the plan names the backup and the archived binlogs to replay after it.
  std::optional<ReplayPlan> plan;
  std::vector<formats::BinlogSegment> replay_segments;
  if (!f.to_time.empty() || !f.to_gtid.empty()) {
    RecoveryTarget target;
    if (!f.to_time.empty()) {
      auto t = ParseUtcTime(f.to_time);
      if (!t.ok()) return ReportError("restore", t.status().Annotate("--to-time"));
      target.time_unix = *t;
    }
    if (!f.to_gtid.empty()) {
      auto g = GtidList::Parse(f.to_gtid);
      if (!g.ok() || g->empty()) {
        return ReportError(
            "restore", InvalidArgument("--to-gtid '{}' is not a GTID such as 0-1-42", f.to_gtid));
      }
      target.gtid = *g;
    }
    auto binlogs = backup::ListBinlogs(**repo);
    if (!binlogs.ok()) return ReportError("restore", binlogs.status());
    auto planned = PlanRecovery(backup::RestorablesOf(*list), backup::ArchivedOf(*binlogs), target);
    if (!planned.ok()) return ReportError("restore", planned.status());
    plan = *planned;
    for (const auto& step : plan->steps) {
      for (const auto& s : *binlogs) {
        if (s.id == step.binlog_id) replay_segments.push_back(s);
      }
    }
  }
  auto chosen =
      ChooseBackup(backup::EntriesOf(*list), plan ? plan->backup_id : f.backup_id, std::nullopt);
  if (!chosen.ok()) return ReportError("restore", chosen.status());
  const formats::BackupManifest* manifest = nullptr;
  for (const auto& e : *list) {
    if (e.manifest.id == chosen->id) manifest = &e.manifest;
  }

  char tmpl[] = "/tmp/mysqlset-restore-XXXXXX";  // short: the throwaway server's socket
  if (!mkdtemp(tmpl)) return ReportError("restore", Internal("cannot create a work dir in /tmp"));
  const std::string work = tmpl;
  auto cleanup_work = [&] { (void)fs.RemoveAll(work); };
  std::fprintf(stderr, "Restoring backup %s (GTID %s) from %s into %s\n", manifest->id.c_str(),
               manifest->gtid.empty() ? "(none)" : manifest->gtid.c_str(),
               (*repo)->Describe().c_str(), paths.dir().c_str());
  auto object = backup::FetchVerified(**repo, *manifest, work + "/fetch");
  if (!object.ok()) {
    cleanup_work();
    return ReportError("restore", object.status());
  }
  auto binlog_files = backup::FetchSegmentsVerified(**repo, replay_segments, work + "/fetch");
  if (!binlog_files.ok()) {
    cleanup_work();
    return ReportError("restore", binlog_files.status());
  }
  backup::BinlogReplay replay;
  if (plan) {
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      replay.files.push_back({(*binlog_files)[i], plan->steps[i].start_after.ToString()});
    }
    if (!f.to_gtid.empty()) replay.stop_gtid = f.to_gtid;
    if (!f.to_time.empty()) replay.stop_unix = *ParseUtcTime(f.to_time);
    std::fprintf(stderr, "Then replaying %zu archived binlog(s) up to %s\n", replay.files.size(),
                 f.to_time.empty() ? ("GTID " + f.to_gtid).c_str() : f.to_time.c_str());
  }
  // The new cluster dir: its own secrets, config and member 0's data from the backup.
  Status st = local::PrepareClusterDir(fs, paths, spec);
  Result<Secrets> secrets = st.ok() ? LoadSecrets(fs, paths.secrets_dir()) : Result<Secrets>(st);
  Result<backup::RestoredData> data = secrets.status();
  if (secrets.ok()) {
    const std::string data_dir = paths.data_dir(PodName(spec.name, 0));
    st = fs.MakeDirs(data_dir, 0750);
    if (st.ok()) {
      PosixPipedProcessStarter pipes;
      backup::RestoreEnv env{fs, clock, runner, pipes};
      backup::RestoreDataOptions o;
      o.data_dir = data_dir;
      o.work_dir = work;
      o.use_memory = f.use_memory;
      o.run_as_root = geteuid() == 0;
      o.replay = replay;
      data = backup::BuildRestoredDatadir(env, o, *manifest, *object, *secrets);
    } else {
      data = st;
    }
  }
  if (!data.ok()) {
    // Nothing ran on this dir: remove it so the same command can be run again.
    if (local::LooksLikeClusterDir(fs, paths)) (void)local::PurgeClusterDir(fs, paths);
    std::fprintf(stderr, "(logs of the failed restore: %s)\n", work.c_str());
    return ReportError("restore", data.status());
  }
  cleanup_work();
  // The backup has been restored, started and checked: record it as verified.
  RecordVerified(**repo, manifest->id, clock.UnixSeconds(), *data, paths.dir());
  std::fprintf(stderr, "Restored and checked (%s, GTID %s); starting the new cluster\n",
               data->tables_report.c_str(), data->gtid.empty() ? "(none)" : data->gtid.c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  // `up` on the prepared dir: member 0 finds its datadir installed and starts on it.
  auto up = Subprocess::Spawn({local::SelfExe(), "up", "--dir", paths.dir()}, SpawnFds{-1, 1, 2});
  if (!up.ok()) return ReportError("restore", up.status());
  const int code = up->Wait();
  return code == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Action AddBackupCommand(CLI::App& app) {
  auto f = std::make_shared<BackupFlags>();
  AddClusterDirFlag(app, f->dir);
  app.add_option("--repo", f->repo, "Backup repository: a directory, or rclone:REMOTE:PATH")
      ->required();
  app.add_option("--from", f->from,
                 "Member to stream from (NAME-N); default: the least-lagging ready replica, "
                 "else the ready primary");
  app.add_option("--zstd-level", f->zstd_level, "zstd compression level")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  app.add_flag("--verify", f->verify,
               "Then restore it into a scratch dir, prepare it, start a throwaway mariadbd on "
               "it, check every table (mariadb-check) and the GTID, and record it as verified");
  app.add_option("--use-memory", f->use_memory, "Buffer pool for --verify's mariabackup --prepare")
      ->capture_default_str();
  return [f]() { return RunBackupCmd(*f); };
}

Action AddBackupsCommand(CLI::App& app) {
  auto f = std::make_shared<BackupsFlags>();
  app.add_option("--repo", f->repo, "Backup repository: a directory, or rclone:REMOTE:PATH")
      ->required();
  app.add_flag("--json", f->json, "One JSON array: each manifest, plus verified fields");
  app.add_option("--keep-last", f->keep_last,
                 "Retention: keep the newest N backups (with --keep-days, either keeps); shows "
                 "what the policy prunes, --prune deletes it. The newest verified backup is "
                 "always kept")
      ->check(CLI::Range(0, 100000));
  app.add_option("--keep-days", f->keep_days, "Retention: keep backups finished in the last D days")
      ->check(CLI::Range(0, 100000));
  app.add_flag("--prune", f->prune, "Delete what --keep-last/--keep-days prune");
  return [f]() { return RunBackupsCmd(*f); };
}

Action AddRestoreCommand(CLI::App& app) {
  auto f = std::make_shared<RestoreFlags>();
  app.add_option("--dir", f->dir, "The NEW cluster dir (must not exist)")->required();
  app.add_option("--repo", f->repo, "Backup repository: a directory, or rclone:REMOTE:PATH")
      ->required();
  auto* backup_opt =
      app.add_option("--backup", f->backup_id, "Backup id (see mysqlset backups); default: latest");
  auto* to_time = app.add_option(
      "--to-time", f->to_time,
      "Point in time (UTC, 2026-11-30T12:00:00Z): the newest backup before it, then the "
      "archived binlogs replayed up to it (every transaction committed before it)");
  auto* to_gtid = app.add_option("--to-gtid", f->to_gtid,
                                 "Point in time as a GTID: up to and including this transaction");
  to_time->excludes(to_gtid)->excludes(backup_opt);
  to_gtid->excludes(backup_opt);
  app.add_option("--name", f->name, "The new cluster's name")->capture_default_str();
  app.add_option("--replicas", f->replicas, "Members of the new cluster")
      ->check(CLI::Range(1, local::kMaxReplicas))
      ->capture_default_str();
  app.add_option("--base-port", f->base_port,
                 "First port of the new cluster's layout (keep it apart from the old one's)")
      ->capture_default_str();
  app.add_option("--use-memory", f->use_memory, "Buffer pool for mariabackup --prepare")
      ->capture_default_str();
  return [f]() { return RunRestoreCmd(*f); };
}

}  // namespace mysqlset::cmd
