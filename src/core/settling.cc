#include "core/settling.h"

namespace mysqlset {

bool LeaderHeartbeatLate(std::chrono::milliseconds since_leader_record_changed,
                         std::chrono::milliseconds tick, std::chrono::milliseconds lease_ttl) {
  return since_leader_record_changed > tick + tick / 2 &&
         since_leader_record_changed <= lease_ttl + tick;
}

bool Settling(const SettleInput& in) {
  // Before the window: a leader that goes quiet long after it took the key. Bounded too: its
  // key is gone at most a TTL later, and then the window starts.
  if (in.verdict == RoleVerdict::kFollow && in.leader_late && in.reachable) return true;
  if (in.since_leader_change >= in.window) return false;
  // A server that does not answer has no part to play yet: its polls back off (agent.h).
  if (!in.reachable) return false;
  switch (in.verdict) {
    case RoleVerdict::kLead:
      // Held read-only until a sync replica acks, or writable with writes waiting for one
      // to be named.
      return !in.writable || (in.semi_sync && in.sync.empty());
    case RoleVerdict::kFollow:
      if (in.replication_broken) return false;
      if (!in.replicating) return true;  // re-pointed: its record shows the catch-up soon
      if (!in.semi_sync) return false;
      // The leader is choosing a sync replica (its record decides), or chose this member,
      // which must turn its ack side on before the leader turns writable.
      return in.sync.empty() || (in.sync == in.self && !in.acks);
    case RoleVerdict::kCampaign:
    case RoleVerdict::kWait:
    case RoleVerdict::kFence:
      return true;  // no leader yet: the next view may be the one to act on
  }
  return false;
}

}  // namespace mysqlset
