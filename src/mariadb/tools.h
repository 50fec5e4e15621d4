#pragma once
// Every MariaDB tool mysqlset runs, and its command line, lives here beside the SQL dialect
// (dialect.h), so another flavour (MySQL's xtrabackup, mysqld --initialize) is a change to
// these two files only. Pure: argv and option-file text, no I/O. Secrets never go in argv:
// mariabackup reads its password from an option file, mariadbd --bootstrap from stdin.

#include <cstdint>
#include <string>
#include <vector>

namespace mysqlset::tools {

// The programs, as searched in PATH (also the names error messages give).
inline constexpr const char* kMbstream = "mbstream";
inline constexpr const char* kMariabackup = "mariabackup";
inline constexpr const char* kInstallDb = "mariadb-install-db";
inline constexpr const char* kMariadbd = "mariadbd";

// mbstream -x: unpacks the xbstream read on stdin into `dir`.
std::vector<std::string> ExtractStreamArgv(const std::string& dir);

// The donor's backup, streamed as xbstream on stdout.
struct StreamBackup {
  std::string option_file;  // holds the password (see BackupOptionFile); must come first
  std::string target_dir;   // mariabackup's scratch dir
  std::string datadir;      // the live datadir
  uint16_t port = 3306;     // the local mariadbd, on 127.0.0.1
  std::string user;
};
std::vector<std::string> StreamBackupArgv(const StreamBackup& b);
// "[mariabackup]" option file with the account mariabackup connects as.
std::string BackupOptionFile(const std::string& user, const std::string& password, uint16_t port);

// mariabackup --prepare of an extracted backup; `use_memory` ("256M") may be empty.
std::vector<std::string> PrepareBackupArgv(const std::string& dir, const std::string& use_memory);

// mariadb-install-db into `datadir`, run through env(1) to set TMPDIR (see tools.cc).
std::vector<std::string> InstallDbArgv(const std::string& datadir, const std::string& tmpdir,
                                       bool run_as_root);
// mariadbd --bootstrap on `datadir`, listening on no port; the SQL comes on stdin.
std::vector<std::string> BootstrapServerArgv(const std::string& datadir, const std::string& tmpdir,
                                             bool run_as_root);

// A throwaway mariadbd on a restored datadir (mysqlset restore): no port, no grant tables,
// no replication, the binary log on (as members run) so its GTID state can be set. Its
// binary log files are kRestoreServerBinlog.000001 ... and kRestoreServerBinlog.index.
// Its only options file is the one mariabackup wrote into the backup (kBackupOptionsFile):
// the InnoDB settings the data files were made with (innodb_page_size, the undo and system
// tablespaces), without which a datadir of a non-default page size does not start. Its redo
// log is MariaDB's default size (kDefaultInnodbLogFileSize), not the source's.
inline constexpr const char* kBackupOptionsFile = "backup-my.cnf";
inline constexpr const char* kRestoreServerBinlog = "mysql-bin";
std::vector<std::string> RestoreServerArgv(const std::string& datadir, const std::string& socket,
                                           const std::string& tmpdir, bool run_as_root);

// The same throwaway mariadbd once with --tc-heuristic-recover=ROLLBACK: it rolls back the
// InnoDB transactions a backup left prepared, then exits (exit 1, its log saying "Please
// restart without --tc-heuristic-recover"). A backup taken from a replica that applies in
// parallel can hold such a transaction (MDEV-36025): prepared, not yet in the binary log at
// the backup's position, so rolling it back is right (replay or replication brings it back).
// Without this pass the server refuses to start ("Found 1 prepared transactions!").
// `redo_log_bytes` (0: MariaDB's default): the innodb_log_file_size the datadir's own
// server runs with. The pass resizes the redo log a prepared backup leaves (a few KiB) to it,
// so that server does not resize it once more at its first start.
std::vector<std::string> RollbackPreparedArgv(const std::string& datadir, const std::string& socket,
                                              const std::string& tmpdir, bool run_as_root,
                                              uint64_t redo_log_bytes = 0);
// What that pass leaves in the datadir besides its binary log (kRestoreServerBinlog.*):
// InnoDB's buffer pool dump, written at every shutdown.
inline constexpr const char* kBufferPoolDump = "ib_buffer_pool";
// What that pass's log says when it did its work.
inline constexpr const char* kRollbackPreparedDone =
    "Please restart without --tc-heuristic-recover";
// Whether that pass did its work, judged from its log text: the pass always exits non-zero,
// so only its log tells. It says kRollbackPreparedDone both when the rollback worked and
// when it failed ("Heuristic crash recovery failed" before it); a pass that died earlier
// (a bad datadir, a busy socket) says neither.
bool RollbackPreparedSucceeded(const std::string& log_text);

// mariadbd serving with the member's option file (local mode's supervisor starts it).
std::vector<std::string> ServerArgv(const std::string& defaults_file, bool run_as_root);

}  // namespace mysqlset::tools
