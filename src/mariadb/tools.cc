#include "mariadb/tools.h"

#include "fmt/format.h"

namespace mysqlset::tools {

std::vector<std::string> ExtractStreamArgv(const std::string& dir) {
  return {kMbstream, "-x", "-C", dir};
}

std::vector<std::string> StreamBackupArgv(const StreamBackup& b) {
  // --defaults-extra-file must come first or mariabackup ignores it.
  return {kMariabackup,        "--defaults-extra-file=" + b.option_file, "--backup",
          "--stream=xbstream", "--target-dir=" + b.target_dir,           "--datadir=" + b.datadir,
          "--host=127.0.0.1",  "--port=" + std::to_string(b.port),       "--user=" + b.user};
}

std::string BackupOptionFile(const std::string& user, const std::string& password, uint16_t port) {
  return fmt::format("[{}]\nuser={}\npassword={}\nhost=127.0.0.1\nport={}\n", kMariabackup, user,
                     password, port);
}

std::vector<std::string> PrepareBackupArgv(const std::string& dir, const std::string& use_memory) {
  std::vector<std::string> argv = {kMariabackup, "--prepare", "--target-dir=" + dir};
  if (!use_memory.empty()) argv.push_back("--use-memory=" + use_memory);
  return argv;
}

std::vector<std::string> InstallDbArgv(const std::string& datadir, const std::string& tmpdir,
                                       bool run_as_root) {
  // mariadb-install-db is a shell script that splits a path with a space wherever it expands
  // one unquoted: extra options (so --tmpdir is passed as TMPDIR, which mariadbd reads, via
  // env(1)) and `chown $user $dir` for --user (so root is passed as -uroot, which the script
  // hands to mariadbd as it is, and it does no chown). --datadir is quoted throughout.
  std::vector<std::string> argv = {"env",
                                   "TMPDIR=" + tmpdir,
                                   kInstallDb,
                                   "--no-defaults",
                                   "--datadir=" + datadir,
                                   "--auth-root-authentication-method=socket",
                                   "--skip-test-db",
                                   "--skip-name-resolve"};
  if (run_as_root) argv.push_back("-uroot");
  return argv;
}

std::vector<std::string> BootstrapServerArgv(const std::string& datadir, const std::string& tmpdir,
                                             bool run_as_root) {
  std::vector<std::string> argv = {
      kMariadbd,           "--no-defaults",    "--bootstrap",       "--datadir=" + datadir,
      "--skip-networking", "--log-warnings=0", "--tmpdir=" + tmpdir};
  // mariadbd refuses to run as root unless told to.
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

std::vector<std::string> RestoreServerArgv(const std::string& datadir, const std::string& socket,
                                           const std::string& tmpdir, bool run_as_root) {
  std::vector<std::string> argv = {kMariadbd,
                                   "--no-defaults",
                                   "--datadir=" + datadir,
                                   "--socket=" + socket,
                                   "--pid-file=" + tmpdir + "/mariadbd.pid",
                                   "--tmpdir=" + tmpdir,
                                   "--skip-networking",
                                   "--skip-grant-tables",
                                   "--skip-slave-start",
                                   "--log-bin=mysql-bin",
                                   "--server-id=1"};
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

std::vector<std::string> ServerArgv(const std::string& defaults_file, bool run_as_root,
                                    bool semi_sync) {
  std::vector<std::string> argv = {kMariadbd, "--defaults-file=" + defaults_file};
  // --init-rpl-role=SLAVE: after a crash, the binlog tail whose commit never completed (never
  // acknowledged under AFTER_SYNC semi-sync) is truncated, so an ex-primary rejoins as a
  // replica of the new one without a transaction it lacks (HA.md pitfall 6). Only with
  // semi-sync: without it, a commit acknowledged after the binlog fsync may still be only
  // prepared in InnoDB at the crash (its commit record is not fsynced; recovery normally
  // commits it from the binlog), and the truncation drops it (faults_test's primary kill -9
  // lost an acknowledged insert). It does not touch read_only (the option file's ON).
  if (semi_sync) argv.push_back("--init-rpl-role=SLAVE");
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

}  // namespace mysqlset::tools
