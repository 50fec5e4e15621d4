#include "mariadb/tools.h"

#include "core/disk_space.h"  // kDefaultInnodbLogFileSize
#include "fmt/format.h"

namespace mysqlset::tools {
namespace {

// The fresh datadir's redo log. At the default 96 MiB, creating (and syncing) it was most of
// mariadb-install-db's ~4 s on a quiet 2-core VM (2.4 s with this); the members' mariadbd,
// which runs with the default, resizes it at its first start (~0.5 s), as every clone's does
// after mariabackup --prepare left a log of a few KiB. The securing step runs with the same
// size, or it would resize the log too.
constexpr const char* kBootstrapRedoLog = "--innodb-log-file-size=4M";

}  // namespace

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
                                   "--skip-name-resolve",
                                   kBootstrapRedoLog};
  if (run_as_root) argv.push_back("-uroot");
  return argv;
}

std::vector<std::string> BootstrapServerArgv(const std::string& datadir, const std::string& tmpdir,
                                             bool run_as_root) {
  std::vector<std::string> argv = {
      kMariadbd,           "--no-defaults",    "--bootstrap",        "--datadir=" + datadir,
      "--skip-networking", "--log-warnings=0", "--tmpdir=" + tmpdir, kBootstrapRedoLog};
  // mariadbd refuses to run as root unless told to.
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

std::vector<std::string> RestoreServerArgv(const std::string& datadir, const std::string& socket,
                                           const std::string& tmpdir, bool run_as_root) {
  std::vector<std::string> argv = {
      kMariadbd, "--defaults-file=" + datadir + "/" + kBackupOptionsFile, "--datadir=" + datadir,
      "--socket=" + socket, "--pid-file=" + tmpdir + "/mariadbd.pid", "--tmpdir=" + tmpdir,
      "--skip-networking", "--skip-grant-tables", "--skip-slave-start",
      std::string("--log-bin=") + kRestoreServerBinlog, "--server-id=1",
      // Not the source's redo log size, which backup-my.cnf holds
      // and may be GiBs: this server runs in a work directory.
      "--innodb-log-file-size=" + std::to_string(kDefaultInnodbLogFileSize)};
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

std::vector<std::string> RollbackPreparedArgv(const std::string& datadir, const std::string& socket,
                                              const std::string& tmpdir, bool run_as_root,
                                              uint64_t redo_log_bytes) {
  std::vector<std::string> argv = RestoreServerArgv(datadir, socket, tmpdir, run_as_root);
  if (redo_log_bytes > 0) {
    argv.push_back("--innodb-log-file-size=" + std::to_string(redo_log_bytes));
  }
  argv.push_back("--tc-heuristic-recover=ROLLBACK");
  return argv;
}

bool RollbackPreparedSucceeded(const std::string& log_text) {
  return log_text.find(kRollbackPreparedDone) != std::string::npos &&
         log_text.find("Heuristic crash recovery failed") == std::string::npos;
}

std::vector<std::string> ServerArgv(const std::string& defaults_file, bool run_as_root) {
  // No --init-rpl-role=SLAVE (docs/roles.md "The old primary rejoins"): its truncation of a
  // crashed primary's prepared tail drops transactions that replicas already hold, and the
  // new primary can never send them back, because a replica's IO thread skips events that
  // carry its own server_id (failover_test saw one acknowledged insert missing for good).
  // Plain crash recovery commits the binlogged tail instead; a tail that no replica
  // received makes the member errant, and it is re-cloned.
  std::vector<std::string> argv = {kMariadbd, "--defaults-file=" + defaults_file};
  if (run_as_root) argv.push_back("--user=root");
  return argv;
}

}  // namespace mysqlset::tools
