#include "agent/data_step.h"

#include <algorithm>

#include "agent/backup_source.h"
#include "agent/datadir_template.h"
#include "common/logging.h"
#include "core/mycnf.h"
#include "formats/clone_record.h"
#include "mariadb/dialect.h"
#include "mariadb/tools.h"
#include "nlohmann/json.hpp"

namespace mysqlset {

namespace {

std::string Mib(uint64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

// A name under DATA not yet taken: mysql.discarded.<now>, then -2, -3 ...
std::string FreeKeptPath(const FileSystem& fs, const Clock& clock, const std::string& data_dir) {
  const int64_t now = clock.UnixSeconds();
  for (int attempt = 1;; ++attempt) {
    const std::string path = data_dir + "/" + KeptDatadirName(now, attempt);
    if (!fs.Exists(path)) return path;
  }
}

}  // namespace

DatadirEvidence GatherDatadirEvidence(const FileSystem& fs, const std::string& data_dir) {
  const std::string datadir = DatadirOf(data_dir);
  DatadirEvidence e;
  e.datadir = fs.IsDirectory(datadir);
  e.marker = fs.Exists(MarkerPathOf(data_dir));
  e.pending_marker = fs.Exists(PendingMarkerPathOf(data_dir));
  e.clone_record = fs.Exists(formats::CloneRecordPath(data_dir));
  if (!e.datadir) return e;
  e.ibdata1 = fs.Exists(datadir + "/ibdata1");
  e.redo_log = fs.Exists(datadir + "/ib_logfile0");
  e.system_tables = fs.Exists(datadir + "/mysql/global_priv.MAD");
  for (const char* name : {"mariadb_backup_checkpoints", "xtrabackup_checkpoints"}) {
    if (auto text = fs.ReadFile(datadir + "/" + name); text.ok()) {
      e.backup_type = BackupTypeOf(*text).value_or("(unreadable)");
      break;
    }
  }
  return e;
}

std::vector<KeptDatadir> ListKeptDatadirs(const FileSystem& fs, const std::string& data_dir) {
  std::vector<KeptDatadir> kept;
  auto names = fs.ListDir(data_dir);
  if (!names.ok()) return kept;
  std::sort(names->begin(), names->end());  // the timestamp in the name sorts by age
  for (const std::string& name : *names) {
    KeptDatadir k;
    if (!IsKeptDatadirName(name, &k.kept_at)) continue;
    k.path = data_dir + "/" + name;
    if (!fs.IsDirectory(k.path)) continue;
    if (auto bytes = fs.TreeBytes(k.path); bytes.ok()) k.bytes = *bytes;
    kept.push_back(std::move(k));
  }
  return kept;
}

std::string DescribeKeptDatadirs(const std::vector<KeptDatadir>& kept) {
  std::string out;
  for (const KeptDatadir& k : kept) {
    out += fmt::format("{}{} ({}{}{})", out.empty() ? "kept datadirs: " : ", ", k.path,
                       Mib(k.bytes), k.kept_at.empty() ? "" : ", kept ", k.kept_at);
  }
  return out;
}

Status SetAsideForReclone(FileSystem& fs, const Clock& clock, const std::string& data_dir) {
  const std::string request = RecloneRequestPathOf(data_dir);
  if (!fs.Exists(request)) return Status::Ok();
  const std::string datadir = DatadirOf(data_dir);
  auto why = fs.ReadFile(request);
  if (fs.IsDirectory(datadir)) {
    const std::string aside = FreeKeptPath(fs, clock, data_dir);
    spdlog::warn(
        "datadir {}: its agent asked for a re-clone ({}); keeping it as {} (mysqlset "
        "never deletes it) and cloning a healthy peer",
        datadir, why.ok() ? *why : "no reason recorded", aside);
    RETURN_IF_ERROR(fs.Rename(datadir, aside));
  }
  // The rename first: until it is done, the marker still vouches for the datadir in place.
  for (const std::string& path : {MarkerPathOf(data_dir), formats::CloneRecordPath(data_dir)}) {
    if (fs.Exists(path)) RETURN_IF_ERROR(fs.RemoveAll(path));
  }
  return fs.RemoveAll(request);
}

Result<DataState> InspectDatadir(FileSystem& fs, const Clock& clock, const std::string& data_dir) {
  const std::string datadir = DatadirOf(data_dir);
  const DataVerdict v = ClassifyData(GatherDatadirEvidence(fs, data_dir));
  switch (v.state) {
    case DataState::kReady:
      return v.state;
    case DataState::kEmpty:
      // A pending marker without a datadir: an install cut before its rename. It is ours
      // and holds no data; it must not vouch for a datadir that appears later.
      if (fs.Exists(PendingMarkerPathOf(data_dir))) {
        RETURN_IF_ERROR(fs.RemoveAll(PendingMarkerPathOf(data_dir)));
      }
      return v.state;
    case DataState::kInstallCut:
      spdlog::warn("datadir {}: {}; finishing the install", datadir, v.why);
      RETURN_IF_ERROR(fs.Rename(PendingMarkerPathOf(data_dir), MarkerPathOf(data_dir)));
      return DataState::kReady;
    case DataState::kIncomplete: {
      const std::string aside = FreeKeptPath(fs, clock, data_dir);
      spdlog::warn(
          "datadir {} has no completion marker and was never finished ({}); keeping "
          "it as {} (mysqlset never deletes it) and starting over",
          datadir, v.why, aside);
      RETURN_IF_ERROR(fs.Rename(datadir, aside));
      return v.state;
    }
    case DataState::kUnmarked:
      return FailedPrecondition(
          "data present but completion marker missing: {} ({}); to accept it, create the "
          "marker (touch '{}') and start again; to start over instead, move {} out of {} "
          "yourself; refusing to discard it",
          datadir, v.why, MarkerPathOf(data_dir), datadir, data_dir);
  }
  return v.state;
}

Status CheckDatadirIsNotAFile(const FileSystem& fs, const std::string& data_dir) {
  const std::string datadir = DatadirOf(data_dir);
  // Exists() does not follow symlinks, IsDirectory() does.
  if (!fs.Exists(datadir) || fs.IsDirectory(datadir)) return Status::Ok();
  return FailedPrecondition(
      "{} is not a directory (a file or a dangling symlink): mysqlset "
      "keeps it as it is; move it away, or restore the datadir it should "
      "be, then run clone again",
      datadir);
}

Status InstallDatadir(FileSystem& fs, const Clock& clock, const std::string& staging,
                      const std::string& data_dir, const std::string& source,
                      const std::string& detail) {
  nlohmann::json marker = {
      {"source", source}, {"detail", detail}, {"completed_at_unix", clock.UnixSeconds()}};
  // Safety order: the pending marker first, then the datadir appears by one rename, then
  // the marker by another. A kill before the first rename leaves no datadir (redone); after
  // it, a datadir beside the pending marker, which the next run finishes (kInstallCut).
  RETURN_IF_ERROR(fs.WriteFileAtomic(PendingMarkerPathOf(data_dir), marker.dump() + "\n", 0644));
  if (Status st = fs.Rename(staging, DatadirOf(data_dir)); !st.ok()) {
    // Nothing was installed: the pending marker must not vouch for whatever appears at
    // DATA/mysql later (ClassifyData also requires intact files beside it).
    (void)fs.RemoveAll(PendingMarkerPathOf(data_dir));
    return st;
  }
  return fs.Rename(PendingMarkerPathOf(data_dir), MarkerPathOf(data_dir));
}

namespace {

// The template cache's key for this mariadbd and install options; "" when the cache is off
// or there is no key (logged: the bootstrap just runs mariadb-install-db).
std::string TemplateKeyOrNone(ProcessRunner& runner, const BootstrapOptions& o) {
  if (o.template_cache_dir.empty()) return "";
  auto key = CurrentTemplateKey(runner, tools::InstallDbArgv("DATADIR", "TMPDIR", o.run_as_root));
  if (!key.ok()) {
    spdlog::warn("no datadir template: {}", key.status().message());
    return "";
  }
  return *key;
}

// True when the template for `key` was verified and copied into `staging`; otherwise
// `staging` is empty again for mariadb-install-db.
bool CopiedFromTemplate(FileSystem& fs, const BootstrapOptions& o, const std::string& key,
                        const std::string& staging) {
  Status st = CopyTemplateInto(fs, o.template_cache_dir, key, staging);
  if (st.ok()) {
    spdlog::info("system tables copied from the verified template {}/{}", o.template_cache_dir,
                 key);
    return true;
  }
  if (st.code() != StatusCode::kNotFound) {
    spdlog::warn("{}; running {} instead", st.message(), tools::kInstallDb);
  }
  (void)fs.RemoveAll(staging);
  (void)fs.MakeDirs(staging, 0750);
  return false;
}

}  // namespace

Status BootstrapFreshDatadir(FileSystem& fs, ProcessRunner& runner, const Clock& clock,
                             const BootstrapOptions& o, const Secrets& secrets) {
  const std::string datadir = DatadirOf(o.data_dir);
  CHECK(!fs.Exists(datadir));
  const std::string staging = StagingPathOf(o.data_dir);
  RETURN_IF_ERROR(fs.RemoveAll(staging));
  RETURN_IF_ERROR(fs.MakeDirs(staging, 0750));
  // A private tmpdir: bootstraps running side by side must not share /tmp's temp tables.
  const std::string tmpdir = staging + ".tmp";
  RETURN_IF_ERROR(fs.RemoveAll(tmpdir));
  RETURN_IF_ERROR(fs.MakeDirs(tmpdir, 0700));

  // One line on failure: the last lines of the tool's output (secrets masked), and no
  // staging left behind for the next run to trip over.
  auto run = [&](ProcessSpec spec, std::string_view what) -> Status {
    spec.output_file = o.log_file;
    auto r = runner.Run(spec);
    Status st = r.ok() ? Status::Ok() : r.status();
    if (r.ok() && !r->ok()) {
      st = Internal("{} failed (exit {}, signal {}){}{}", what, r->exit_code, r->term_signal,
                    r->output.empty() ? "" : ": ", TailLines(r->output, 3, SecretValues(secrets)));
    }
    if (!st.ok()) {
      (void)fs.RemoveAll(staging);
      (void)fs.RemoveAll(tmpdir);
    }
    return st;
  };

  const std::string key = TemplateKeyOrNone(runner, o);
  if (key.empty() || !CopiedFromTemplate(fs, o, key, staging)) {
    ProcessSpec install;
    install.argv = tools::InstallDbArgv(staging, tmpdir, o.run_as_root);
    RETURN_IF_ERROR(run(install, tools::kInstallDb));
    if (!key.empty()) {
      // Before the securing step: the template holds no accounts and no secrets.
      Status saved = SaveTemplate(fs, staging, o.template_cache_dir, key);
      if (!saved.ok()) spdlog::warn("{}", saved.message());
    }
  }

  // Passwords travel on stdin of a server that listens on no port, never in argv. The
  // script also drops the unix_socket superusers install-db made (see
  // FreshDatadirAccounts).
  ProcessSpec secure;
  secure.argv = tools::BootstrapServerArgv(staging, tmpdir, o.run_as_root);
  secure.stdin_data =
      dialect::SecureBootstrapScript(MysqlsetAccounts(secrets), dialect::QuoteLiteral);
  RETURN_IF_ERROR(
      run(secure, fmt::format("securing the fresh datadir ({} --bootstrap)", tools::kMariadbd)));

  RETURN_IF_ERROR(fs.RemoveAll(tmpdir));
  return InstallDatadir(fs, clock, staging, o.data_dir, "bootstrap", "fresh datadir");
}

}  // namespace mysqlset
