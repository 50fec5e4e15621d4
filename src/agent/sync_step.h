#pragma once
// The agents' side of lossless semi-sync (docs/roles.md "Semi-sync"; the decisions are
// core/sync_replica.h's). The agent's tick calls Run() once the role is decided and before
// the role's actions, every tick:
// - the leader publishes the "sync" key FIRST (compare-and-swap, while the leader key is
//   still on its lease), and only then sets its master side as decided: a replica turns its
//   slave side on only after it reads its name there, so the key never lags what acks;
// - every other member keeps its master side off (HA.md pitfall 2), and its slave side on
//   only while the key names it and it is caught up, off at once otherwise.
//
// Not thread-safe: the agent's loop thread only.

#include <optional>
#include <string>
#include <vector>

#include "core/leadership.h"
#include "core/server_state.h"
#include "core/sync_replica.h"
#include "env/clock.h"
#include "env/coord_store.h"
#include "env/db.h"
#include "formats/store_records.h"

namespace mysqlset {

struct SyncTick {
  std::optional<ClusterView> view;  // nullopt: the store did not answer
  RoleDecision decision;
  ServerState state;  // gathered this tick
  LeaseId own_lease = 0;
  uint64_t epoch = 0;            // the leader's epoch, for the key's record
  bool own_lease_alive = false;  // before this agent's fence deadline
  // Seconds left before that deadline (0 when not leading): a nudge, which may take a second
  // or two when nobody acks it, is written only with time to spare, so the tick still renews
  // the lease in time.
  double lease_left_seconds = 0;
};

struct SyncOutcome {
  std::string sync;  // whom the "sync" key names after this tick ("" nobody or unknown)
  // One line for status: "mysql-1 is the sync replica", "single member: writes are not
  // replicated", "writes wait: ...", or on a replica "acks the primary's commits".
  std::string note;
  // The leader must not be made writable this tick: semi-sync was armed in the cluster but
  // its master side is not on yet (the promotion has not stopped replication, the named
  // replica does not ack yet, or enabling failed).
  bool hold_writable = false;
  // The leader waits for a replica to ack: semi-sync was armed, and either its master side
  // waits for the named replica's first ack (held read-only meanwhile) or it is on with no
  // replica acking or commits waiting. Readiness lets it be ready meanwhile
  // (core/readiness.h SourceContact::awaiting_sync_replica).
  bool waits_for_replica = false;
  std::vector<std::string> actions;  // what it did, in words
  std::string error;                 // the last failure ("" none)
};

class SyncStep {
 public:
  SyncStep(std::string self, const formats::StoreKeys& keys, uint32_t expected_members,
           CoordStore& store, Db& db, const Clock& clock, SyncPolicy policy = {});

  SyncOutcome Run(const SyncTick& tick);

 private:
  void Lead(const SyncTick& tick, SyncOutcome& out);
  void Replica(const SyncTick& tick, SyncOutcome& out);
  // Compare-and-swap of the "sync" key against the view's revision, only while the leader
  // key is still on `lease`. False (and nothing written) when either changed.
  Result<bool> Publish(const SyncTick& tick, const std::string& name);
  void Do(const char* what, const Status& st, SyncOutcome& out);
  int64_t SteadyMs() const;  // clock_'s steady time

  const std::string self_;
  const formats::StoreKeys& keys_;
  const uint32_t expected_members_;
  CoordStore& store_;
  Db& db_;
  const Clock& clock_;
  const SyncPolicy policy_;
  bool armed_this_tick_ = false;  // Lead() turned the master side on during this Run()
  // Which sync replica this leader saw acking (its record's semi_sync_replica=true) since it
  // was designated: a later false means it restarted and lost its relay log.
  std::string seen_name_;
  bool seen_acking_ = false;
  // Rpl_semi_sync_master_yes_tx on the previous tick, when commits waited then (nullopt:
  // none did), and when this leader last nudged (core/sync_replica.h ShouldNudgeAck).
  std::optional<int64_t> acked_when_waiting_;
  std::string sync_when_waits_began_;  // whom the key named when commits began to wait
  // Since commits began to wait, the key named another member, or the named member's record
  // said it did not ack (it restarted and reconnected): the hand-over case.
  bool handed_over_since_waits_began_ = false;
  // SteadyMs() when commits began to wait, or when the last ack came while they waited: the
  // nudge's and the release's "no ack for 10 s" (under steady load some commit waits on
  // most ticks while acks flow; that is no stall).
  int64_t no_ack_since_ms_ = 0;
  std::optional<int64_t> last_nudge_ms_;
  bool nudged_since_waits_began_ = false;  // a nudge was tried (ShouldReleaseStuckCommits)
};

}  // namespace mysqlset
