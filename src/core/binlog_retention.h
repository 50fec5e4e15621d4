#pragma once
// Which archived binlogs a retention policy prunes, once the backups it keeps are known
// (core/backup_choice.h BackupsToPrune). Pure: the caller lists the repository and deletes.
//
// A binlog goes only when no kept backup can use it: every kept backup already holds all of
// its transactions (its GTID covers the binlog's end) and finished after the binlog closed
// (so the binlog does not stretch that backup's window either: core/pitr.h). Each kept
// backup's recoverable window is then the same with or without the pruned binlogs, and
// since the newest verified backup is always kept, nothing it can restore is ever pruned.

#include <string>
#include <vector>

#include "core/pitr.h"

namespace mysqlset {

// The ids of the binlogs to prune, oldest first. None when no backup is kept (the archive
// is all there is). The newest-closed binlog is always kept: the archiver reads the
// archive's end from the binlogs left (backup/binlog_archiver.h), and without one it would
// archive again what the backups already hold.
std::vector<std::string> BinlogsToPrune(const std::vector<RestorableBackup>& kept,
                                        const std::vector<ArchivedBinlog>& binlogs);

}  // namespace mysqlset
