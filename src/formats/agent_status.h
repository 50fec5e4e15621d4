#pragma once
// The agent's /v1/status document: what one member reports about itself. Served by the
// agent (agent/status_report builds it from a snapshot); read by peers choosing a clone
// donor or checking for data before a bootstrap, and by `mysqlset status`. Never holds a
// secret. Fields may be added, none removed or renamed (DESIGN.md).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/disk_space.h"
#include "formats/from_json.h"

namespace mysqlset::formats {

struct AgentStatus {
  struct Replication {   // "replication" when configured; {"configured":false} otherwise
    std::string source;  // "HOST:PORT"
    std::string user;
    std::string using_gtid;  // "slave_pos" | "no"
    std::string io_running;  // "Yes" | "Connecting" | "No"
    std::string sql_running;
    uint32_t last_io_errno = 0;
    std::string last_io_error;
    uint32_t last_sql_errno = 0;
    std::string last_sql_error;
    std::string gtid_io_pos;
  };
  struct Clone {  // the clone this datadir came from; "clone": null when none
    std::string donor;
    std::string gtid;
    uint64_t bytes = 0;
    double seconds = 0;
  };
  struct Epoch {  // the newest history/<epoch> entry this agent read; "last_epoch": null if none
    uint64_t epoch = 0;
    std::string name;    // who took the leader key
    std::string from;    // who held it before ("" none)
    std::string reason;  // "bootstrap" | "election" | "switchover" | "failover" | "forced"
    int64_t since_unix_ms = 0;
  };
  struct Backup {  // backups this member streamed to peers
    int active = 0;
    uint64_t served_ok = 0;
    uint64_t failed = 0;
    uint64_t refused_auth = 0;
    uint64_t refused_busy = 0;
    uint64_t bytes_sent = 0;
  };
  // The binlog archive and the repository's backups as this agent knows them (docs/backup.md
  // "Metrics and alerts"); "archive": null when the agent has no --archive-repo. A time this
  // agent does not know is null, never 0.
  struct Archive {
    bool active = false;                      // this member is the primary and archives
    std::optional<int64_t> last_closed_unix;  // the newest binlog this agent archived or read
    std::string archived_gtid;                // the archive's end as far as it knows ("" none)
    uint64_t segments_archived = 0;           // by this agent since it started
    uint64_t failures = 0;                    // archiving passes that failed
    std::string last_error;                   // of the last pass; "" when it succeeded
    std::string gap;                          // what the archive lacks; "" none found
    // From the repository's catalog, read now and then: false until a read succeeded, and
    // then the two times stay null when the repository holds no (verified) backup.
    bool catalog_read = false;
    std::optional<int64_t> last_backup_unix;           // newest published backup's finish
    std::optional<int64_t> last_verified_backup_unix;  // newest verified backup's finish
    uint64_t catalog_read_failures = 0;
    std::string catalog_error;  // of the last read; "" when it succeeded
    bool operator==(const Archive&) const = default;
  };

  std::string pod;
  uint32_t ordinal = 0;
  std::string role;  // "primary" | "replica"
  // The roles (docs/roles.md): who holds the leader key ("" none or unknown), its epoch, and
  // this tick's decision ("lead" | "campaign" | "follow" | "fence" | "wait") with its reason.
  std::string leader;
  uint64_t epoch = 0;
  std::string decision;
  std::string decision_reason;
  // Semi-sync in one line (docs/roles.md "Semi-sync"): on the primary whom writes wait for,
  // "single member: writes are not replicated", or why writes wait; on the sync replica
  // "acks the primary's commits"; "" otherwise.
  std::string semi_sync;
  bool store_reachable = false;  // the coordination store answered this tick
  bool ready = false;
  std::vector<std::string> reasons;  // why not ready
  // Ready on the stale-read rule (core/readiness.h): "serving possibly stale reads: primary
  // unreachable for 4 s (limit 30 s)"; "" otherwise.
  std::string stale_reads;
  std::string sync;          // the designated semi-sync replica as this agent read it; "" none
  std::string errant_gtids;  // this member's GTIDs the primary never had; "" none
  std::string reclone;       // the re-clone its agent asked for, and why; "" none
  std::optional<Epoch> last_epoch;
  uint32_t server_id = 0;
  bool mysql_reachable = false;
  bool read_only = false;
  std::string gtid_current;  // "" when the member holds no data
  std::string gtid_binlog;
  std::string gtid_slave;
  // null: unknown. Written as an integer when whole (as agents always have: MariaDB counts
  // whole seconds); read from any number.
  std::optional<double> lag_seconds;
  std::string last_error;
  std::string replication_error;
  std::vector<std::string> last_actions;
  uint64_t ticks = 0;
  double state_age_seconds = 0;
  int64_t lag_threshold_seconds = 0;
  std::optional<Replication> replication;
  std::optional<Clone> clone;
  Backup backup;
  std::optional<Archive> archive;
  // The data directory's filesystem when /v1/status was served ("data_volume": null when
  // statvfs failed, or from an older agent). core/disk_space.h DataVolumeWarning judges it.
  std::optional<VolumeSpace> data_volume;
};

// One line of JSON. Never throws: text from outside (MariaDB error messages, hosts) that is
// not valid UTF-8 has its bad bytes replaced with U+FFFD.
std::string ToJson(const AgentStatus& s);
// Requires an object with a boolean "ready" (a peer without it is no donor); other fields
// default when absent and are an error when of the wrong type.
template <>
Result<AgentStatus> FromJson<AgentStatus>(std::string_view text);

}  // namespace mysqlset::formats
