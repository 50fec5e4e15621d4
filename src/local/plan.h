#pragma once
// The supervisor's decisions, pure: given the desired size and what it observes of each
// member, which actions to take this tick. Like a StatefulSet with restartPolicy Always,
// but not OrderedReady:
//   - members at or above the desired size are stopped, highest ordinal first; their data
//     stays;
//   - ordinal 0 starts first (init -> clone -> mariadbd + agent): it is the only member that
//     may bootstrap a cluster, and the first donor any clone can have. Once it is ready,
//     every other member starts at once: each clones from a ready member below it
//     (clone_receiver.h), 0 at least, so waiting for the ones in between (OrderedReady)
//     only added their start-up times up (docs/benchmarks.md, time to ready). A member
//     that already holds a complete datadir starts at once, whoever is ready: after a
//     restart of the whole cluster the leader waits for a sync replica's ack before it
//     becomes writable (so ready), and that replica must be running to give it;
//   - a crashed mariadbd or agent is restarted once its backoff has elapsed, whatever the
//     other members do;
//   - a member whose init or clone failed is retried once its backoff has elapsed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mysqlset::local {

enum class MemberPhase {
  kStopped,  // nothing runs (never started, scaled down, or stopped by down)
  kInit,     // `mysqlset init` runs
  kClone,    // `mysqlset clone` runs
  kServing,  // mariadbd and agent were started; see the per-process fields
  kFailed,   // init or clone exited non-zero; waits for its retry
};

struct MemberView {
  uint32_t ordinal = 0;
  MemberPhase phase = MemberPhase::kStopped;
  bool ready = false;  // the agent's /readyz said 200 (kServing only)
  bool mariadbd_running = false;
  bool agent_running = false;
  bool mariadbd_restart_due = false;  // exited, and its restart backoff has elapsed
  bool agent_restart_due = false;
  bool retry_due = false;  // kFailed and its retry backoff has elapsed
  bool has_data = false;   // its datadir is complete (the marker): it needs no donor
};

// What the supervisor does to a member this tick; distinct from the agent's core::ActionKind.
enum class SupervisorAction { kStartMember, kRestartMariadbd, kRestartAgent, kStopMember };

struct PlannedAction {
  SupervisorAction kind = SupervisorAction::kStartMember;
  uint32_t ordinal = 0;
  bool operator==(const PlannedAction&) const = default;
};

// `members` holds the members the supervisor knows of, in any order; an ordinal not listed
// is stopped. Returns stops first (highest ordinal first), then restarts and starts in
// ordinal order.
std::vector<PlannedAction> PlanStep(int desired_replicas, std::vector<MemberView> members);

// The order in which `down` stops the members `running`: highest ordinal first, except the
// primary (the member behind the write endpoint; nullopt: none known), which goes last. A
// replica stopped while its primary still serves records that it applied all it received
// (its drain record), so if that primary does not come back at the next start, its sync
// replica may lead in its place; stopped after its primary, it could not prove it, and the
// cluster would wait for the lost primary (docs/roles.md).
std::vector<uint32_t> StopOrder(std::vector<uint32_t> running, std::optional<uint32_t> primary);

// True when members 0..desired-1 are serving and ready and nothing at or above runs.
bool Converged(int desired_replicas, const std::vector<MemberView>& members);

}  // namespace mysqlset::local
