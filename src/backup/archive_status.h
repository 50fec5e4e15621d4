#pragma once
// The "archive" part of the agent's /v1/status (formats/agent_status.h): the binlog archiver's
// and the backup-age monitor's stats, with the times they do not know left null rather than 0
// (their metrics use 0 for "none", which a status reader would take for 1970). Pure.

#include "backup/backup_age_monitor.h"
#include "backup/binlog_archiver.h"
#include "formats/agent_status.h"

namespace mysqlset::backup {

formats::AgentStatus::Archive ArchiveStatusOf(const ArchiverStats& archive,
                                              const BackupAgeStats& age);

}  // namespace mysqlset::backup
