#pragma once
// One member's life under the local supervisor, pure: init -> clone -> serving (mariadbd and
// its agent), failed (waiting for a retry with backoff), stopped. ApplyEvent takes the
// member's record and one event (a start, restart or stop the plan decided, a child that
// started or exited, the agent's readiness) and returns the new record and what the
// supervisor must do, in order. The supervisor does the I/O: it spawns, stops, reads logs
// and removes files, and reports what happened as the next event. plan.h decides which
// members to start, restart and stop; this decides what that means for one member.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/backoff.h"
#include "local/plan.h"

namespace mysqlset::local {

using SteadyTime = std::chrono::steady_clock::time_point;

// What a member runs: init, then clone (together its "prep"), then mariadbd and the agent.
enum class MemberProcess { kInit, kClone, kMariadbd, kAgent };
// "init", "clone", "mariadbd", "agent": the name of its log file and in messages.
const char* ProcessName(MemberProcess p);

struct ChildRecord {
  pid_t pid = 0;  // 0: not running
  SteadyTime started;
  SteadyTime restart_at;
  int restarts = 0;           // drives the backoff; starts over after backoff_reset of running
  int exits_since_ready = 0;  // exits since the member was last ready (crash loop count)
  std::string last_exit;      // "exit 1", "signal 9"
  bool operator==(const ChildRecord&) const = default;
};

struct MemberRecord {
  uint32_t ordinal = 0;
  std::string pod;
  MemberPhase phase = MemberPhase::kStopped;
  ChildRecord prep;  // init, then clone
  ChildRecord mariadbd;
  ChildRecord agent;
  bool ready = false;
  std::string haproxy_read_state;   // "UP", "DOWN", ... from HAProxy's stats
  std::string haproxy_write_state;  // the same in the write backend
  int prep_failures = 0;            // drives the retry backoff of init and clone
  SteadyTime retry_at;              // kFailed: when to retry
  std::string error;                // one line naming the log, while the member is failing
  bool operator==(const MemberRecord&) const = default;
};

struct LifecyclePolicy {
  Backoff restart_backoff;
  // A mariadbd or agent that ran this long before exiting starts its backoff over.
  std::chrono::milliseconds backoff_reset{60000};
  // Exits of mariadbd or the agent without the member becoming ready in between, before the
  // member is reported as failing.
  int crashloop_threshold = 3;
  // When a mariadbd or agent could not be started at all (fork failed), the next attempt.
  std::chrono::milliseconds spawn_retry{5000};
};

namespace event {
struct Start {};  // the plan starts (or retries) the member; its dirs exist
struct StartFailed {
  std::string error;  // making its dirs failed
};
struct Restart {  // the plan restarts mariadbd or the agent (its backoff elapsed)
  MemberProcess process = MemberProcess::kMariadbd;
};
struct Spawned {
  MemberProcess process = MemberProcess::kInit;
  pid_t pid = 0;  // 0: it could not be started
};
struct Exited {
  MemberProcess process = MemberProcess::kInit;
  bool success = false;  // exit 0
  std::string how;       // "exit 1", "signal 9"
  std::string reason;    // the last error its log names ("" if none)
  std::string log;       // its log file
  // The agent asked for a re-clone (core/reclone.h, exit status kExitRecloneRequested).
  bool reclone_requested = false;
};
struct Probed {
  bool ready = false;  // the agent's /readyz answered 200
};
struct Stop {};     // the plan stops the member (scale-down or down)
struct Stopped {};  // every process of it has been stopped and reaped
}  // namespace event

using MemberEvent = std::variant<event::Start, event::StartFailed, event::Restart, event::Spawned,
                                 event::Exited, event::Probed, event::Stop, event::Stopped>;

struct MemberEffect {
  enum class Kind {
    kSpawn,          // start `process`, then report it as event::Spawned
    kStop,           // stop `pids` together (SIGTERM, SIGKILL after the timeout), reap them
    kRemoveStaging,  // remove a half-received clone and its progress file; never the datadir
    kLog,            // log `message` at `level`
  };
  enum class Level { kInfo, kWarn, kError };
  Kind kind = Kind::kLog;
  MemberProcess process = MemberProcess::kInit;  // kSpawn
  std::vector<pid_t> pids;                       // kStop: never empty, no 0
  std::string what;                              // kStop: names them in messages
  Level level = Level::kInfo;                    // kLog
  std::string message;                           // kLog
  bool operator==(const MemberEffect&) const = default;
};

struct Transition {
  MemberRecord record;
  std::vector<MemberEffect> effects;  // in the order to carry them out
};

Transition ApplyEvent(const MemberRecord& member, const MemberEvent& event, SteadyTime now,
                      const LifecyclePolicy& policy);

// MariaDB 10.11 hangs for good when SIGTERM reaches mariadbd during its start-up: the main
// thread waits in init_slave() for the slave background thread, which the shutdown already
// ended (seen when `down` follows an `up` within a second). Such a server never accepted a
// connection, so SIGKILL loses nothing that crash recovery does not restore, and the stop
// need not wait out the whole stop timeout. True when `log_tail` (the end of mariadbd's
// log) shows process `pid` starting ("... as process PID") and no "ready for connections"
// after that; false when it shows the start finished, or not the start at all (unknown).
bool MariadbdStartUnfinished(std::string_view log_tail, pid_t pid);

// Which of the member's processes `pid` is (its prep is kInit or kClone by phase).
std::optional<MemberProcess> ProcessOf(const MemberRecord& member, pid_t pid);

// True when the agent should be asked for readiness: serving, mariadbd and agent running.
// Otherwise the member is not ready (report event::Probed{false}).
bool ShouldProbe(const MemberRecord& member);

// What PlanStep needs of the member at `now`.
MemberView ViewOf(const MemberRecord& member, SteadyTime now);

}  // namespace mysqlset::local
