#include "agent/data_step.h"

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

  auto run = [&](ProcessSpec spec, std::string_view what) -> Status {
    spec.output_file = o.log_file;
    ASSIGN_OR_RETURN(ProcessResult r, runner.Run(spec));
    if (!r.ok()) {
      return Internal("{} failed (exit {}, signal {}){}{}", what, r.exit_code, r.term_signal,
                      r.output.empty() ? "" : ": ", r.output.substr(0, 2000));
    }
    return Status::Ok();
  };

  ProcessSpec install;
  install.argv = {"mariadb-install-db", "--no-defaults", "--datadir=" + staging,
                  "--auth-root-authentication-method=socket", "--skip-test-db",
                  "--skip-name-resolve", "--tmpdir=" + tmpdir};
  if (o.run_as_root) install.argv.push_back("--user=root");
  RETURN_IF_ERROR(run(install, "mariadb-install-db"));

  // Passwords travel on stdin of a server that listens on no port, never in argv.
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
