#include "agent/data_step.h"

#include "agent/backup_source.h"
#include "common/logging.h"
#include "core/mycnf.h"
#include "mariadb/dialect.h"
#include "nlohmann/json.hpp"

namespace mysqlset {

Result<DataState> InspectAndDiscardIncomplete(FileSystem& fs, const std::string& data_dir) {
  const std::string datadir = DatadirOf(data_dir);
  const DataState state = ClassifyData(fs.IsDirectory(datadir), fs.Exists(MarkerPathOf(data_dir)));
  if (state == DataState::kIncomplete) {
    const std::string aside = DiscardedPathOf(data_dir);
    spdlog::warn("datadir {} has no completion marker: an earlier bootstrap or clone was "
                 "interrupted; moving it to {} and starting over",
                 datadir, aside);
    RETURN_IF_ERROR(fs.RemoveAll(aside));
    RETURN_IF_ERROR(fs.Rename(datadir, aside));
  }
  return state;
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

Status WriteCompletionMarker(FileSystem& fs, const Clock& clock, const std::string& data_dir,
                             const std::string& source, const std::string& detail) {
  nlohmann::json marker = {
      {"source", source}, {"detail", detail}, {"completed_at_unix", clock.UnixSeconds()}};
  return fs.WriteFileAtomic(MarkerPathOf(data_dir), marker.dump() + "\n", 0644);
}

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

  // mariadb-install-db is a shell script that splits a path with a space wherever it expands
  // one unquoted: extra options (so --tmpdir is passed as TMPDIR, which mariadbd reads, via
  // env(1)) and `chown $user $dir` for --user (so root is passed as -uroot, which the script
  // hands to mariadbd as it is, and it does no chown). --datadir is quoted throughout.
  ProcessSpec install;
  install.argv = {"env",
                  "TMPDIR=" + tmpdir,
                  "mariadb-install-db",
                  "--no-defaults",
                  "--datadir=" + staging,
                  "--auth-root-authentication-method=socket",
                  "--skip-test-db",
                  "--skip-name-resolve"};
  if (o.run_as_root) install.argv.push_back("-uroot");
  RETURN_IF_ERROR(run(install, "mariadb-install-db"));

  // Passwords travel on stdin of a server that listens on no port, never in argv. The
  // script also drops the unix_socket superusers install-db made (see
  // FreshDatadirAccounts).
  ProcessSpec secure;
  secure.argv = {"mariadbd", "--no-defaults", "--bootstrap", "--datadir=" + staging,
                 "--skip-networking", "--log-warnings=0", "--tmpdir=" + tmpdir};
  if (o.run_as_root) secure.argv.push_back("--user=root");
  secure.stdin_data =
      dialect::SecureBootstrapScript(MysqlsetAccounts(secrets), dialect::QuoteLiteral);
  RETURN_IF_ERROR(run(secure, "securing the fresh datadir (mariadbd --bootstrap)"));

  RETURN_IF_ERROR(fs.RemoveAll(tmpdir));
  RETURN_IF_ERROR(fs.Rename(staging, datadir));
  return WriteCompletionMarker(fs, clock, o.data_dir, "bootstrap", "fresh datadir");
}

}  // namespace mysqlset
