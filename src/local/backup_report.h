#pragma once
// What `status` shows of a cluster's backups (docs/backup.md "Status"): the binlog archive and
// the repository's newest backups as the agents report them ("archive" of /v1/status), and
// the supervisor's schedule (DIR/state.json). Pure. A time nobody reported is absent (null
// in JSON, "unknown" in text), never 0.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/supervisor_state.h"
#include "local/cluster_report.h"
#include "local/cluster_spec.h"
#include "nlohmann/json.hpp"

namespace mysqlset::local {

struct BackupReport {
  int64_t now_unix = 0;                     // when the report was made: ages are counted to it
  std::string repo;                         // the cluster's repository; "" none (archiving off)
  std::string archiver;                     // the member whose agent archives now; "" none
  bool archive_reported = false;            // some agent reported its archive state
  std::optional<int64_t> last_closed_unix;  // the newest archived binlog's close, as reported
  std::optional<int64_t> lag_seconds;       // now minus that
  std::string gap;                          // "" none reported
  uint64_t archive_failures = 0;            // the archiver's failed passes
  std::string archive_error;                // its last pass's error; "" none
  bool catalog_read = false;                // some agent has read the repository's catalog
  std::optional<int64_t> last_backup_unix;
  std::optional<int64_t> last_verified_backup_unix;
  std::string catalog_error;  // "" none
  std::optional<formats::ScheduledBackups> schedule;
};

// From the spec's repository, each member's agent report, and the supervisor's schedule
// state (nullopt: none, or no supervisor). Times are the newest any agent reports; the
// archiver's own report wins for its failures and gap.
BackupReport ReportBackups(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                           const std::optional<formats::ScheduledBackups>& schedule,
                           int64_t now_unix);

// "backups" of `status --json`: null when the cluster has neither a repository nor a
// schedule.
nlohmann::ordered_json BackupReportJson(const BackupReport& r);
// The status table's lines about backups ("" when there is nothing to say), each with "\n".
std::string RenderBackupLines(const BackupReport& r);

}  // namespace mysqlset::local
