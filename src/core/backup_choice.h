#pragma once
// Which backup `mysqlset restore` starts from, the order `mysqlset backups` lists them in,
// and which ones a retention policy prunes. Pure: the caller reads the manifests from the
// repository and deletes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

// The parts of a published backup (formats/backup_manifest.h) the choice reads.
struct BackupEntry {
  std::string id;
  int64_t finished_at_unix = 0;  // the backup's data is consistent as of (about) this time
  bool verified = false;         // a restore of it started and was checked
};

// Newest first (by finish time, then id).
std::vector<BackupEntry> NewestFirst(std::vector<BackupEntry> entries);

// `requested_id` non-empty: that backup, or kNotFound naming it. Otherwise the newest backup
// that finished at or before `at_or_before_unix` (any when unset); kNotFound when the
// repository has none, kFailedPrecondition naming the oldest backup's time when all are later.
Result<BackupEntry> ChooseBackup(const std::vector<BackupEntry>& entries,
                                 const std::string& requested_id,
                                 std::optional<int64_t> at_or_before_unix);

struct RetentionPolicy {
  std::optional<int> keep_last;  // the newest N backups
  std::optional<int> keep_days;  // backups finished in the last D days
};

// The ids to prune, oldest first. A backup is kept when either rule keeps it (a rule left
// unset keeps nothing by itself), and the newest verified backup is always kept, whatever
// the rules say: pruning never leaves the repository without its last proven backup.
// kInvalidArgument when neither rule is set or one is negative.
Result<std::vector<std::string>> BackupsToPrune(const std::vector<BackupEntry>& entries,
                                                const RetentionPolicy& policy, int64_t now_unix);

}  // namespace mysqlset
