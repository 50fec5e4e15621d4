#pragma once
// Reading a repository's published backups: every backups/<ID>/ with a manifest, and whether
// a restore verified it. A folder without a manifest is an unfinished (or killed) upload
// and is not a backup. Not thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "backup/repository.h"
#include "core/backup_age.h"
#include "core/backup_choice.h"
#include "core/pitr.h"
#include "formats/backup_manifest.h"
#include "formats/binlog_segment.h"

namespace mysqlset::backup {

struct CatalogEntry {
  formats::BackupManifest manifest;
  std::optional<formats::BackupVerification> verification;
};

// Published backups, newest first. A manifest that does not parse is an error naming it:
// the repository holds something this release cannot read.
Result<std::vector<CatalogEntry>> ListBackups(Repository& repo);

// Deletes backup `id`: its manifest first, so that an interrupted prune leaves an
// unlisted folder, never a listed backup with objects missing; then the folder.
Status PruneBackup(Repository& repo, const std::string& id);

std::vector<BackupEntry> EntriesOf(const std::vector<CatalogEntry>& catalog);

// How many failure records the backup-age monitor and `mysqlset backups` read: the newest
// few, so that a repository where backups fail for weeks lists no slower (one more folder
// listing and at most this many small reads).
inline constexpr size_t kRecentFailuresRead = 10;

// The newest `limit` failure records (failures/<ID>/failure.json), newest first by id (ids
// sort by start time). A folder without its record, a record that does not parse, and one
// whose id is not its folder's are skipped (the last two with a warning).
Result<std::vector<formats::BackupFailure>> ListFailures(Repository& repo,
                                                         size_t limit = kRecentFailuresRead);

// Deletes failure record `id` (its folder).
Status PruneFailure(Repository& repo, const std::string& id);

std::vector<FailedBackupEntry> FailedEntriesOf(const std::vector<formats::BackupFailure>& failures);

// Published archived binlogs (binlogs/<ID>/ with a segment.json), oldest first. A record
// that does not parse is an error naming it.
Result<std::vector<formats::BinlogSegment>> ListBinlogs(Repository& repo);

// Deletes archived binlog `id`: its segment.json first (an interrupted prune leaves an
// unlisted folder, never a listed binlog without its file), then the folder.
Status PruneBinlog(Repository& repo, const std::string& id);

// The inputs of core/pitr.h.
std::vector<RestorableBackup> RestorablesOf(const std::vector<CatalogEntry>& catalog);
std::vector<ArchivedBinlog> ArchivedOf(const std::vector<formats::BinlogSegment>& segments);

}  // namespace mysqlset::backup
