// `mysqlset backup`, `mysqlset backups` and `mysqlset restore` (docs/backup.md): take a
// physical backup of a cluster (a local one, or members named by address: a Kubernetes
// CronJob) into a repository, list a repository's backups, and
// build a new local cluster from one.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <limits>
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
#include "core/backup_age.h"
#include "core/backup_choice.h"
#include "core/backup_target.h"
#include "core/binlog_retention.h"
#include "core/disk_space.h"
#include "core/donor.h"
#include "core/identity.h"
#include "core/pitr.h"
#include "core/topology.h"
#include "local/cluster_dir.h"
#include "nlohmann/json.hpp"
#include "posix/posix_env.h"
#include "posix/subprocess.h"

namespace mysqlset::cmd {
namespace {

struct BackupFlags {
  std::string dir = "./mysqlset-data";
  CLI::Option* dir_option = nullptr;
  std::string repo;
  std::string from;
  int zstd_level = 3;
  bool verify = false;
  std::string use_memory = "256M";
  // Without a cluster dir (Kubernetes: a CronJob): core/backup_target.h.
  std::string cluster;
  std::string from_host;
  std::string token_file;
  uint32_t members = 0;  // 0: not given (kDefaultMembersToAsk)
  PeerLayout layout;
};

// Members asked by default with --cluster: NAME-0 .. NAME-8, as many as the router's
// haproxy.cfg lists; members that do not exist do not answer and are skipped.
constexpr uint32_t kDefaultMembersToAsk = 9;

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

// Where the backup comes from and with which token: the cluster's name, the member, the
// token, and the passwords a --verify gives its throwaway server.
struct BackupTarget {
  std::string cluster;
  backup::BackupSource source;
  Secrets secrets;
};

// Reads every member's /v1/status (nullopt: no answer).
std::vector<std::optional<PeerStatus>> ReadStatuses(const std::vector<MemberAddress>& members) {
  HttpPeerStatusReader reader;
  std::vector<std::optional<PeerStatus>> statuses;
  for (const MemberAddress& a : members) statuses.push_back(reader.Read(a));
  return statuses;
}

// --from, or the least-lagging ready replica (then the ready primary), from each member's
// /v1/status (core/backup_target.h).
Result<backup::BackupSource> ChooseSource(const std::string& cluster,
                                          const std::vector<MemberAddress>& members,
                                          const std::string& from) {
  const uint32_t n = static_cast<uint32_t>(members.size());
  uint32_t ordinal = 0;
  if (!from.empty()) {
    ASSIGN_OR_RETURN(ordinal, OrdinalOfFrom(cluster, n, from));
  } else {
    ASSIGN_OR_RETURN(ordinal, BestBackupMember(cluster, ReadStatuses(members)));
  }
  const MemberAddress& a = members.at(ordinal);
  return backup::BackupSource{a.pod_name, a.host, a.backup_port};
}

Result<BackupTarget> ResolveBackupTarget(FileSystem& fs, const BackupFlags& f) {
  BackupTargetFlags tf;
  // $MYSQLSET_DIR alone does not clash with --cluster: only a --dir typed on the command line.
  tf.dir_given = f.dir_option != nullptr && f.dir_option->count() > 0 &&
                 std::getenv("MYSQLSET_DIR") == nullptr;
  tf.cluster = f.cluster;
  tf.from = f.from;
  tf.from_host = f.from_host;
  tf.token_file_given = !f.token_file.empty();
  tf.members = f.members;
  ASSIGN_OR_RETURN(const BackupTargetKind kind, ChooseBackupTargetKind(tf));
  BackupTarget t;
  if (kind == BackupTargetKind::kLocalDir) {
    const local::ClusterPaths paths(Absolute(f.dir));
    ASSIGN_OR_RETURN(const local::ClusterSpec spec, local::LoadSpec(fs, paths));
    ASSIGN_OR_RETURN(t.secrets, LoadSecrets(fs, paths.secrets_dir()));
    std::vector<MemberAddress> members;
    for (uint32_t i = 0; i < static_cast<uint32_t>(spec.replicas); ++i) {
      members.push_back(local::MemberAddressOf(spec, i));
    }
    t.cluster = spec.name;
    ASSIGN_OR_RETURN(t.source, ChooseSource(spec.name, members, f.from));
    return t;
  }
  // Arguments first, then the token file: a typo in a flag costs no file read.
  if (!f.cluster.empty() && !ParseIdentity(PodName(f.cluster, 0)).ok()) {
    return InvalidArgument("--cluster '{}' is not a StatefulSet name (a DNS label)",
                           Printable(f.cluster));
  }
  std::optional<HostPort> host;
  if (kind == BackupTargetKind::kHost) {
    ASSIGN_OR_RETURN(host, ParseFromHost(f.from_host));
    ASSIGN_OR_RETURN(t.source.name, MemberNameForHost(*host, f.from));
  }
  // The token: --token-file, else where the agent's Secret is mounted. Never from argv.
  const std::string file = f.token_file.empty() ? MemberFlags{}.secrets_dir + "/" + kBackupTokenFile
                                                : Absolute(f.token_file);
  const size_t slash = file.rfind('/');
  ASSIGN_OR_RETURN(std::string token,
                   ReadSecretFile(fs, file.substr(0, slash), file.c_str() + slash + 1));
  t.secrets = ThrowawaySecrets(std::move(token));
  if (kind == BackupTargetKind::kHost) {
    t.source.host = host->host;
    t.source.port = host->port;
    t.cluster = f.cluster.empty() ? ParseIdentity(t.source.name)->set_name : f.cluster;
    return t;
  }
  t.cluster = f.cluster;
  const uint32_t n = f.members == 0 ? kDefaultMembersToAsk : f.members;
  std::vector<MemberAddress> members;
  for (uint32_t i = 0; i < n; ++i) members.push_back(AddressOf(f.layout, f.cluster, i));
  ASSIGN_OR_RETURN(t.source, ChooseSource(f.cluster, members, f.from));
  return t;
}

int RunBackupCmd(const BackupFlags& f) {
  SetUpLogging("backup", "warn");
  PosixFileSystem fs;
  PosixProcessRunner runner;
  RealClock clock;
  auto target = ResolveBackupTarget(fs, f);
  if (!target.ok()) return ReportError("backup", target.status());
  auto repo = backup::OpenRepository(f.repo, fs, runner, /*create=*/true);
  if (!repo.ok()) return ReportError("backup", repo.status());
  const backup::BackupSource& source = target->source;
  backup::BackupRunOptions o;
  o.on_connected = [&] {
    std::fprintf(stderr, "Backing up cluster '%s' from %s (%s:%u) into %s\n",
                 target->cluster.c_str(), source.name.c_str(), source.host.c_str(),
                 static_cast<unsigned>(source.port), (*repo)->Describe().c_str());
  };
  o.cluster = target->cluster;
  o.source = source;
  o.backup_token = target->secrets.backup_token;
  o.zstd_level = f.zstd_level;
  o.on_progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
  NetBackupDialer dialer;
  PosixPipedProcessStarter pipes;
  backup::BackupRunEnv env{fs, clock, dialer, pipes, **repo};
  auto m = backup::RunBackup(env, o);
  if (!m.ok()) return ReportError("backup", m.status());
  std::printf("Backup %s published in %s: GTID %s, %s stored (%s streamed) in %lld s\n",
              m->id.c_str(), (*repo)->Describe().c_str(),
              m->gtid.empty() ? "(none)" : m->gtid.c_str(),
              HumanBytes(m->objects.at(0).bytes).c_str(), HumanBytes(m->stream_bytes).c_str(),
              static_cast<long long>(m->finished_at_unix - m->started_at_unix));
  if (f.verify) {
    std::fflush(stdout);
    Status st = VerifyBackup(fs, runner, clock, **repo, *m, target->secrets, f.use_memory);
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
  bool failures = false;
};

// Deletes (with --prune) or shows one pruned object; the exit code.
int PruneOne(bool prune, const char* what, const std::string& id,
             const std::function<Status()>& remove) {
  if (!prune) {
    std::printf("would prune %s%s (add --prune to delete)\n", what, id.c_str());
    return kExitOk;
  }
  if (Status st = remove(); !st.ok()) {
    return ReportError("backups", st.Annotate(fmt::format("prune {}{}", what, id)));
  }
  std::printf("pruned %s%s\n", what, id.c_str());
  return kExitOk;
}

// --keep-last/--keep-days: the backups the policy prunes (core/backup_choice.h), then the
// archived binlogs no kept backup can use (core/binlog_retention.h), deleted with --prune,
// else only shown. Backups first: a prune interrupted between the two leaves binlogs that
// are merely unneeded, never a kept backup without its binlogs.
int PruneBackups(backup::Repository& repo, const std::vector<backup::CatalogEntry>& list,
                 const BackupsFlags& f) {
  RealClock clock;
  auto ids =
      BackupsToPrune(backup::EntriesOf(list), {f.keep_last, f.keep_days}, clock.UnixSeconds());
  if (!ids.ok()) return ReportError("backups", ids.status());
  auto binlogs = backup::ListBinlogs(repo);
  if (!binlogs.ok()) return ReportError("backups", binlogs.status());
  std::vector<backup::CatalogEntry> kept;
  for (const auto& e : list) {
    if (std::find(ids->begin(), ids->end(), e.manifest.id) == ids->end()) kept.push_back(e);
  }
  const auto binlog_ids = BinlogsToPrune(backup::RestorablesOf(kept), backup::ArchivedOf(*binlogs));
  // Every failure record, not only the newest few: retention must reach the old ones.
  auto failed = backup::ListFailures(repo, std::numeric_limits<size_t>::max());
  if (!failed.ok()) return ReportError("backups", failed.status());
  std::optional<int64_t> newest_kept;
  for (const auto& e : kept)
    newest_kept = std::max(newest_kept.value_or(0), e.manifest.finished_at_unix);
  const auto failure_ids = FailuresToPrune(backup::FailedEntriesOf(*failed), newest_kept);
  if (ids->empty() && binlog_ids.empty() && failure_ids.empty()) {
    std::printf("Nothing to prune in %s\n", repo.Describe().c_str());
  }
  for (const auto& id : *ids) {
    const int rc = PruneOne(f.prune, "", id, [&] { return backup::PruneBackup(repo, id); });
    if (rc != kExitOk) return rc;
  }
  for (const auto& id : binlog_ids) {
    const int rc = PruneOne(f.prune, "binlog ", id, [&] { return backup::PruneBinlog(repo, id); });
    if (rc != kExitOk) return rc;
  }
  // Last: a prune interrupted before them leaves old failure records, which count nothing.
  for (const auto& id : failure_ids) {
    const int rc =
        PruneOne(f.prune, "failure record ", id, [&] { return backup::PruneFailure(repo, id); });
    if (rc != kExitOk) return rc;
  }
  return kExitOk;
}

// The failed runs since the newest backup (among the newest failure records), as the
// backup-failure metrics count them: text, or with --json one object.
int PrintFailures(const std::vector<backup::CatalogEntry>& list,
                  const std::vector<formats::BackupFailure>& failed, bool json) {
  const int64_t last_success = BackupAgeOf(backup::EntriesOf(list)).last_success_unix;
  const BackupFailures counted = BackupFailuresOf(backup::FailedEntriesOf(failed), last_success);
  std::vector<formats::BackupFailure> since;
  for (const auto& f : failed) {
    if (EndedAfter({f.id, f.ended_at_unix_ms}, last_success)) since.push_back(f);
  }
  if (json) {
    nlohmann::json records = nlohmann::json::array();
    for (const auto& f : since) records.push_back(nlohmann::json::parse(formats::ToJson(f)));
    const nlohmann::json out = {{"failures_since_last_success", counted.since_last_success},
                                {"last_failure_unix", counted.last_failure_unix},
                                {"failures", records}};
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("Failed backups since the newest one: %lld\n",
              static_cast<long long>(counted.since_last_success));
  for (const auto& f : since) {
    std::printf("  FAILED %s ended %s: %s\n", f.id.c_str(),
                FormatUtcTime(f.ended_at_unix_ms / 1000).c_str(), f.error.c_str());
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
  auto failed = backup::ListFailures(**repo);
  if (!failed.ok()) return ReportError("backups", failed.status());
  if (f.failures) return PrintFailures(*list, *failed, f.json);
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
    return PrintFailures(*list, *failed, false);
  }
  std::printf("%-36s %-20s %-10s %-24s %10s  %s\n", "ID", "FINISHED", "SOURCE", "GTID", "SIZE",
              "VERIFIED");
  for (const auto& e : *list) {
    const auto& m = e.manifest;
    uint64_t bytes = 0;
    for (const auto& o : m.objects) bytes += o.bytes;
    std::printf("%-36s %-20s %-10s %-24s %10s  %s\n", m.id.c_str(),
                FormatUtcTime(m.finished_at_unix).c_str(), m.source_member.c_str(),
                m.gtid.empty() ? "-" : m.gtid.c_str(), HumanBytes(bytes).c_str(),
                e.verification ? FormatUtcTime(e.verification->verified_at_unix).c_str() : "no");
  }
  if (const int rc = PrintRecoveryWindow(**repo, *list); rc != kExitOk) return rc;
  return PrintFailures(*list, *failed, false);
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
  f->dir_option = AddClusterDirFlag(app, f->dir);
  app.add_option("--repo", f->repo, "Backup repository: a directory, or rclone:REMOTE:PATH")
      ->required();
  app.add_option("--from", f->from,
                 "Member to stream from (NAME-N); default: the least-lagging ready replica, "
                 "else the ready primary");
  // Without a cluster dir (a Kubernetes CronJob): docs/backup.md, "Kubernetes".
  const char* kRemote = "Without a cluster dir (Kubernetes)";
  app.add_option("--cluster", f->cluster,
                 "Back up the members NAME-0 .. NAME-(N-1) at their addresses (--peer-host, "
                 "--http-port, --backup-port) instead of a local cluster dir; each is asked for "
                 "its /v1/status")
      ->group(kRemote);
  app.add_option("--from-host", f->from_host,
                 "Back up the member whose backup port is HOST:PORT (named by --from, else by "
                 "the host's first label, e.g. mysql-1.mysql:3307)")
      ->group(kRemote);
  app.add_option("--token-file", f->token_file,
                 "With --cluster or --from-host: the file holding the cluster's backup-token "
                 "(default: /etc/mysqlset/secrets/backup-token)")
      ->group(kRemote);
  app.add_option("--members", f->members,
                 "With --cluster: how many members to ask (NAME-0 .. NAME-(N-1)); members that "
                 "do not exist are skipped. Default: 9")
      ->check(CLI::Range(1, 1000))
      ->group(kRemote);
  app.add_option("--service", f->layout.service,
                 "With --cluster: the headless Service in member addresses (default: NAME)")
      ->group(kRemote);
  app.add_option("--peer-host", f->layout.host_template,
                 "With --cluster: a member's address; {pod}, {service} and {ordinal} expand")
      ->capture_default_str()
      ->group(kRemote);
  app.add_option("--http-port", f->layout.agent_port, "With --cluster: the agents' HTTP port")
      ->capture_default_str()
      ->group(kRemote);
  app.add_option("--backup-port", f->layout.backup_port,
                 "With --cluster: the agents' backup stream port")
      ->capture_default_str()
      ->group(kRemote);
  app.add_option("--port-stride", f->layout.port_stride,
                 "With --cluster: ports of member N are the ports above + N * stride (0 on "
                 "Kubernetes; a local cluster's members share one host)")
      ->capture_default_str()
      ->group(kRemote);
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
  auto* keep_last =
      app.add_option("--keep-last", f->keep_last,
                     "Retention: keep the newest N backups (with --keep-days, either keeps); shows "
                     "what the policy prunes, --prune deletes it. The newest verified backup is "
                     "always kept")
          ->check(CLI::Range(0, 100000));
  auto* keep_days = app.add_option("--keep-days", f->keep_days,
                                   "Retention: keep backups finished in the last D days")
                        ->check(CLI::Range(0, 100000));
  auto* prune =
      app.add_flag("--prune", f->prune,
                   "Delete what --keep-last/--keep-days prune, then the failure records older than "
                   "the newest kept backup");
  app.add_flag("--failures", f->failures,
               "Only the backup runs that failed since the newest backup (their failure "
               "records; with --json one object)")
      ->excludes(keep_last)
      ->excludes(keep_days)
      ->excludes(prune);
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
                 "mariadbd port of the new cluster's NAME-0, laid out as for `up` (keep it apart "
                 "from the old cluster's ports)")
      ->check(CLI::Range(local::kMinBasePort, local::kMaxBasePort))
      ->capture_default_str();
  app.add_option("--use-memory", f->use_memory, "Buffer pool for mariabackup --prepare")
      ->capture_default_str();
  return [f]() { return RunRestoreCmd(*f); };
}

}  // namespace mysqlset::cmd
