#pragma once
// Continuous binlog archiving (docs/backup.md "Binlog archive"): while this member is the
// primary, each closed binlog file of its datadir is copied into the repository under
// binlogs/<ID>/, verified there, and indexed by segment.json, written LAST (as a backup's
// manifest is). At most every `interval` the active file is closed (FLUSH BINARY LOGS) when
// it holds transactions the archive lacks, so a lost cluster loses at most that much.
//
// Files are read from the datadir, not over the replication protocol: closed binlog files are
// immutable, need no account, and are stored byte for byte (the archive is the binlog).
// After a switchover or failover the new primary continues from the archive's end: it
// archives every closed file that holds transactions past it (its files overlap the old
// primary's; a restore replays each only past the state reached: core/pitr.h). A file that
// starts past the archive's end is archived too, and the gap is reported.
//
// Thread-safety: RunOnce() from one thread; Stats() from any.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "backup/repository.h"
#include "core/gtid.h"
#include "env/clock.h"

namespace mysqlset::backup {

struct ArchiverOptions {
  std::string cluster;
  std::string member;
  std::string binlog_dir;                      // holds mysql-bin.index and the files
  std::string index_name = "mysql-bin.index";  // log-bin=mysql-bin
  std::chrono::seconds interval{30};
};

struct ArchiverStats {
  bool active = false;             // this member leads and archives
  int64_t last_archived_unix = 0;  // the newest archived binlog was closed then (0: none)
  std::string archived_gtid;       // the archive's end, as far as this member knows
  uint64_t segments_archived = 0;  // by this agent since it started
  uint64_t failures = 0;
  std::string last_error;
  std::string gap;  // "" none; else what the archive lacks (core/pitr.h DescribeGap's words)
};

class BinlogArchiver {
 public:
  struct Hooks {
    // FLUSH BINARY LOGS on the member's server.
    std::function<Status()> flush_binary_logs;
  };
  BinlogArchiver(ArchiverOptions options, Repository& repo, const Clock& clock, Hooks hooks);

  // One pass. `leading`: this member is the primary (the agent's snapshot); otherwise the
  // archiver rests, and re-reads the archive when it leads again. `binlog_pos`: the
  // server's @@gtid_binlog_pos as last gathered.
  Status RunOnce(bool leading, const GtidList& binlog_pos);
  ArchiverStats Stats() const;

 private:
  Status LoadArchive();
  Status ArchiveClosedFiles();
  Status ArchiveFile(const std::string& file, const std::string& next);
  Status Fail(Status st);

  const ArchiverOptions o_;
  Repository& repo_;
  const Clock& clock_;
  Hooks hooks_;
  bool loaded_ = false;
  GtidList archive_end_;
  std::set<std::string> done_;  // local files archived or holding nothing new
  std::optional<std::chrono::steady_clock::time_point> last_flush_;
  mutable std::mutex mu_;
  ArchiverStats stats_;
};

// The stats as Prometheus text (appended to the agent's /metrics), labelled `cluster`: whether
// this member archives, when the newest archived binlog was closed, what was archived,
// failures, gaps.
std::string ArchiveMetricsText(const ArchiverStats& stats, std::string_view cluster);

// The files the binlog index lists, oldest first ("./mysql-bin.000003" -> "mysql-bin.000003").
std::vector<std::string> BinlogIndexFiles(const std::string& index_text);

}  // namespace mysqlset::backup
