#include "backup/restore_run.h"

#include "agent/backup_source.h"
#include "agent/clone_receiver.h"
#include "agent/data_step.h"
#include "backup/backup_run.h"
#include "core/data_state.h"
#include "core/mycnf.h"
#include "core/pitr.h"
#include "fmt/format.h"
#include "mariadb/dialect.h"
#include "mariadb/tools.h"

namespace mysqlset::backup {

Result<std::string> FetchVerified(Repository& repo, const formats::BackupManifest& manifest,
                                  const std::string& scratch_dir) {
  std::string xbstream;
  for (const auto& o : manifest.objects) {
    const std::string key = formats::BackupKey(manifest.id, o.name);
    auto fetched = repo.Fetch(key, scratch_dir);
    if (!fetched.ok()) return fetched.status().Annotate(fmt::format("object {}", key));
    const std::string path = *fetched;
    ASSIGN_OR_RETURN(const FileDigest d, DigestFile(path));
    if (d.sha256 != o.sha256 || d.bytes != o.bytes) {
      return DataLoss(
          "object {} in {} is corrupt: SHA-256 {} ({} bytes), the manifest says {} ({} bytes); "
          "restore another backup (mysqlset backups --repo lists them)",
          key, repo.Describe(), d.sha256, d.bytes, o.sha256, o.bytes);
    }
    if (o.name == formats::kXbstreamObject) xbstream = path;
  }
  if (xbstream.empty()) {
    return DataLoss("backup {} has no {} object", manifest.id, formats::kXbstreamObject);
  }
  return xbstream;
}

Result<std::vector<std::string>> FetchSegmentsVerified(
    Repository& repo, const std::vector<formats::BinlogSegment>& segments,
    const std::string& scratch_dir) {
  std::vector<std::string> out;
  for (const auto& s : segments) {
    const std::string key = formats::SegmentKey(s.id, s.file);
    auto fetched = repo.Fetch(key, scratch_dir);
    if (!fetched.ok()) {
      return fetched.status().Annotate(fmt::format(
          "archived binlog {} of the recovery range ({} .. {})", key, s.start_gtid, s.end_gtid));
    }
    ASSIGN_OR_RETURN(const FileDigest d, DigestFile(*fetched));
    if (d.sha256 != s.sha256 || d.bytes != s.bytes) {
      return DataLoss(
          "object {} in {} is corrupt: SHA-256 {} ({} bytes), its record says {} ({} bytes); "
          "choose a target before it or restore the backup alone",
          key, repo.Describe(), d.sha256, d.bytes, s.sha256, s.bytes);
    }
    out.push_back(*fetched);
  }
  return out;
}

namespace {

class Build {
 public:
  Build(RestoreEnv& env, const RestoreDataOptions& o, const formats::BackupManifest& m,
        const Secrets& secrets)
      : env_(env), o_(o), m_(m), secrets_(secrets), staging_(StagingPathOf(o.data_dir)) {}

  Result<RestoredData> Go(const std::string& object) {
    FileSystem& fs = env_.fs;
    RETURN_IF_ERROR(fs.RemoveAll(staging_));
    RETURN_IF_ERROR(fs.MakeDirs(staging_, 0750));
    RETURN_IF_ERROR(fs.MakeDirs(o_.work_dir + "/tmp", 0700));
    Result<RestoredData> r = Steps(object);
    if (!r.ok()) (void)fs.RemoveAll(staging_);
    return r;
  }

 private:
  Result<RestoredData> Steps(const std::string& object) {
    RETURN_IF_ERROR(UnpackObject(env_.runner, object, staging_, Log("unpack")));
    RETURN_IF_ERROR(RunTool(tools::PrepareBackupArgv(staging_, o_.use_memory),
                            "mariabackup --prepare", "prepare"));
    RETURN_IF_ERROR(RollBackPrepared());
    RestoredData out;
    RETURN_IF_ERROR(CheckAndAdapt(out));
    if (out.gtid != expected_gtid_) {
      return DataLoss(
          "the restored server reports GTID {}, the manifest of {} (and the replayed "
          "binlogs) say {}",
          out.gtid.empty() ? "(none)" : out.gtid, m_.id, expected_gtid_);
    }
    RETURN_IF_ERROR(InstallDatadir(env_.fs, env_.clock, staging_, o_.data_dir, "restore",
                                   fmt::format("backup {} at GTID {}", m_.id, out.gtid)));
    return out;
  }

  std::string Log(const std::string& step) const { return o_.work_dir + "/" + step + ".log"; }

  Status RunTool(std::vector<std::string> argv, const std::string& what, const std::string& step,
                 std::string stdin_data = "", std::string* output = nullptr) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.stdin_data = std::move(stdin_data);
    if (!output) spec.output_file = Log(step);
    spec.timeout = std::chrono::hours(6);
    auto r = env_.runner.Run(spec);
    if (!r.ok()) return r.status().Annotate(what);
    if (!r->ok()) {
      const std::string tail =
          output ? TailLines(r->output, 3, SecretValues(secrets_)) : "see " + Log(step);
      return Internal("{} failed (exit {}): {}", what, r->exit_code, tail);
    }
    if (output) *output = r->output;
    return Status::Ok();
  }

  // Before the throwaway server can start: transactions the backup left prepared
  // (tools::RollbackPreparedArgv says why). The pass always exits non-zero; its log says
  // whether it did its work.
  Status RollBackPrepared() {
    ProcessSpec spec;
    spec.argv = tools::RollbackPreparedArgv(staging_, o_.work_dir + "/s.sock", o_.work_dir + "/tmp",
                                            o_.run_as_root);
    spec.output_file = Log("rollback-prepared");
    spec.timeout = std::chrono::hours(1);
    auto r = env_.runner.Run(spec);
    if (!r.ok()) return r.status().Annotate("rolling back prepared transactions");
    auto log = env_.fs.ReadFile(Log("rollback-prepared"));
    if (log.ok() && tools::RollbackPreparedSucceeded(*log)) return Status::Ok();
    return Internal(
        "rolling back the transactions the backup left prepared failed (exit {}); see {}",
        r->exit_code, Log("rollback-prepared"));
  }

  // The throwaway server: started, checked, adapted, shut down by the script's SHUTDOWN.
  Status CheckAndAdapt(RestoredData& out) {
    const std::string socket = o_.work_dir + "/s.sock";
    ASSIGN_OR_RETURN(auto server,
                     env_.pipes.Start(tools::RestoreServerArgv(
                                          staging_, socket, o_.work_dir + "/tmp", o_.run_as_root),
                                      Log("mariadbd")));
    Status st = Checks(socket, out);
    if (!st.ok()) {
      server->Kill();
      return st;
    }
    const ProcessResult done = server->Finish();  // SHUTDOWN was the script's last statement
    if (!done.ok()) {
      return Internal("the throwaway mariadbd exited with {} after SHUTDOWN; see {}",
                      done.exit_code, Log("mariadbd"));
    }
    return Status::Ok();
  }

  Status Checks(const std::string& socket, RestoredData& out) {
    const std::vector<std::string> client = {"--no-defaults", "--socket=" + socket, "-uroot"};
    auto with = [&](std::vector<std::string> argv) {
      argv.insert(argv.begin() + 1, client.begin(), client.end());
      return argv;
    };
    // Bounded wait for the socket to answer.
    const auto until = env_.clock.Now() + o_.server_start_timeout;
    while (true) {
      ProcessSpec ping;
      ping.argv = with({"mariadb-admin", "ping"});
      ping.timeout = std::chrono::seconds(10);
      auto r = env_.runner.Run(ping);
      if (r.ok() && r->ok()) break;
      if (env_.clock.Now() >= until) {
        return DeadlineExceeded(
            "the throwaway mariadbd on the restored data did not answer in "
            "{} s; see {}",
            o_.server_start_timeout.count(), Log("mariadbd"));
      }
      env_.clock.SleepFor(std::chrono::milliseconds(300));
    }
    std::string check;
    RETURN_IF_ERROR(
        RunTool(with({"mariadb-check", "--all-databases"}), "mariadb-check", "check", "", &check));
    int tables = 0;
    for (size_t start = 0; start < check.size();) {
      size_t end = check.find('\n', start);
      if (end == std::string::npos) end = check.size();
      const std::string line = check.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      if (line.find("Error") != std::string::npos || line.find("error") != std::string::npos) {
        return DataLoss("mariadb-check on the restored data: {}", line);
      }
      if (line.size() >= 2 && line.compare(line.size() - 2, 2, "OK") == 0) ++tables;
    }
    out.tables_report = fmt::format("mariadb-check: {} tables OK", tables);
    RETURN_IF_ERROR(Replay(socket, with));
    std::string result;
    RETURN_IF_ERROR(RunTool(
        with({"mariadb", "--batch", "--skip-column-names"}), "adapting the restored data", "adapt",
        dialect::RestoreScript(MysqlsetAccounts(secrets_), expected_gtid_, dialect::QuoteLiteral),
        &result));
    const auto at = result.find("gtid=");
    if (at == std::string::npos) return Internal("adapting the restored data: no GTID printed");
    out.gtid = result.substr(at + 5, result.find('\n', at) - at - 5);
    return Status::Ok();
  }

  // Archived binlogs piped into the throwaway server, one file at a time, each from the
  // state reached before it. The server binlogs what it applies under the original GTIDs,
  // so its gtid_binlog_pos afterwards is the restored position.
  template <typename With>
  Status Replay(const std::string& socket, const With& with) {
    const BinlogReplay& r = o_.replay;
    for (size_t i = 0; i < r.files.size(); ++i) {
      std::vector<std::string> binlog = {"mariadb-binlog"};
      if (!r.files[i].start_after.empty()) {
        binlog.push_back("--start-position=" + r.files[i].start_after);
      }
      if (i + 1 == r.files.size()) {
        if (!r.stop_gtid.empty()) binlog.push_back("--stop-position=" + r.stop_gtid);
        if (r.stop_unix) {
          // mariadb-binlog reads the stop time in its local zone: pinned to UTC below.
          binlog.push_back("--stop-datetime=" + UtcDatetime(*r.stop_unix));
        }
      }
      binlog.push_back(r.files[i].path);
      std::string script = "set -euo pipefail; TZ=UTC";
      for (const auto& a : binlog) script += " " + ShellQuote(a);
      script += " | mariadb --no-defaults --socket=" + ShellQuote(socket) + " -uroot --binary-mode";
      RETURN_IF_ERROR(RunTool({"bash", "-c", script}, fmt::format("replaying {}", r.files[i].path),
                              fmt::format("replay-{}", i)));
    }
    if (r.files.empty()) return Status::Ok();
    std::string pos;
    RETURN_IF_ERROR(RunTool(with({"mariadb", "--batch", "--skip-column-names", "-e",
                                  "SELECT @@GLOBAL.gtid_binlog_pos"}),
                            "reading the GTID after the replay", "replayed", "", &pos));
    while (!pos.empty() && (pos.back() == '\n' || pos.back() == ' ')) pos.pop_back();
    auto replayed = GtidList::Parse(pos);
    auto base = GtidList::Parse(m_.gtid);
    if (!replayed.ok() || !base.ok()) return Internal("after the replay: GTID '{}'", pos);
    expected_gtid_ = HigherOf(*base, *replayed).ToString();
    return Status::Ok();
  }

  static std::string ShellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  static std::string UtcDatetime(int64_t unix_seconds) {
    const time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
  }

  RestoreEnv& env_;
  const RestoreDataOptions& o_;
  const formats::BackupManifest& m_;
  const Secrets& secrets_;
  const std::string staging_;
  std::string expected_gtid_ = m_.gtid;  // the manifest's, or where the replay ended
};

}  // namespace

Result<RestoredData> BuildRestoredDatadir(RestoreEnv& env, const RestoreDataOptions& options,
                                          const formats::BackupManifest& manifest,
                                          const std::string& object, const Secrets& secrets) {
  return Build(env, options, manifest, secrets).Go(object);
}

}  // namespace mysqlset::backup
