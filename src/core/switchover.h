#pragma once
// Switchover decisions (docs/roles.md "Switchover"), pure: whether a member may take over
// as primary (or which one, when the request names none), and the next step the primary's
// agent takes for a pending request. The agent (agent/switchover_step.h) gathers and acts.

#include <cstdint>
#include <optional>
#include <string>

#include "core/leadership.h"

namespace mysqlset {

// The registered member named `name` in `view`, or nullptr.
const MemberView* FindMemberView(const ClusterView& view, const std::string& name);

struct SwitchoverPolicy {
  double max_lag_seconds = 30;  // a candidate lagging more is refused
  // server_id = offset + ordinal: tells the primary's own transactions by their GTIDs.
  uint64_t server_id_offset = 100;
};

struct SwitchoverTarget {
  std::optional<std::string> candidate;  // set when eligible
  std::string from;                      // the primary (leader key holder), when there is one
  std::string refusal;                   // one line, set when refused
};

// Checks a switchover request against one read of the store. `set_name` and `members` say
// which names exist (ordinals 0..members-1); `to` is the requested target or nullopt (then
// the most caught-up eligible replica, ties to the lowest ordinal).
// Refused when: no member holds the leader key, or the primary is not registered; the target
// is unknown, not registered, the primary itself, unreachable, not replicating, lagging over
// the limit (or lag unknown), or holds GTIDs the primary lacks (errant); there is no replica.
SwitchoverTarget CheckSwitchoverTarget(const ClusterView& view, const std::string& set_name,
                                       uint32_t members, const std::optional<std::string>& to,
                                       const SwitchoverPolicy& policy);

// The states of a request, as written in the store's "state" field.
enum class SwitchoverState { kRequested, kReadOnly, kCaughtUp, kHandedOver, kDone, kFailed };
const char* SwitchoverStateName(SwitchoverState s);
std::optional<SwitchoverState> ParseSwitchoverState(const std::string& name);

// What one agent observed this tick about a pending request.
struct SwitchoverObservation {
  std::string self;
  std::string from;  // the request's
  std::string to;
  SwitchoverState state = SwitchoverState::kRequested;
  bool self_holds_leader = false;      // the leader key names self, on self's lease
  bool before_fence_deadline = false;  // self's lease certainly alive
  double lease_left_seconds = 0;       // until self's fence deadline, now
  double lease_safe_seconds = 2.5;     // right after a renewal: TTL less the fence margin
  bool self_writable = false;          // self's server has read_only=0
  bool candidate_registered = false;   // `to`'s member key exists
  bool candidate_reachable = false;    // its record says its mysqld answers
  bool timed_out = false;              // the request's time is up
  // Commits wait for a semi-sync ack and the sync key names nobody: only a designation
  // releases them, and the leader designates none while its own switchover is pending
  // (agent/sync_step.cc). Going read-only would wait behind them until the timeout.
  bool commits_stuck = false;
};

// The primary starts a step of its own (read_only, the candidate's wait, the hand-over) only
// with this much left before its fence deadline: each can block for about a second, and a
// renewed lease leaves 2.5 s (TTL 3 s less the 0.5 s margin) less the tick's work so far.
// With a shorter lease (--lease-ttl 2: 1.5 s safe), 60 % of what a renewal leaves.
inline constexpr double kSwitchoverStepMarginSeconds = 1.5;
inline constexpr double kSwitchoverStepMarginShare = 0.6;

enum class SwitchoverAction {
  kNone,              // not this agent's business, or nothing to do now
  kGoReadOnly,        // primary: read_only (ladder's first two steps), read G -> read_only
  kWaitForCandidate,  // primary: MASTER_GTID_WAIT(G) on the candidate -> caught_up
  kHandOver,          // primary: demote, then the leader txn -> handed_over
  kMarkDone,          // candidate: it leads and is writable -> done
  kAbort,             // primary: give up with `reason` -> failed; it leads on
};
const char* SwitchoverActionName(SwitchoverAction a);

struct SwitchoverStep {
  SwitchoverAction action = SwitchoverAction::kNone;
  std::string reason;  // kAbort: why, one line
  bool operator==(const SwitchoverStep&) const = default;
};

SwitchoverStep NextSwitchoverStep(const SwitchoverObservation& o);

}  // namespace mysqlset
