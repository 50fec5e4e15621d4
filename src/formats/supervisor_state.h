#pragma once
// DIR/state.json: the local supervisor's view of its members. Rewritten by the supervisor
// (at least every second, as a heartbeat); read by `status`, `up`, `scale` and `down` in
// other processes. Fields may be added, none removed or renamed (DESIGN.md).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/from_json.h"

namespace mysqlset::formats {

// Where a member is in its life, as `up`, `scale` and `status` show it. On disk it is the
// string MemberStepName() gives. A string this reader does not know (written by a newer
// supervisor) reads as kUnknown rather than failing the whole state: an older CLI still
// shows the other members, and prints the step as "unknown".
enum class MemberStep {
  kUnknown,
  kStopped,   // "stopped": not running (above the desired count, or waiting its turn)
  kInit,      // "init": mysqlset init running
  kClone,     // "clone": mysqlset clone running
  kStarting,  // "starting": mariadbd and the agent run, not ready yet
  kReady,     // "ready"
  kFailed,    // "failed": gave up; see the member's error
};
std::string_view MemberStepName(MemberStep step);

// One member as the supervisor reports it.
struct SupervisedMember {
  std::string name;
  uint32_t ordinal = 0;
  MemberStep step = MemberStep::kStopped;
  bool ready = false;
  pid_t mariadbd_pid = 0;  // 0: not running
  pid_t agent_pid = 0;
  int mariadbd_restarts = 0;
  int agent_restarts = 0;
  std::string error;           // one line naming the log file, when the member is failing
  std::string read_endpoint;   // HAProxy's state of it in the read backend: "UP", "DOWN", ""
  std::string write_endpoint;  // ... and in the write backend (UP: it is the primary)
};

// One etcd member the supervisor runs (the coordination store, docs/roles.md).
struct SupervisedEtcd {
  std::string name;        // "etcd-0"
  pid_t pid = 0;           // 0: not running
  std::string client_url;  // "http://127.0.0.1:13290"
  int restarts = 0;
  std::string last_exit;  // "exit 1", "signal 9"; "" when it never exited
};

// `up --backup-schedule`: the backups the supervisor runs (docs/backup.md "Schedules"). Times
// are unix seconds, null in the file when there is none yet (never 0 posing as 1970).
struct ScheduledBackups {
  std::string schedule;         // "0 3 * * *" (UTC)
  std::string verify_schedule;  // runs with --verify; "" none
  std::string log;              // where the runs' output goes
  std::optional<int64_t> next_run_unix;
  pid_t running_pid = 0;  // a scheduled `mysqlset backup` in progress; 0 none
  std::optional<int64_t> running_since_unix;
  uint64_t started = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;  // due while the previous run still ran, or never found a ready member
  // Since then (the first due time it waited at) a due run waits for a ready member to back
  // up: the cluster is starting, or every member is down.
  std::optional<int64_t> waiting_since_unix;
  std::optional<int64_t> last_success_unix;  // when the newest successful run ended
  std::optional<int64_t> last_failure_unix;  // when the newest failed run ended
  std::string last_failure;                  // "exit 1", "signal 9"; "" none
  // `up --keep-last/--keep-days`: pruned after each successful run ("--keep-last 7"; "" none).
  std::string retention;
  pid_t pruning_pid = 0;  // `mysqlset backups --prune` in progress; 0 none
  uint64_t prunes_succeeded = 0;
  uint64_t prunes_failed = 0;
  std::string last_prune_failure;  // "exit 1"; "" none
  bool operator==(const ScheduledBackups&) const = default;
};

struct SupervisorState {
  // The cluster spec the supervisor is converging to (local::ClusterSpec's fields).
  struct Spec {
    std::string name = "mysql";
    int replicas = 3;
    uint16_t base_port = 0;
  };
  pid_t pid = 0;
  Spec spec;
  // etcd answered, members 0..replicas-1 ready and each UP behind the endpoint of its role
  // (write or read), none above running.
  bool converged = false;
  bool stopping = false;  // down in progress
  pid_t haproxy_pid = 0;
  std::string haproxy_error;
  std::vector<SupervisedMember> members;    // by ordinal; includes stopped ones with data
  std::vector<SupervisedEtcd> etcd;         // by index; absent in files of older supervisors
  std::optional<ScheduledBackups> backups;  // "backup_schedule": absent without a schedule
  // Wall clock, Unix ms: when this was written (refreshed every second even when nothing
  // changed), and when the tick whose observations it holds started. See wait_verdict.h.
  int64_t heartbeat_ms = 0;
  int64_t observed_ms = 0;
};

// DIR/state.json for the cluster directory DIR.
std::string SupervisorStatePath(const std::string& cluster_dir);

std::string ToJson(const SupervisorState& s);
// Requires pid, name, replicas, base_port and members (each with name, ordinal, step); "etcd"
// and the members' "write_endpoint" default to empty.
template <>
Result<SupervisorState> FromJson<SupervisorState>(std::string_view text);

}  // namespace mysqlset::formats
