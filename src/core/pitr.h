#pragma once
// Point-in-time recovery from a backup repository (docs/backup.md "Point-in-time restore"):
// which GTID and time window the backups and the archived binlogs can restore, where the
// archive has gaps, and, for a target time or GTID, which backup to restore and which
// archived binlogs to replay after it, each from which GTID on. Pure: the caller reads the
// manifests and segment records from the repository.
//
// Archived binlogs come from whichever member was primary: after a switchover or failover
// the new primary's files overlap the old one's (log_slave_updates), so segments are
// chained by GTID, each replayed only past the state the chain had reached.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/gtid.h"

namespace mysqlset {

struct ArchivedBinlog {
  std::string id;
  GtidList start;  // binlog state before its first transaction
  GtidList end;    // ... after its last
  int64_t start_unix = 0;
  int64_t end_unix = 0;  // the file was closed: no transaction of it is later
};

struct RestorableBackup {
  std::string id;
  GtidList gtid;
  int64_t finished_at_unix = 0;
};

// A stretch of time any point of which can be restored: from a backup's end to the close
// of the last archived binlog that continues it without a gap.
struct RecoveryWindow {
  int64_t from_unix = 0;
  int64_t to_unix = 0;
  std::string from_backup;  // the oldest backup that starts it
  GtidList to_gtid;         // the newest state it reaches
};

// Transactions after `after` and up to `before` are in no archived binlog.
struct ArchiveGap {
  GtidList after;
  GtidList before;
  int64_t from_unix = 0;  // the last binlog before the gap was closed
  int64_t to_unix = 0;    // the first binlog after it was opened
};

struct RecoveryView {
  std::vector<RecoveryWindow> windows;  // oldest first, disjoint
  std::vector<ArchiveGap> gaps;         // oldest first
};

// Per domain, the higher position of the two: the state after both.
GtidList HigherOf(const GtidList& a, const GtidList& b);

RecoveryView ComputeRecoveryView(const std::vector<RestorableBackup>& backups,
                                 const std::vector<ArchivedBinlog>& binlogs);

// "2026-11-30T12:00:00Z" <-> unix seconds. Only UTC ("Z" or "+00:00"): a time without a
// zone is refused, since a restore must never depend on the machine's time zone.
Result<int64_t> ParseUtcTime(const std::string& text);
std::string FormatUtcTime(int64_t unix_seconds);
// One line for `mysqlset backups` and errors: "2026-11-30T12:00:00Z .. 2026-11-30T13:00:00Z
// (backup ID .. GTID 0-1-57)".
std::string DescribeWindow(const RecoveryWindow& w);
std::string DescribeGap(const ArchiveGap& g);

struct RecoveryTarget {
  std::optional<int64_t> time_unix;  // restore every transaction committed before this time
  std::optional<GtidList> gtid;      // ... up to and including this GTID
};

struct ReplayStep {
  std::string binlog_id;
  GtidList start_after;  // mariadb-binlog --start-position (exclusive)
};

struct ReplayPlan {
  std::string backup_id;
  std::vector<ReplayStep> steps;  // in order; the stop applies to the last
};

// The newest backup before the target and the binlogs from it to the target. Errors are one
// line: kInvalidArgument with neither or both targets set; kFailedPrecondition when the
// target is outside every recoverable window (naming them) or beyond a gap (naming it).
Result<ReplayPlan> PlanRecovery(const std::vector<RestorableBackup>& backups,
                                const std::vector<ArchivedBinlog>& binlogs,
                                const RecoveryTarget& target);

}  // namespace mysqlset
