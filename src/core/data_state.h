#pragma once
// Is this member's data usable? Pure. The seed trusted `[[ -d mysql ]]`, so a
// half-extracted clone was started as if complete; here the completion marker, written
// last, says a datadir is done. A datadir without the marker is judged by evidence
// (ClassifyData) and is never deleted: it is either refused, with the way to accept it,
// or set aside under a timestamped name (KeptDatadirName) that `status` lists.

#include <cstdint>
#include <optional>
#include <string>

namespace mysqlset {

enum class DataState {
  kReady,       // datadir and completion marker present: start it
  kEmpty,       // no datadir: bootstrap (primary) or clone (replica)
  kInstallCut,  // the install was cut between renaming the datadir into place and
                // writing the marker (the pending marker is still there): finish it
  kIncomplete,  // datadir without marker that was never finished (evidence below): never
                // start it; set it aside (kept, timestamped) and redo
  kUnmarked,    // datadir without marker whose files are intact: refuse to start or
                // discard it until a person accepts it (creates the marker) or moves it
};

// What the datadir DATA/mysql and its volume show, gathered by the caller (I/O).
struct DatadirEvidence {
  bool datadir = false;         // DATA/mysql is a directory
  bool marker = false;          // DATA/.mysqlset-complete (present; contents do not matter)
  bool pending_marker = false;  // DATA/.mysqlset-complete.pending (written before the rename)
  bool ibdata1 = false;         // DATA/mysql/ibdata1: InnoDB system tablespace
  bool redo_log = false;        // DATA/mysql/ib_logfile0: InnoDB redo log
  bool system_tables = false;   // DATA/mysql/mysql/global_priv.MAD: the accounts table
  // backup_type from mariadb_backup_checkpoints (or xtrabackup_checkpoints) in the datadir,
  // when there is one: "full-backuped" until mariabackup --prepare, then "log-applied"
  // (xtrabackup says "full-prepared").
  std::optional<std::string> backup_type;
  bool clone_record = false;  // DATA/.mysqlset-clone.json: a clone got as far as preparing
};

struct DataVerdict {
  DataState state = DataState::kEmpty;
  std::string why;  // the evidence, for the log and error messages
};

// The rule (docs/robustness.md, "Issue #18: no data destroyed"):
//   no datadir -> kEmpty; marker -> kReady; pending marker -> kInstallCut;
//   an unprepared backup (backup_type set, neither "log-applied" nor "full-prepared")
//   -> kIncomplete;
//   ibdata1, ib_logfile0 and mysql/global_priv all present -> kUnmarked;
//   otherwise (some missing) -> kIncomplete.
DataVerdict ClassifyData(const DatadirEvidence& e);
// The value of "backup_type = ..." in a mariadb_backup_checkpoints file; nullopt if none.
std::optional<std::string> BackupTypeOf(const std::string& checkpoints_text);

// Paths inside the data volume (all on one filesystem so installs are renames).
std::string MarkerPathOf(const std::string& data_dir);         // DATA/.mysqlset-complete
std::string PendingMarkerPathOf(const std::string& data_dir);  // DATA/.mysqlset-complete.pending
std::string StagingPathOf(const std::string& data_dir);        // DATA/mysql.staging
// The agent asked for a re-clone (core/reclone.h); the clone step acts on it.
std::string RecloneRequestPathOf(const std::string& data_dir);  // DATA/.mysqlset-reclone

// Set-aside datadirs: "mysql.discarded.<UTC time>" such as mysql.discarded.20261129T214500Z,
// with "-2", "-3" ... appended when that name is taken (never replacing an older copy).
inline constexpr const char* kKeptDatadirPrefix = "mysql.discarded";
std::string KeptDatadirName(int64_t unix_seconds, int attempt = 1);
// True for names KeptDatadirName makes and for the untimestamped "mysql.discarded" older
// versions made. `kept_at`, when given, gets the time in ISO 8601 ("2026-11-29T21:45:00Z"),
// or "" for the untimestamped name.
bool IsKeptDatadirName(const std::string& name, std::string* kept_at = nullptr);

}  // namespace mysqlset
