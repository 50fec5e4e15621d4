#pragma once
// What the CLI shows about the whole cluster: the supervisor's state file, the agents'
// /v1/status and clone progress (documents of formats/), rendered as the status table,
// `status --json` and the live up/scale display. Pure: formatting only; fetching and
// parsing are the caller's.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/data_step.h"
#include "common/status.h"
#include "core/disk_space.h"  // HumanBytes
#include "formats/agent_status.h"
#include "formats/clone_progress.h"
#include "formats/supervisor_state.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

// The documents this renders, each parsed by its one module in formats/.
using formats::CloneProgress;  // DATA/.mysqlset-clone-progress.json
using formats::MemberStep;
using formats::SupervisedMember;  // DIR/state.json
using formats::SupervisorState;

// "[##########----------]  50%  1.0 GiB of 2.0 GiB  25.0 MiB/s  ETA 41s  from mysql-1 (copy)"
std::string RenderCloneProgress(const CloneProgress& p, int bar_width = 24);

// The message of the last "mysqlset CMD: error: MESSAGE" line in a step's log ("" if none),
// so a failed step's reason shows where the user looks first, not only in its log file.
std::string LastErrorMessage(std::string_view log_text);

// The reason of the last "[ERROR] ..." line of a mariadbd log, skipping the final
// "[ERROR] Aborting" ("" if none): "mariadbd: unknown variable 'no-such-option=1'".
std::string LastServerError(std::string_view log_text);

// The member error the supervisor reports for a process that keeps exiting:
// "mysql-1: mariadbd keeps exiting (4 restarts, last exit 1): REASON; see LOG".
std::string CrashLoopMessage(const std::string& pod, const std::string& process, int restarts,
                             const std::string& last_exit, const std::string& reason,
                             const std::string& log);

struct BackupReport;  // local/backup_report.h

// One member in `status`: the agent's view when it answered, else "down".
struct MemberReport {
  uint32_t ordinal = 0;
  std::optional<formats::AgentStatus> agent;  // nullopt: the agent did not answer
  pid_t mariadbd_pid = 0;                     // from the supervisor, 0 if unknown
  std::optional<MemberStep> step;             // from the supervisor, nullopt if unknown
  std::string read_endpoint;                  // HAProxy's state of it, "" if unknown
  std::vector<KeptDatadir> kept_datadirs;     // set-aside datadirs in its data volume
  std::string error;                          // the supervisor's reason it is failing, "" if none
  uint64_t epoch = 0;  // the leader epoch its agent reports ("epoch" of /v1/status), 0: unknown
};

// The member whose agent reports itself primary (it holds the leader key); when several do
// (a hand-over seen mid-way), the one with the highest epoch. nullopt when none does.
std::optional<std::string> ReportedPrimary(const ClusterSpec& spec,
                                           const std::vector<MemberReport>& members);
// The highest epoch any agent reports; 0 when none does.
uint64_t ReportedEpoch(const std::vector<MemberReport>& members);

// The designated semi-sync replica: as the reported primary's agent read it, else as the
// agent reporting the highest epoch that names one; "" when none does.
std::string ReportedSync(const ClusterSpec& spec, const std::vector<MemberReport>& members);
// The newest epoch any agent reports from the store's history, when it began with a failover
// ("failover" or "forced"); nullopt otherwise (none yet, or a switchover or election since).
std::optional<formats::AgentStatus::Epoch> ReportedLastFailover(
    const std::vector<MemberReport>& members);

// `status --json`: {"name", "primary", "epoch", "members":[...], "endpoints":{"primary","read"}}
// as DESIGN.md; "primary" and "epoch" are null when no agent reports a primary, and each
// member's "role" is what its agent reports (null when its agent does not answer). Issue 13:
// each member's "sync" (it is ReportedSync), "errant_gtids" ("" none) and "stale_reads" (""
// unless it serves reads while its primary is unreachable); the top level's "last_failover"
// ({"epoch","time","from","to","reason"} of ReportedLastFailover, null when none).
// `supervisor_warning` (e.g. "supervisor pid 42 is not responding ...") is "" when the
// supervisor is fine; otherwise it is "supervisor_warning" and "supervisor_responding" false.
// `backups` (local/backup_report.h) is the top level's "backups" (null when nullptr).
std::string RenderStatusJson(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                             bool supervisor_running, const std::string& supervisor_warning = "",
                             const BackupReport* backups = nullptr);
// The status table: MEMBER ROLE READY GTID LAG ADDRESS, plus endpoint lines; a supervisor
// warning comes first; the backup lines (local/backup_report.h) come last.
std::string RenderStatusTable(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                              bool supervisor_running, const std::string& supervisor_warning = "",
                              const BackupReport* backups = nullptr);

// "             kept datadir: PATH (SIZE, kept TIME)" per kept datadir, each with "\n".
std::string RenderKeptDatadirLines(const std::vector<KeptDatadir>& kept);

// One line of the live display for a member: "mysql-1   clone     [####----] 40% ...".
std::string RenderMemberLine(const SupervisedMember& m, const std::optional<CloneProgress>& p);

// How to connect, printed when `up` is done.
std::string RenderConnectHelp(const ClusterSpec& spec, const ClusterPaths& paths);

}  // namespace mysqlset::local
