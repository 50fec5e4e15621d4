#pragma once
// What the CLI shows: the supervisor's state file, the agents' /v1/status, clone progress,
// and their renderings (status table, `status --json`, the live up/scale display). Pure:
// parsing and formatting only; fetching is the caller's.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/data_step.h"
#include "common/status.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

// One member as the supervisor reports it (DIR/state.json).
struct SupervisedMember {
  std::string name;
  uint32_t ordinal = 0;
  // init, clone, starting, ready, failed, stopped (see StepName in supervisor.cc).
  std::string step = "stopped";
  bool ready = false;
  pid_t mariadbd_pid = 0;  // 0: not running
  pid_t agent_pid = 0;
  int mariadbd_restarts = 0;
  int agent_restarts = 0;
  std::string error;  // one line naming the log file, when the member is failing
  std::string read_endpoint;  // HAProxy's state of it in the read backend: "UP", "DOWN", ""
};

struct SupervisorState {
  pid_t pid = 0;
  ClusterSpec spec;       // the spec the supervisor is converging to
  // Members 0..replicas-1 ready and UP behind the read endpoint, none above running.
  bool converged = false;
  bool stopping = false;   // down in progress
  pid_t haproxy_pid = 0;
  std::string haproxy_error;
  std::vector<SupervisedMember> members;  // by ordinal; includes stopped ones with data
  // Wall clock, Unix ms: when this was written (refreshed every second even when nothing
  // changed), and when the tick whose observations it holds started. See wait_verdict.h.
  int64_t heartbeat_ms = 0;
  int64_t observed_ms = 0;
};

std::string StateToJson(const SupervisorState& s);
Result<SupervisorState> StateFromJson(const std::string& text);

// The parts of an agent's /v1/status the CLI shows.
struct AgentStatus {
  std::string role;  // "primary" | "replica"
  bool ready = false;
  uint32_t server_id = 0;
  std::string gtid;
  std::optional<double> lag_seconds;
  std::vector<std::string> reasons;
};
Result<AgentStatus> ParseAgentStatus(const std::string& body);

// Clone progress written by `mysqlset clone` (DATA/.mysqlset-clone-progress.json).
struct CloneProgress {
  std::string donor;
  std::string phase;
  uint64_t bytes = 0;
  uint64_t estimated_bytes = 0;  // 0: unknown
  double rate_bytes_per_s = 0;
  std::optional<double> eta_seconds;
};
Result<CloneProgress> ParseCloneProgress(const std::string& body);
// "[##########----------]  50%  1.0 GiB of 2.0 GiB  25.0 MiB/s  ETA 41s  from mysql-1 (copy)"
std::string RenderCloneProgress(const CloneProgress& p, int bar_width = 24);
std::string HumanBytes(uint64_t bytes);

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

// One member in `status`: the agent's view when it answered, else "down".
struct MemberReport {
  uint32_t ordinal = 0;
  std::optional<AgentStatus> agent;  // nullopt: the agent did not answer
  pid_t mariadbd_pid = 0;            // from the supervisor, 0 if unknown
  std::string step;                  // from the supervisor, "" if unknown
  std::string read_endpoint;         // HAProxy's state of it, "" if unknown
  std::vector<KeptDatadir> kept_datadirs;  // set-aside datadirs in its data volume
  std::string error;                 // the supervisor's reason it is failing, "" if none
};

// `status --json`: {"name", "members":[...], "endpoints":{"primary","read"}} as DESIGN.md.
// `supervisor_warning` (e.g. "supervisor pid 42 is not responding ...") is "" when the
// supervisor is fine; otherwise it is "supervisor_warning" and "supervisor_responding" false.
std::string RenderStatusJson(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                             bool supervisor_running, const std::string& supervisor_warning = "");
// The status table: MEMBER ROLE READY GTID LAG ADDRESS, plus endpoint lines; a supervisor
// warning comes first.
std::string RenderStatusTable(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                              bool supervisor_running, const std::string& supervisor_warning = "");

// "             kept datadir: PATH (SIZE, kept TIME)" per kept datadir, each with "\n".
std::string RenderKeptDatadirLines(const std::vector<KeptDatadir>& kept);

// One line of the live display for a member: "mysql-1   clone     [####----] 40% ...".
std::string RenderMemberLine(const SupervisedMember& m, const std::optional<CloneProgress>& p);

// How to connect, printed when `up` is done.
std::string RenderConnectHelp(const ClusterSpec& spec, const ClusterPaths& paths);

}  // namespace mysqlset::local
