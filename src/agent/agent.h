#pragma once
// The agent loop: each RunOnce() is docs/roles.md's tick. It fences first if it led and
// its lease may have expired; gathers the member's state (I/O through Db); keeps its lease
// alive and publishes members/<self> on it; reads the cluster's keys (CoordStore); decides
// its role (core/leadership) and what to do (core/replication_plan, core/readiness: pure);
// then acts. A timer in cmd/ calls RunOnce() after NextDelay(); tests call it directly with
// a FakeDb, a FakeCoordStore and a FakeClock.
//
// Thread-safety: RunOnce() from one thread; Snapshot() from any thread.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/errant_check.h"
#include "agent/switchover_step.h"
#include "agent/sync_step.h"
#include "core/accounts.h"
#include "core/backoff.h"
#include "core/failover.h"
#include "core/identity.h"
#include "core/leadership.h"
#include "core/readiness.h"
#include "core/replication_plan.h"
#include "core/settling.h"
#include "core/topology.h"
#include "env/clock.h"
#include "env/coord_store.h"
#include "env/db.h"
#include "env/file_system.h"
#include "env/server_killer.h"
#include "formats/clone_record.h"
#include "formats/store_records.h"

namespace mysqlset {

struct AgentConfig {
  MemberIdentity id;
  PeerLayout layout;
  std::string data_dir;
  ReadinessPolicy policy;
  Secrets secrets;
  // The OS user this agent (and so mariadb-install-db) runs as: install-db named a
  // unix_socket superuser after it, which the primary drops (see kDropSocketSuperusers).
  std::string os_user = "root";
  std::chrono::milliseconds tick{1000};
  std::string cluster;            // the store's key prefix names it (`--cluster`)
  uint32_t expected_members = 1;  // `--members`: see LeadershipInput::expected_members
  LeaseTiming lease;
  // Admin connections to peers, for the switchover step's MASTER_GTID_WAIT on the candidate;
  // without it this member cannot hand its role over (a request from it times out).
  PeerDbFactory peer_db;
  // The same for the errant check (agent/errant_check.h), which a replica runs every tick:
  // short timeouts, so that a frozen primary does not stall the replica's tick (and its
  // lease). Unset: peer_db.
  PeerDbFactory check_peer_db;
  // While a switchover is in the store, ticks come this often: each step waits for a tick,
  // and writes pause from the old primary's read_only to the new one's writable.
  std::chrono::milliseconds switchover_tick{100};
  // ... and so do they for at most this long after the leader key changes, while this
  // member's part of the change is under way (core/settling.h).
  std::chrono::milliseconds settle_window{10000};
  // Until this member is first ready, and for at most startup_window after the agent
  // started, ticks come this often and a mysqld that does not answer yet is polled this
  // often instead of backing off: a starting member is ready a few ms after its server
  // answers and its role allows, rather than up to a tick (or a backoff step) later. 0: off.
  std::chrono::milliseconds startup_tick{0};
  std::chrono::milliseconds startup_window{30000};
  // Failover's cool-down, and when a leader whose mariadbd is dead releases the key.
  FailoverPolicy failover;
  // `--semi-sync`: lossless semi-sync and, with it, automatic failover (a failover needs a
  // designated sync replica). Local mode passes it with `up --semi-sync` (experimental,
  // docs/roles.md "Failover"); without it no sync key is published, so nothing fails over.
  bool semi_sync = false;
  // The heal of an errant or diverged replica (core/reclone.h): writes the re-clone request
  // (DATA/.mysqlset-reclone) naming the reason; an empty reason removes a request. Unset:
  // such a member is only reported.
  std::function<Status(const std::string& reason)> request_reclone;
  Backoff unreachable_backoff{std::chrono::milliseconds(500), std::chrono::milliseconds(5000), 2.0};
};

// What fencing did since the agent started, per step of the ladder.
struct FenceCounters {
  uint64_t read_only = 0;      // SET GLOBAL read_only=1 with lock_wait_timeout=1
  uint64_t kill_sessions = 0;  // READ ONLY ADMIN sessions killed
  uint64_t kill_server = 0;    // mariadbd SIGKILLed
};

struct AgentSnapshot {
  Role role = Role::kReplica;  // what the agent acts as: primary only while it leads
  RoleDecision decision;       // this tick's verdict
  std::string leader;          // who holds the leader key ("" none or unknown)
  uint64_t epoch = 0;          // the leader's epoch (the last leader's when none leads)
  bool store_ok = false;       // the store answered this tick
  // No leader key, and this agent has neither led nor streamed from a source since it started:
  // a cold start's election
  // (core/readiness.h SourceContact::awaiting_election).
  bool awaiting_election = false;
  // Leading with semi-sync armed and no replica acking yet (core/readiness.h
  // SourceContact::awaiting_sync_replica).
  bool awaiting_sync_replica = false;
  // A pending switchover names this member as its candidate (/replica leaves it first).
  bool switchover_candidate = false;
  // While role is primary: until when this agent's lease is certainly alive.
  std::optional<std::chrono::steady_clock::time_point> lead_deadline;
  bool writable = false;  // read_only=0 as gathered, or as the agent set it since
  uint64_t leader_changes = 0;
  FenceCounters fencing;
  ServerState state;
  Readiness readiness;
  std::vector<std::string> last_actions;  // "configure_replication: first start after clone"
  std::string last_error;                 // last failed action or gather, empty if none
  std::string replication_error;          // the error being reported, if any
  uint64_t ticks = 0;
  uint64_t replication_errors_seen = 0;  // transitions into a reported replication error
  uint64_t actions_taken = 0;
  std::chrono::steady_clock::time_point updated{};
  std::optional<formats::CloneRecord> clone;  // DATA/.mysqlset-clone.json
  // The last gather that saw the IO thread running under the lag limit (the stale-read
  // rule counts from it: core/readiness.h's SourceContact); unset while primary.
  std::optional<std::chrono::steady_clock::time_point> in_sync_at;
  // Issue 13. Shown by /v1/status, `mysqlset status` and /metrics.
  std::string sync;  // the "sync" key's member ("" none designated)
  // Semi-sync in one line (agent/sync_step.h SyncOutcome::note): on the leader whom writes
  // wait for, "single member: writes are not replicated", or why writes wait.
  std::string semi_sync;
  GtidList errant_gtids;              // this member's transactions the primary never had
  uint64_t errant_checks_failed = 0;  // errant GTIDs found (transitions into errant)
  // The replica's IO thread stopped with error 1236 (diverged from its source): errant too.
  bool diverged = false;
  std::string reclone;  // the re-clone this agent asked for ("" none): core/reclone.h
  std::optional<EpochView> last_epoch;  // the newest history entry (the last failover's)
  uint64_t failovers = 0;    // epochs this agent saw begin with reason "failover"/"forced"
  uint64_t switchovers = 0;  // ... with reason "switchover"
};

class Agent {
 public:
  Agent(AgentConfig config, Db& db, CoordStore& store, ServerKiller& killer, FileSystem& fs,
        const Clock& clock);

  void RunOnce();
  AgentSnapshot Snapshot() const;
  // The verdict on `snap` (from Snapshot()) once its state is `state_age_seconds` old
  // (nullopt: never gathered): core's DecideReadiness with this member's role, clone record
  // and policy. RunOnce stores it at age 0; /readyz asks again with the age at request time.
  Readiness ReadinessOf(const AgentSnapshot& snap, std::optional<double> state_age_seconds) const;
  // How long the timer should wait before the next RunOnce(): the tick, or a growing
  // backoff while mysqld does not answer (no busy loop, no restart storm), never longer than
  // the tick (the lease needs its keepalive) nor past the fence deadline while it leads;
  // startup_tick until the member is first ready.
  std::chrono::milliseconds NextDelay() const;
  // /primary: this agent holds the leader key, before its deadline at `now`, and its server
  // is writable.
  static bool ServesPrimary(const AgentSnapshot& snap, std::chrono::steady_clock::time_point now);
  // /replica (HAProxy's read backend): a replica following the leader whose verdict `r`
  // (ReadinessOf at request time) is ready; while no one leads (wait, campaign), only one
  // ready on the stale-read rule (core/readiness.h's SourceContact); never the candidate of
  // a pending switchover.
  static bool ServesReplica(const AgentSnapshot& snap, const Readiness& r);
  // The fence watchdog, from a thread of its own (about every 100 ms) with a connection of
  // its own (`db`, to the same server): a tick blocked in a slow store or server call must
  // not leave the server writable past the fence deadline, when another member may already
  // have taken over. If the last published snapshot acts as primary and its deadline has
  // passed, runs the ladder on `db` (read_only, kill READ ONLY ADMIN sessions; SIGKILL if
  // either fails), once per deadline. The next tick fences again first thing, or, if its
  // keepalive did renew the lease, makes the server writable again. True if it fenced.
  bool FenceIfPastDeadline(Db& db);
  const AgentConfig& config() const { return config_; }
  // Called once when the agent is told to stop (SIGTERM: `down`, a scale-down), before its
  // mariadbd is stopped. A replica that streamed from the leader since its server started
  // stops its IO thread (it acks nothing more), applies all it received (at most
  // `apply_timeout_s`) and writes the drain record (formats/drain_record.h), so that after a
  // restart it still counts as holding every write it acked: the failover rule (docs/roles.md
  // "Failover", rule 3) otherwise refuses a sync replica whose server restarted. Otherwise, or
  // if it cannot apply in time, it writes nothing and that rule stays as strict as after a
  // crash. Only where mariadbd always stops right after (`--drain-on-stop`: the local
  // supervisor): the IO thread stays stopped until the next agent starts it.
  // REQUIRES: RunOnce is not running.
  void DrainOnStop(double apply_timeout_s = 10.0);

 private:
  ServerState Gather();
  // Lease grant or keepalive, then members/<self>; false when the store did not answer.
  bool KeepLease(const ServerState& state, const AgentSnapshot& snap);
  std::optional<ClusterView> ReadView();
  // The leader txn; it also writes history/<epoch> with the decision's epoch reason and
  // `gtid`, and removes a forced failover request.
  void Campaign(const ClusterView& view, const GtidList& gtid, AgentSnapshot& snap);
  // A failover candidate fences the replicas and applies what it received first
  // (agent/failover_step.h); true once it may campaign.
  bool ReadyToCampaign(const ClusterView& view, const ServerState& state, GtidList& gtid,
                       AgentSnapshot& snap);
  // A leader whose mariadbd is dead, or restarted under it, hands the key to a failover
  // (core ReleaseLeadership).
  bool ReleaseIfServerDead(const ClusterView& view, bool restarted, AgentSnapshot& snap);
  // AgentSnapshot's last_epoch and failover/switchover counters from the view.
  void CountEpochs(const ClusterView& view, AgentSnapshot& snap);
  // The ladder: read_only, kill READ ONLY ADMIN sessions, and SIGKILL if either failed.
  // `late`: the lease may already have expired at the store (FenceIsLate), so another member
  // may lead: SIGKILL first, since SQL may block a second behind a commit waiting for an ack.
  void Fence(const std::string& why, AgentSnapshot& snap, bool late = false);
  // With semi-sync, past the deadline by the margin or more: the store may have expired the
  // lease (it expires no sooner than the keepalive's send + ttl = deadline + margin). A stall
  // that long (SIGSTOP, a paused VM) wakes a primary that another may already have replaced.
  bool FenceIsLate(std::chrono::steady_clock::time_point deadline) const;
  // The ladder's SQL steps on `db`, counted in `counters`. REQUIRES: fence_mu_ held.
  static Status FenceBySql(Db& db, FenceCounters& counters);
  bool LeadsInTime() const;
  // Seconds before the fence deadline (0 without one, or past it).
  double LeaseLeftSeconds() const;
  // Notes when the leader's member record last changed (leader_record_moved_at_).
  void TrackLeaderHeartbeat(const ClusterView& view);
  // Whether that record is overdue now (core/settling.h LeaderHeartbeatLate); false when
  // this tick's view showed no leader, or this member leads.
  bool LeaderLateNow() const;
  // This tick's facts for core/settling.h (whether to tick fast).
  SettleInput SettleInputOf(RoleVerdict verdict, const ServerState& state, const std::string& sync,
                            const AgentSnapshot& snap) const;
  // Drops a kStartReplication after an error until core/replication_plan.h's backoff allows
  // it, and counts the starts it lets through.
  void BackOffReplicationStarts(const ServerState& state, std::vector<Action>& actions);
  void Act(const std::vector<Action>& actions, AgentSnapshot& snap);
  Result<DesiredSource> SourceOf(const std::string& member) const;
  // Its IO thread runs from `source`'s server.
  static bool StreamsFrom(const ServerState& state, const DesiredSource& source);
  // Runs the switchover step when a request is in the store (agent/switchover_step.h).
  void AdvanceSwitchoverRequest(const ClusterView& view, const ServerState& state,
                                AgentSnapshot& snap);
  CloneRecordStatus CloneStatus() const;
  // At the server's first answer: takes received_from_ from the drain record DrainOnStop left
  // if the data still holds it (core DrainStillHolds), and consumes the record either way
  // (overwritten durably before it counts), so that it counts for this one start only
  // (skip_slave_start: nothing streams before the agent's own START SLAVE, after this).
  void LoadDrainRecord(const ServerState& state);
  // A replica following `leader`: its errant GTIDs (agent/errant_check.h), after Gather.
  // False when it could not tell this tick (the last verdict stands).
  bool CheckErrant(const std::string& leader, const ServerState& state, AgentSnapshot& snap);
  // Removes a standing re-clone request: the member leads, or is no longer errant.
  void WithdrawReclone(AgentSnapshot& snap);
  // After CheckErrant: asks for a re-clone once DecideReclone says so.
  void RequestRecloneIfDue(const ClusterView& view, const std::string& leader, AgentSnapshot& snap);

  const AgentConfig config_;
  const formats::StoreKeys keys_;
  SyncStep sync_;  // lossless semi-sync: the "sync" key and both sides (docs/roles.md)
  Role role_ = Role::kReplica;
  Db& db_;
  CoordStore& store_;
  ServerKiller& killer_;
  FileSystem& fs_;
  const Clock& clock_;
  int consecutive_failures_ = 0;
  // When this agent's mariadbd started (now - Uptime at the first tick that read it, moved
  // on a restart): see server_restarted in RunOnce.
  std::optional<std::chrono::steady_clock::time_point> server_started_;
  bool may_ack_ = false;  // published as MemberRecord::semi_sync_replica: see KeepLease
  // The leader and epoch this mariadbd has streamed from since it started (MemberRecord's
  // received_from): cleared when the server restarts or goes down, and unknown (empty) after
  // the agent starts until the IO thread is seen running from the leader again, or until the
  // server's first answer finds a drain record that still holds (LoadDrainRecord).
  std::pair<std::string, uint64_t> received_from_;
  LeaseId lease_ = 0;
  // FenceDeadline of the last successful keepalive (or grant); unset without a lease.
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::string leader_seen_;       // the leader in the last view the store gave
  bool any_leader_seen_ = false;  // some view since the start had a leader key
  // Since the start, this agent led, or streamed from a live source. A cold start
  // may show the last leader's key, restored with its lease by a restarted etcd, for a TTL
  // after its holder is gone: having seen a key is no contact with a leader, and must not end
  // the election rule (SourceContact::awaiting_election) or the next member never starts.
  bool served_since_start_ = false;
  // The "switchover" key as the last view read it; nullopt when there is none.
  std::optional<StoredValue> switchover_request_;
  // The switchover request's identity (SwitchoverRequestIdentity), and when this agent first
  // read it (its timeout counts from there: agent/switchover_step.h).
  std::pair<std::string, std::chrono::steady_clock::time_point> switchover_seen_{};
  bool switchover_pending_ = false;  // the request is not finished: tick faster
  bool handing_over_ = false;        // ... and it is from this member: see RunOnce
  bool took_key_ = false;            // the last tick's campaign won: lead soon (NextDelay)
  bool settling_ = false;  // this member's part of a change of leader is under way (NextDelay)
  // When a view last showed the leader key changed (nullopt: never since the first leader).
  std::optional<std::chrono::steady_clock::time_point> leader_changed_at_;
  // The leader's heartbeat as this agent sees it: its member record's revision, and when
  // that last moved; tracked only while this tick's view shows another member leading.
  std::pair<std::string, int64_t> leader_record_{};
  std::chrono::steady_clock::time_point leader_record_moved_at_{};

  bool leader_record_tracked_ = false;
  bool been_ready_ = false;  // some tick's verdict was ready in its role (see startup_tick)
  std::chrono::steady_clock::time_point agent_started_;  // when it was made (startup_tick)
  DesiredSource source_;  // where kFollow replicates from (the leader's address)
  bool fenced_ = false;   // the ladder ran since this agent last led
  // The newest history epoch counted; nullopt before the first view (what happened before
  // this agent started is not counted).
  std::optional<uint64_t> epoch_seen_;
  std::optional<formats::CloneRecord> clone_;
  // Set when DATA/.mysqlset-clone.json exists but is garbled: the replica cannot know where
  // replication must start, so it never configures it from a guess.
  std::string clone_record_error_;
  ErrantCheck errant_check_;
  int errant_checks_in_a_row_ = 0;  // consecutive checks that found errant GTIDs or 1236
  std::chrono::steady_clock::time_point errant_since_;  // the first of them
  std::string errant_leader_;                           // the leader they were checked against
  bool reclone_withdrawn_ = false;
  // Starts of replication threads that stopped on an error since they last ran cleanly, and
  // the last one's time (BackOffReplicationStarts).
  int replication_starts_ = 0;
  std::chrono::steady_clock::time_point
      replication_started_at_{};  // a request that survived a restart was removed

  // Held while the tick or the watchdog fences, so that neither kills the other's session
  // in the middle of its statement.
  std::mutex fence_mu_;
  mutable std::mutex mu_;
  AgentSnapshot snapshot_;  // guarded by mu_
  // The deadline the watchdog last fenced for (guarded by mu_).
  std::optional<std::chrono::steady_clock::time_point> watchdog_fenced_for_;
  // What the watchdog did during the current tick, added to its snapshot at the end (mu_).
  FenceCounters watchdog_pending_;
};

// Reads DATA/.mysqlset-clone.json; nullopt when absent. A garbled file is an error.
Result<std::optional<formats::CloneRecord>> ReadCloneRecord(const FileSystem& fs,
                                                            const std::string& data_dir);

}  // namespace mysqlset
