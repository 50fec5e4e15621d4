#pragma once
// Whether what the supervisor last wrote (DIR/state.json) can be believed, and what a
// command waiting on it (`up`, `scale`) should conclude. Pure: the caller reads the files
// and the wall clock.
//
// The supervisor refreshes a heartbeat in state.json at least every kHeartbeatInterval, even
// when nothing changes, and stamps each state with the time its tick started observing
// (reaping children, probing agents). A reader calls the supervisor "not responding" when
// the heartbeat is more than kHeartbeatStaleAfter away from its own clock (in either
// direction: a heartbeat far in the future means the clock was set back since it was
// written, and none came after). A waiting command never reports "ready" from a state that
// was observed before it started waiting, nor from a supervisor that is not responding.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "local/cluster_report.h"

namespace mysqlset::local {

inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
inline constexpr std::chrono::milliseconds kHeartbeatStaleAfter{5000};

struct Liveness {
  bool responding = false;
  // Whole seconds since the last heartbeat (negative when it lies in the future); nullopt
  // when the state holds no heartbeat at all.
  std::optional<int64_t> age_s;
};
// heartbeat_ms <= 0 means "none recorded".
Liveness JudgeHeartbeat(int64_t heartbeat_ms, int64_t now_ms);

// "supervisor pid 42 is not responding (last heartbeat 12 s ago)".
std::string NotRespondingMessage(pid_t pid, const Liveness& l);
// What to do about it: "is it stopped (`kill -CONT 42`) or hung? see LOG".
std::string NotRespondingAdvice(pid_t pid, const std::string& supervisor_log);

enum class WaitOutcome {
  kWait,           // nothing to conclude yet
  kConverged,      // the supervisor reports the requested size ready (confirm it, then done)
  kMemberFailed,   // a member the command waits for is failing; message says why
  kSuperseded,     // cluster.json now asks for another size
  kNotResponding,  // the supervisor stopped writing heartbeats
};

struct WaitInput {
  std::optional<SupervisorState> state;  // state.json, when it parsed
  pid_t supervisor = 0;                  // the supervisor the command talks to
  int replicas = 0;                      // the size the command asked for
  int requested = 0;                     // cluster.json's size now; <= 0 when unknown
  int64_t now_ms = 0;                    // wall clock, Unix milliseconds
  int64_t since_ms = 0;                  // when the command started waiting
};

struct WaitVerdict {
  WaitOutcome outcome = WaitOutcome::kWait;
  std::string message;  // for kMemberFailed, kSuperseded, kNotResponding
};

// In order: superseded; not responding (a state from another supervisor, or none, counts as
// a heartbeat at since_ms, so a supervisor that never writes one is caught too); a failing
// member below the size; converged, if observed at or after since_ms; else wait.
WaitVerdict DecideWait(const WaitInput& in);

}  // namespace mysqlset::local
