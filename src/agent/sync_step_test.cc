#include "agent/sync_step.h"

#include <algorithm>

#include "agent/agent.h"
#include "gtest/gtest.h"
#include "testing/fake_coord_store.h"
#include "testing/fake_db.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

// A FakeDb that records, each time the master side is turned on, whom the store's "sync" key
// named at that instant: publish-before-enable is about the order of two systems.
class OrderCheckingDb : public FakeDb {
 public:
  OrderCheckingDb(CoordStore& store, const formats::StoreKeys& keys) : store_(store), keys_(keys) {}
  Status SetSemiSyncPrimary(bool enabled) override {
    if (enabled) {
      auto v = store_.Get(keys_.Sync());
      sync_when_enabled.push_back(
          v.ok() && *v ? formats::FromJson<formats::SyncRecord>((*v)->value)->name : "<absent>");
    }
    return FakeDb::SetSemiSyncPrimary(enabled);
  }
  std::vector<std::string> sync_when_enabled;

 private:
  CoordStore& store_;
  const formats::StoreKeys& keys_;
};

MemberView Member(uint32_t ord, const char* gtid, bool acking = false) {
  MemberView m;
  m.name = "mysql-" + std::to_string(ord);
  m.ordinal = ord;
  m.mysql_reachable = true;
  m.has_data = true;
  m.gtid_binlog = GtidList::Parse(gtid).value();
  m.replicating = true;
  m.lag_seconds = 0.0;
  m.semi_sync_replica = acking;
  if (acking) m.received_from = "mysql-0";  // streams from the leader of these tests
  m.role = "replica";
  return m;
}

ServerState ReplicaState(std::optional<int64_t> lag = 0) {
  ServerState s;
  s.reachable = true;
  ReplicaStatus r;
  r.source_host = "127.0.0.10";
  r.source_port = 3306;
  r.io = ThreadState::kYes;
  r.sql = ThreadState::kYes;
  r.seconds_behind = lag;
  s.replica = r;
  return s;
}

class SyncStepTest : public ::testing::Test {
 protected:
  // mysql-0 leads on its own lease; the view holds the members given and the sync key as
  // stored now.
  void SetUp() override {
    lease_ = *store_.GrantLease(3);
    ASSERT_TRUE(
        store_.Put(keys_.Leader(), formats::ToJson(formats::LeaderRecord{"mysql-0", 2, 0}), lease_)
            .ok());
    db_.state.gtid_binlog = GtidList::Parse("0-100-10").value();
  }
  SyncTick LeaderTick(std::vector<MemberView> others) {
    SyncTick t;
    ClusterView v;
    v.leader = LeaderView{"mysql-0", 2, lease_, 5};
    MemberView self = Member(0, "0-100-10");
    self.replicating = false;
    self.lag_seconds.reset();
    self.role = "primary";
    v.members.push_back(self);
    for (auto& m : others) v.members.push_back(m);
    auto stored = store_.Get(keys_.Sync());
    if (stored.ok() && *stored) {
      v.sync = formats::FromJson<formats::SyncRecord>((*stored)->value)->name;
      v.sync_mod_revision = (*stored)->mod_revision;
    }
    t.view = v;
    t.decision.verdict = RoleVerdict::kLead;
    t.state = db_.state;
    t.own_lease = lease_;
    t.own_lease_alive = true;
    t.lease_left_seconds = 2.5;
    t.epoch = 2;
    return t;
  }
  std::string StoredSync() {
    auto v = store_.Get(keys_.Sync());
    if (!v.ok() || !*v) return "<absent>";
    return formats::FromJson<formats::SyncRecord>((*v)->value)->name;
  }
  // mysql-1 is named and acks, the master side goes on, and the server takes writes, with
  // `clients` semi-sync clients connected and 7 commits acknowledged so far.
  void ArmWritable(SyncStep& step, const std::vector<MemberView>& acking, int64_t clients) {
    step.Run(LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-9")}));
    step.Run(LeaderTick(acking));
    ASSERT_TRUE(db_.state.semi_sync_master_enabled);
    db_.state.read_only = false;
    db_.state.semi_sync_master_clients = clients;
    db_.state.semi_sync_master_acked_commits = 7;
  }
  // `seconds` ticks, 1 s apart, each with commits waiting and one more acknowledged.
  void AcksFlowWhileCommitsWait(SyncStep& step, const std::vector<MemberView>& acking,
                                int seconds) {
    for (int i = 0; i < seconds; ++i) {
      db_.state.semi_sync_master_wait_sessions = 2;
      ++db_.state.semi_sync_master_acked_commits;
      step.Run(LeaderTick(acking));
      clock_.Advance(std::chrono::milliseconds(1000));
    }
  }
  size_t Count(const FakeDb& db, const std::string& call) {
    return static_cast<size_t>(std::count(db.calls.begin(), db.calls.end(), call));
  }

  FakeClock clock_;
  FakeCoordStore store_{&clock_};
  formats::StoreKeys keys_{"mysql"};
  OrderCheckingDb db_{store_, keys_};
  LeaseId lease_ = 0;
};

TEST_F(SyncStepTest, LeaderPublishesTheKeyBeforeItEnablesTheMasterSide) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  SyncOutcome out = step.Run(LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-9")}));
  EXPECT_EQ(out.sync, "mysql-1");
  EXPECT_EQ(StoredSync(), "mysql-1");
  // Armed only once the named replica acks (its record says so).
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_EQ(out.note, "mysql-1 is the sync replica; waiting for mysql-1 to ack");
  EXPECT_TRUE(out.hold_writable) << "a new cluster acknowledged writes before its first ack";
  EXPECT_TRUE(out.waits_for_replica);
  out = step.Run(LeaderTick({Member(1, "0-100-10", true), Member(2, "0-100-9")}));
  EXPECT_TRUE(db_.state.semi_sync_master_enabled);
  EXPECT_EQ(db_.sync_when_enabled, std::vector<std::string>{"mysql-1"});
  EXPECT_FALSE(out.hold_writable);
  // Steady state: nothing written, nothing set.
  const int64_t revision = store_.revision();
  db_.calls.clear();
  const SyncOutcome again =
      step.Run(LeaderTick({Member(1, "0-100-10", true), Member(2, "0-100-9")}));
  EXPECT_EQ(again.sync, "mysql-1");
  EXPECT_EQ(store_.revision(), revision);
  EXPECT_TRUE(db_.calls.empty());
}

// The sync replica was replaced while a commit waited: the new one got that commit before it
// acked, so nothing acknowledges it until a later commit does. The leader writes one.
TEST_F(SyncStepTest, CommitsStuckAfterAHandOverGetANudgeNoMoreThanOnceIn3s) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  const std::vector<MemberView> acking = {Member(1, "0-100-10", true), Member(2, "0-100-9")};
  ArmWritable(step, acking, 1);
  if (HasFatalFailure()) return;
  // Acks flow while commits wait on every tick: no nudge.
  AcksFlowWhileCommitsWait(step, acking, 3);
  EXPECT_EQ(db_.ack_nudges, 0);
  db_.state.semi_sync_master_wait_sessions = 0;
  step.Run(LeaderTick(acking));
  // Stuck under the replica named when the waiting began: it got them with semi-sync on, so
  // its own ack will come (and a nudge could block behind a frozen one): no nudge.
  db_.state.semi_sync_master_wait_sessions = 1;
  for (int i = 0; i < 4; ++i) {
    step.Run(LeaderTick(acking));
    clock_.Advance(std::chrono::milliseconds(1000));
  }
  EXPECT_EQ(db_.ack_nudges, 0);
  db_.state.semi_sync_master_wait_sessions = 0;
  step.Run(LeaderTick(acking));
  // After a hand-over: the waiting began while the key named nobody (the old sync replica
  // gone), then mysql-1 was named and acks. The next tick nudges, the two after (within 3 s)
  // don't.
  db_.state.semi_sync_master_wait_sessions = 1;
  SyncTick handover = LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-9")});
  handover.view->sync = "";
  step.Run(handover);
  clock_.Advance(std::chrono::milliseconds(1000));
  for (int i = 0; i < 3; ++i) {
    step.Run(LeaderTick(acking));
    clock_.Advance(std::chrono::milliseconds(1000));
  }
  EXPECT_EQ(db_.ack_nudges, 1);
  step.Run(LeaderTick(acking));
  EXPECT_EQ(db_.ack_nudges, 2) << "still stuck 3 s after the first nudge";
  // Nobody acks (the named replica's record says it does not): never.
  clock_.Advance(std::chrono::milliseconds(10000));
  step.Run(LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-9")}));
  EXPECT_EQ(db_.ack_nudges, 2);
}

// An old sync replica still connected (its volume full): two semi-sync clients, so no nudge.
// Commits are released only after 10 s with no ack, counted from the last ack, not from when
// commits first waited (under load some commit waits on most ticks while acks flow).
TEST_F(SyncStepTest, WithTwoClientsStuckCommitsAreReleasedAfter10sWithoutAnAck) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  MemberView named = Member(1, "0-100-10", true);
  named.gtid_io = GtidList::Parse("0-100-10").value();
  const std::vector<MemberView> acking = {named, Member(2, "0-100-9")};
  ArmWritable(step, acking, 2);
  if (HasFatalFailure()) return;
  // 20 s of commits waiting on every tick while acks flow.
  AcksFlowWhileCommitsWait(step, acking, 20);
  // Then no ack: nothing released 1 to 9 s after the last one ...
  for (int i = 1; i <= 9; ++i) {
    step.Run(LeaderTick(acking));
    EXPECT_EQ(Count(db_, "kill_sessions_waiting_for_ack"), 0u) << i << " s after the last ack";
    clock_.Advance(std::chrono::milliseconds(1000));
  }
  EXPECT_EQ(db_.ack_nudges, 0) << "no nudge with two semi-sync clients";
  // ... released at 10 s, with no nudge first.
  step.Run(LeaderTick(acking));
  EXPECT_EQ(Count(db_, "kill_sessions_waiting_for_ack"), 1u);
  EXPECT_EQ(db_.state.semi_sync_master_wait_sessions, 0);
}

// A replica whose record shows a position received from another primary is no proof.
TEST_F(SyncStepTest, NoReleaseOnAPositionReceivedFromAnotherPrimary) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  MemberView named = Member(1, "0-100-10", true);
  named.gtid_io = GtidList::Parse("0-100-10").value();
  step.Run(LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-9")}));
  step.Run(LeaderTick({named, Member(2, "0-100-9")}));
  ASSERT_TRUE(db_.state.semi_sync_master_enabled);
  named.received_from = "mysql-2";
  db_.state.read_only = false;
  db_.state.semi_sync_master_clients = 2;
  db_.state.semi_sync_master_wait_sessions = 1;
  for (int i = 0; i < 15; ++i) {
    step.Run(LeaderTick({named, Member(2, "0-100-9")}));
    clock_.Advance(std::chrono::milliseconds(1000));
  }
  EXPECT_EQ(Count(db_, "kill_sessions_waiting_for_ack"), 0u);
}

// The same replica named again after it stopped acking (restarted; with --replicas 2 the
// key goes mysql-1 -> "" -> mysql-1): it too got the waiting commits before it acked. And
// never a nudge close to the fence deadline.
TEST_F(SyncStepTest, TheSameReplicaBackAfterARestartGetsANudgeButNotNearTheDeadline) {
  SyncStep step("mysql-0", keys_, 2, store_, db_, clock_);
  const std::vector<MemberView> acking = {Member(1, "0-100-10", true)};
  step.Run(LeaderTick({Member(1, "0-100-10")}));
  step.Run(LeaderTick(acking));
  ASSERT_TRUE(db_.state.semi_sync_master_enabled);
  db_.state.read_only = false;
  db_.state.semi_sync_master_clients = 1;
  db_.state.semi_sync_master_acked_commits = 7;
  db_.state.semi_sync_master_wait_sessions = 1;
  step.Run(LeaderTick(acking));  // the waiting begins under mysql-1
  clock_.Advance(std::chrono::milliseconds(1000));
  SyncTick restarted = LeaderTick({Member(1, "0-100-10")});
  restarted.view->sync = "";
  step.Run(restarted);
  clock_.Advance(std::chrono::milliseconds(1000));
  SyncTick late = LeaderTick(acking);
  late.lease_left_seconds = 1.5;
  step.Run(late);
  EXPECT_EQ(db_.ack_nudges, 0) << "nudged 1.5 s before the fence deadline";
  clock_.Advance(std::chrono::milliseconds(1000));
  step.Run(LeaderTick(acking));
  EXPECT_EQ(db_.ack_nudges, 1);
}

TEST_F(SyncStepTest, AFailedPublishArmsNothing) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  SyncTick t = LeaderTick({Member(1, "0-100-10")});
  // Someone wrote the key after this view was read: the compare-and-swap fails.
  ASSERT_TRUE(store_.Put(keys_.Sync(), formats::ToJson(formats::SyncRecord{"mysql-2", 1, 0})).ok());
  const SyncOutcome out = step.Run(t);
  EXPECT_EQ(StoredSync(), "mysql-2");
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_TRUE(out.hold_writable);  // a new cluster: read-only until the first sync replica acks
  EXPECT_NE(out.error.find("changed meanwhile"), std::string::npos);
}

TEST_F(SyncStepTest, ALeaderWhoseLeaseIsNotTheLeaderKeysPublishesNothing) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  SyncTick t = LeaderTick({Member(1, "0-100-10")});
  t.own_lease = lease_ + 1;
  step.Run(t);
  EXPECT_EQ(StoredSync(), "<absent>");
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
}

TEST_F(SyncStepTest, SingleMemberClusterStaysAsyncAndSaysSo) {
  SyncStep step("mysql-0", keys_, 1, store_, db_, clock_);
  const SyncOutcome out = step.Run(LeaderTick({}));
  EXPECT_EQ(out.note, "single member: writes are not replicated");
  EXPECT_EQ(StoredSync(), "<absent>");
  EXPECT_EQ(Count(db_, "semi_sync_primary_on"), 0u);
  EXPECT_FALSE(out.hold_writable);
}

TEST_F(SyncStepTest, BootstrapWithoutAReplicaLeavesSemiSyncOffAndTheServerReadOnly) {
  // Pitfall 1: the bootstrap's own statements must not wait for a replica that does not exist
  // (master side off; the agent's account passes read_only). An application's writes must not
  // be acknowledged without a copy either (CI on ed22196 lost them in a failover right after
  // `up`): read-only until the first sync replica acks, ready meanwhile.
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  const SyncOutcome out = step.Run(LeaderTick({}));
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_TRUE(out.hold_writable);
  EXPECT_TRUE(out.waits_for_replica);
  EXPECT_EQ(out.note, "writes wait for the first sync replica: no replica has caught up yet");
}

// A review found the hold skipped whenever Lead() did not run to its end: with no view (the
// store did not answer within the lease) the bootstrap primary went writable, master side off.
TEST_F(SyncStepTest, AReadOnlyLeaderIsHeldWhenTheStoreDoesNotAnswer) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  SyncTick t = LeaderTick({});
  t.view.reset();
  const SyncOutcome out = step.Run(t);
  EXPECT_TRUE(out.hold_writable);
  EXPECT_TRUE(out.waits_for_replica);
  SyncStep single("mysql-0", keys_, 1, store_, db_, clock_);
  EXPECT_FALSE(single.Run(t).hold_writable) << "one member: nothing to wait for";
}

TEST_F(SyncStepTest, AWritableLeaderThatWasNeverArmedStaysWritable) {
  // One member scaled up: it took writes unreplicated, and keeps taking them until its first
  // sync replica acks; no readiness rule is needed for it.
  db_.state.read_only = false;
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  const SyncOutcome out = step.Run(LeaderTick({}));
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_FALSE(db_.state.read_only);
  EXPECT_FALSE(out.waits_for_replica);
  EXPECT_EQ(out.note, "writes are not replicated: no replica has caught up yet");
  const SyncOutcome named = step.Run(LeaderTick({Member(1, "0-100-10")}));
  EXPECT_EQ(StoredSync(), "mysql-1");
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_EQ(named.note,
            "mysql-1 is the sync replica; writes are not replicated until mysql-1 acks");
  step.Run(LeaderTick({Member(1, "0-100-10", true)}));
  EXPECT_TRUE(db_.state.semi_sync_master_enabled);
}

TEST_F(SyncStepTest, APromotedReplicaIsNotWritableBeforeItsMasterSideIsOn) {
  // After a failover the key names the new leader; its replication is not removed yet.
  ASSERT_TRUE(store_.Put(keys_.Sync(), formats::ToJson(formats::SyncRecord{"mysql-0", 1, 0})).ok());
  db_.state = ReplicaState();
  db_.state.semi_sync_slave_enabled = true;
  db_.state.gtid_binlog = GtidList::Parse("0-100-10").value();
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  SyncOutcome out = step.Run(LeaderTick({Member(1, "0-100-10")}));
  EXPECT_TRUE(out.hold_writable);
  EXPECT_EQ(Count(db_, "semi_sync_primary_on"), 0u);   // pitfall 2: it would hang the applier
  EXPECT_EQ(Count(db_, "semi_sync_replica_off"), 0u);  // would restart the stopped IO thread
  // The promotion removed replication: slave side off, then a new sync replica is
  // published, and only once it acks the master side goes on and writes may start.
  db_.state.replica.reset();
  out = step.Run(LeaderTick({Member(1, "0-100-10")}));
  EXPECT_TRUE(out.hold_writable);
  EXPECT_FALSE(db_.state.semi_sync_slave_enabled);
  EXPECT_EQ(StoredSync(), "mysql-1");
  out = step.Run(LeaderTick({Member(1, "0-100-10", true)}));
  EXPECT_FALSE(out.hold_writable);
  EXPECT_EQ(db_.sync_when_enabled, std::vector<std::string>{"mysql-1"});
}

// The nemesis (tests/nemesis, long run seed 582270416): after a switchover to mysql-0 the key
// still named mysql-1, whose record said it acked -- the previous primary. mysql-0 armed and
// went writable at once; its first commit reached mysql-1 before mysql-1's semi-sync
// connection to it, was never acked, and every later commit queued behind it for good.
TEST_F(SyncStepTest, ANewLeaderArmsOnlyOnceTheSyncReplicaStreamsFromIt) {
  ASSERT_TRUE(store_.Put(keys_.Sync(), formats::ToJson(formats::SyncRecord{"mysql-1", 1, 0})).ok());
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  MemberView still_on_old = Member(1, "0-100-10", true);
  still_on_old.received_from = "mysql-2";  // the previous primary
  SyncOutcome out = step.Run(LeaderTick({still_on_old, Member(2, "0-100-10")}));
  EXPECT_EQ(out.sync, "mysql-1");
  EXPECT_FALSE(db_.state.semi_sync_master_enabled);
  EXPECT_TRUE(out.hold_writable) << "not writable before its sync replica can ack it";
  out = step.Run(LeaderTick({Member(1, "0-100-10", true), Member(2, "0-100-10")}));
  EXPECT_TRUE(db_.state.semi_sync_master_enabled);
  EXPECT_FALSE(out.hold_writable);
}

TEST_F(SyncStepTest, HandOverWaitsUntilTheOldSyncReplicaStoppedAcking) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  step.Run(LeaderTick({Member(1, "0-100-10"), Member(2, "0-100-10")}));
  ASSERT_EQ(StoredSync(), "mysql-1");
  step.Run(LeaderTick({Member(1, "0-100-10", true), Member(2, "0-100-10")}));  // it acks
  // mysql-1 falls far behind but still acks: the key is cleared first, nobody named.
  MemberView lagging = Member(1, "0-100-10", true);
  lagging.lag_seconds = 60.0;
  step.Run(LeaderTick({lagging, Member(2, "0-100-10")}));
  EXPECT_EQ(StoredSync(), "");
  EXPECT_TRUE(db_.state.semi_sync_master_enabled);  // writes wait meanwhile
  step.Run(LeaderTick({lagging, Member(2, "0-100-10")}));
  EXPECT_EQ(StoredSync(), "");
  // Its agent turned the slave side off: mysql-2, which holds everything, is designated.
  lagging.semi_sync_replica = false;
  step.Run(LeaderTick({lagging, Member(2, "0-100-10")}));
  EXPECT_EQ(StoredSync(), "mysql-2");
}

TEST_F(SyncStepTest, ReplacementChecksAGtidReadAfterTheView) {
  SyncStep step("mysql-0", keys_, 3, store_, db_, clock_);
  ASSERT_TRUE(store_.Put(keys_.Sync(), formats::ToJson(formats::SyncRecord{"mysql-1", 1, 0})).ok());
  db_.state.semi_sync_master_enabled = true;         // armed since mysql-1 acked
  SyncTick t = LeaderTick({Member(2, "0-100-10")});  // mysql-1 is gone
  // The gathered position is 0-100-10, but the old one acked 0-100-11 before it stopped.
  db_.state.gtid_binlog = GtidList::Parse("0-100-11").value();
  step.Run(t);
  EXPECT_EQ(StoredSync(), "");  // mysql-2 lacks 0-100-11: nobody yet, writes wait
  EXPECT_TRUE(db_.state.semi_sync_master_enabled);
}

TEST_F(SyncStepTest, ReplicaSideFollowsTheKeyAndRestartsItsIoThread) {
  FakeDb db;
  db.state = ReplicaState();
  SyncStep step("mysql-1", keys_, 3, store_, db, clock_);
  SyncTick t;
  ClusterView v;
  v.leader = LeaderView{"mysql-0", 2, lease_, 5};
  v.sync = "mysql-1";
  v.sync_mod_revision = 7;
  t.view = v;
  t.decision.verdict = RoleVerdict::kFollow;
  t.state = db.state;
  SyncOutcome out = step.Run(t);
  EXPECT_TRUE(db.state.semi_sync_slave_enabled);
  EXPECT_EQ(db.io_restarts, 1);
  EXPECT_EQ(out.note, "acks the primary's commits");
  // Named another: off at once.
  t.view->sync = "mysql-2";
  t.state = db.state;
  step.Run(t);
  EXPECT_FALSE(db.state.semi_sync_slave_enabled);
  EXPECT_EQ(db.io_restarts, 2);
  // A failover under way (no leader): the IO thread is left alone.
  t.view->sync = "mysql-1";
  t.view->leader.reset();
  t.decision.verdict = RoleVerdict::kWait;
  t.state = db.state;
  step.Run(t);
  EXPECT_EQ(db.io_restarts, 2);
}

TEST_F(SyncStepTest, AnExPrimaryWithWaitingCommitsKeepsItsMasterSide) {
  FakeDb db;
  db.state = ReplicaState();
  db.state.semi_sync_master_enabled = true;
  db.state.semi_sync_master_wait_sessions = 2;
  SyncStep step("mysql-0", keys_, 3, store_, db, clock_);
  SyncTick t;
  t.view = ClusterView{};
  t.view->leader = LeaderView{"mysql-1", 3, 77, 5};
  t.decision.verdict = RoleVerdict::kFollow;
  t.state = db.state;
  SyncOutcome out = step.Run(t);
  // Pitfall 5: off would acknowledge the two commits, which no replica holds.
  EXPECT_EQ(Count(db, "semi_sync_primary_off"), 0u);
  EXPECT_NE(out.error.find("2 commit(s) wait"), std::string::npos);
  // None waiting, read-only: off.
  db.state.semi_sync_master_wait_sessions = 0;
  t.state = db.state;
  step.Run(t);
  EXPECT_FALSE(db.state.semi_sync_master_enabled);
}

// The whole agent: a leader with a registered replica publishes, then arms, then stays.
TEST(AgentSyncTest, LeaderDesignatesTheRegisteredReplicaAndArmsAfterPublishing) {
  FakeClock clock;
  FakeCoordStore store(&clock);
  formats::StoreKeys keys("mysql");
  OrderCheckingDb db(store, keys);
  MemFileSystem fs;
  class NoKiller : public ServerKiller {
    Status KillServer() override { return Status::Ok(); }
  } killer;
  AgentConfig c;
  c.id = *ParseIdentity("mysql-0");
  c.data_dir = "/data";
  c.secrets = {"admin-pw", "repl-pw", "backup-pw", "monitor-pw", "token"};
  c.expected_members = 3;
  c.semi_sync = true;
  Agent agent(c, db, store, killer, fs, clock);
  // A replica registered on its own lease.
  const LeaseId other = *store.GrantLease(3);
  formats::MemberRecord r;
  r.name = "mysql-1";
  r.ordinal = 1;
  r.lease = other;
  r.mysql_reachable = r.has_data = r.replicating = true;
  r.lag_seconds = 0;
  r.gtid_binlog = "";
  ASSERT_TRUE(store.Put(keys.Member("mysql-1"), formats::ToJson(r), other).ok());
  ASSERT_TRUE(
      store.Put(keys.Initialized(), formats::ToJson(formats::InitializedRecord{"mysql-0", 1}))
          .ok());
  for (int i = 0; i < 5; ++i) {
    agent.RunOnce();
    clock.Advance(std::chrono::milliseconds(1000));
    ASSERT_TRUE(store.KeepAlive(other).ok());
    // mysql-1's agent: slave side on once the key names it.
    auto key = store.Get(keys.Sync());
    if (key.ok() && *key && !r.semi_sync_replica) {
      EXPECT_FALSE(db.state.semi_sync_master_enabled) << "armed before mysql-1 acks";
      r.semi_sync_replica = true;
      r.received_from = "mysql-0";  // its IO thread streams from the leader
      ASSERT_TRUE(store.Put(keys.Member("mysql-1"), formats::ToJson(r), other).ok());
    }
  }
  const AgentSnapshot snap = agent.Snapshot();
  EXPECT_EQ(snap.role, Role::kPrimary);
  EXPECT_EQ(snap.sync, "mysql-1");
  EXPECT_EQ(snap.semi_sync, "mysql-1 is the sync replica");
  EXPECT_TRUE(db.state.semi_sync_master_enabled);
  EXPECT_EQ(db.sync_when_enabled, std::vector<std::string>{"mysql-1"});
  EXPECT_FALSE(db.state.read_only);
  // Its own record says it waits for acks.
  auto mine = store.Get(keys.Member("mysql-0"));
  ASSERT_TRUE(mine.ok() && *mine);
  EXPECT_TRUE(formats::FromJson<formats::MemberRecord>((*mine)->value)->semi_sync_primary);
}

}  // namespace
}  // namespace mysqlset
