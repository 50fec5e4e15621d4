#pragma once
// What the agent should do this tick to make its member what its role says. Pure: takes
// the observed state, returns actions; the agent loop performs them.
//
// Safety rules:
// - a replica is made read-only before anything else;
// - replication that stopped with an error is reported, never skipped past;
// - the clone's GTID seeds gtid_slave_pos only while the server has applied nothing after
//   it, and gtid_slave_pos is never moved backwards (see ReplicationStartPosition).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/readiness.h"
#include "core/server_state.h"

namespace mysqlset {

struct DesiredSource {
  std::string host;
  uint16_t port = 0;
  std::string user;
};

enum class ActionKind {
  kSetReadOnly,
  kSetWritable,
  kEnsureAccounts,
  kDropSocketSuperusers,  // install-db's root@localhost and <OS user>@localhost
  kConfigureReplication,  // STOP, [seed gtid_slave_pos], CHANGE MASTER, START
  kStartReplication,
  kStopReplication,         // a new primary: apply what was received, then STOP + RESET SLAVE ALL
  kReportReplicationError,  // nothing to run; surfaced in status and metrics
};
const char* ActionName(ActionKind k);

// A replica's SQL error that a full disk causes: its event is run again, never skipped
// (PlanActions), since the failed transaction was rolled back.
bool IsDiskFullError(uint32_t sql_errno);

struct Action {
  ActionKind kind;
  std::string reason;
  std::optional<std::string> seed_gtid;  // kConfigureReplication: set gtid_slave_pos first
  bool operator==(const Action&) const = default;
};

// Where replication resumes when the agent (re)configures it. Per domain, the furthest of:
// the clone's GTID (the data holds everything up to it), gtid_slave_pos (what the SQL thread
// applied) and gtid_binlog_pos (with log_slave_updates, what this server committed, which
// survives a hand-made `RESET SLAVE ALL` + `SET GLOBAL gtid_slave_pos = ''`). On a tie the
// current gtid_slave_pos entry stays. So the clone's GTID counts only where the server has
// applied nothing after it, and the result never moves gtid_slave_pos backwards in any
// domain. Returns nullopt when gtid_slave_pos already is that position (nothing to set).
std::optional<GtidList> ReplicationStartPosition(const ServerState& state,
                                                 const std::optional<GtidList>& clone_gtid);

// `clone`: the record of the clone this datadir came from; a present record's GTID is the
// clone GTID of ReplicationStartPosition, and every kConfigureReplication carries that
// position as its seed. While the record is unreadable, a replica without replication never
// configures it: without the clone's GTID, replication would start from whatever
// gtid_slave_pos the datadir holds and re-apply or skip transactions (DecideReadiness says
// why it is not ready; a person restores the file or re-clones).
std::vector<Action> PlanActions(Role role, const ServerState& state, const DesiredSource& want,
                                const CloneRecordStatus& clone);

// Starts of replication threads that stopped on an error (kStartReplication) since they
// last ran cleanly. The first start is at once; the next ones wait kReplicationRestartBackoff
// after the one before: an error that a start does not cure (a diverged binlog, error 1236;
// a wrong password) would otherwise restart the IO thread every tick and fill both servers'
// error logs, while the errant check decides the real cure (a re-clone). Capped at 10 s: a
// replica whose full disk was freed (1021, 1114) resumes within that. Threads stopped on
// purpose, with no error (the failover fence, a drain), are started at once, uncounted.
struct ReplicationRestarts {
  int attempts = 0;
  std::chrono::milliseconds since_last{0};  // since the last start
};
inline constexpr Backoff kReplicationRestartBackoff{std::chrono::milliseconds(1000),
                                                    std::chrono::milliseconds(10000), 2.0};
// Whether `r`'s threads stopped on an error (the starts that the backoff holds back).
bool StoppedOnError(const ReplicaStatus& r);
bool ReplicationRestartDue(const ReplicationRestarts& r);
// Threads that ran without an error for this long after the last start have recovered:
// the attempts before are forgotten. Shorter than that, a start that failed a moment later
// (the IO thread connects, then the source refuses the position) still counts.
inline constexpr std::chrono::milliseconds kReplicationCleanRun{10000};
bool ReplicationRanCleanly(const ReplicaStatus& r, std::chrono::milliseconds since_last_start);

}  // namespace mysqlset
