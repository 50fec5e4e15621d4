#pragma once
// Whether this member's part of a change of leader is still under way, so that its agent
// ticks fast (Agent::NextDelay). A failover or switchover is a relay between agents: the
// candidate campaigns once the old key is gone; the new leader names a sync replica once that
// replica's record shows it caught up; the replica turns its ack side on once named; the
// leader turns writable once it acks. At one tick a second each hand-off waited up to a
// tick: 4 s of a 7.5 s failover (bench/failover_bench.sh, before this). Fast ticks last
// only a bounded window after the leader changed, so a cluster stuck without a candidate
// does not poll the store and servers ten times a second for good. Pure; table cases in
// settling_test.cc.

#include <chrono>

#include "core/leadership.h"

namespace mysqlset {

struct SettleInput {
  RoleVerdict verdict = RoleVerdict::kWait;  // this tick's
  bool reachable = false;                    // the server answered this tick
  bool semi_sync = false;                    // the agent runs lossless semi-sync
  bool writable = false;                     // read_only is off, as gathered this tick
  std::string sync;                          // whom the sync key names ("" nobody)
  std::string self;
  bool acks = false;         // Rpl_semi_sync_slave_status, as gathered
  bool replicating = false;  // IO and SQL threads both run, as gathered
  // Its replication stopped on what no tick fixes (an SQL error, IO error 1236, errant
  // GTIDs): a person or a re-clone must act, and fast ticks would only retry it 10 times a
  // second (and log each retry).
  bool replication_broken = false;
  // Since this agent last saw the leader key change (to another member, or to none).
  std::chrono::milliseconds since_leader_change{0};
  // The leader's agent missed its heartbeat (LeaderHeartbeatLate): its lease may expire
  // within a tick, and the sync replica should see that at once, not a whole tick later.
  bool leader_late = false;
  std::chrono::milliseconds window{10000};
};

bool Settling(const SettleInput& in);

// Whether the leader's agent is late: its member record, which it rewrites every tick, has
// not changed for longer than a tick and a half. A frozen or cut-off leader's lease expires
// up to a TTL after its last renewal; ticking fast meanwhile is what lets its successor start
// within a fast tick of the expiry (a whole tick before). A leader merely slow for a moment
// costs some fast ticks, never a decision: only the lease's expiry moves the role. Bounded:
// a record still for longer than the lease's TTL plus a tick belongs to a leader that keeps
// renewing its lease (else its key would be gone) but cannot write its record; fast ticks
// would only poll the store, so it is no longer late.
bool LeaderHeartbeatLate(std::chrono::milliseconds since_leader_record_changed,
                         std::chrono::milliseconds tick, std::chrono::milliseconds lease_ttl);

}  // namespace mysqlset
