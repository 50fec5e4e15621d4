#include "agent/switchover_step.h"

#include "core/identity.h"
#include "gtest/gtest.h"
#include "testing/fake_coord_store.h"
#include "testing/fake_db.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

using formats::FromJson;
using formats::LeaderRecord;
using formats::SwitchoverRequest;

GtidList G(const char* text) { return GtidList::Parse(text).value(); }

// A 3-member cluster in the store: mysql-0 leads (epoch 3), mysql-2 is the candidate.
class SwitchoverStepTest : public ::testing::Test {
 protected:
  SwitchoverStepTest() : store_(&clock_), keys_("mysql") {
    for (int i = 0; i < 3; ++i) leases_[i] = store_.GrantLease(3).value();
    request_lease_ = store_.GrantLease(30).value();
    LeaderRecord leader{"mysql-0", 3, 1};
    EXPECT_TRUE(store_.Put(keys_.Leader(), formats::ToJson(leader), leases_[0]).ok());
    EXPECT_TRUE(store_.Put(keys_.LastLeader(), formats::ToJson(leader)).ok());
    SwitchoverRequest r;
    r.id = "req-1";
    r.from = "mysql-0";
    r.to = "mysql-2";
    r.requested_at_unix_ms = clock_.UnixMillis();
    EXPECT_TRUE(store_.Put(keys_.Switchover(), formats::ToJson(r), request_lease_).ok());
    first_seen_ = clock_.Now();
    self_.state.read_only = false;
    self_.state.gtid_binlog = G("0-100-10");
    self_.state.gtid_current = G("0-100-10");
    candidate_.state.gtid_current = G("0-100-10");
    peer_db_ = [this](const std::string& name) -> Result<std::unique_ptr<Db>> {
      opened_.push_back(name);
      if (!candidate_.state.reachable) return Unavailable("connect {}: refused", name);
      return std::unique_ptr<Db>(new ForwardingDb(candidate_));
    };
    source_of_ = [](const std::string& name) -> Result<ReplicationSource> {
      if (!ParseIdentity(name).ok()) return InvalidArgument("'{}' is not a member", name);
      return ReplicationSource{name + ".mysql", 3306, "repl", "pw"};
    };
  }

  // The view an agent would build from one read of the store.
  ClusterView View() {
    ClusterView v;
    auto leader = store_.Get(keys_.Leader()).value();
    if (leader) {
      auto rec = FromJson<LeaderRecord>(leader->value).value();
      v.leader = LeaderView{rec.name, rec.epoch, leader->lease, leader->mod_revision};
    }
    auto last = store_.Get(keys_.LastLeader()).value();
    if (last) {
      auto rec = FromJson<LeaderRecord>(last->value).value();
      v.last_leader = LeaderView{rec.name, rec.epoch, 0, last->mod_revision};
      v.last_leader_mod_revision = last->mod_revision;
    }
    for (uint32_t i = 0; i < 3; ++i) {
      if (i == 2 && !candidate_registered_) continue;
      MemberView m;
      m.name = i == 2 ? candidate_name_ : "mysql-" + std::to_string(i);
      m.ordinal = i;
      m.lease = leases_[i];
      m.mysql_reachable = true;
      m.has_data = true;
      m.replicating = i != 0;
      m.lag_seconds = 0.0;
      v.members.push_back(m);
    }
    return v;
  }

  // Time passes; every agent keeps its lease alive (the requester's lease runs down).
  void Pass(std::chrono::seconds d) {
    for (int i = 0; i < d.count(); ++i) {
      clock_.Advance(std::chrono::seconds(1));
      for (int64_t lease : leases_) EXPECT_TRUE(store_.KeepAlive(lease).ok());
    }
  }

  SwitchoverRequest Request() {
    auto got = store_.Get(keys_.Switchover()).value();
    EXPECT_TRUE(got.has_value());
    return got ? FromJson<SwitchoverRequest>(got->value).value() : SwitchoverRequest{};
  }

  // One call as the agent named `self` would make it, holding `lease`.
  Status Advance(const std::string& self, int64_t lease, Db& db, bool writable) {
    ClusterView view = View();
    SwitchoverContext ctx{self,     keys_,      store_, db,
                          peer_db_, source_of_, clock_, *store_.Get(keys_.Switchover()).value(),
                          view};
    ctx.first_seen = first_seen_;
    ctx.own_lease = lease;
    ctx.before_fence_deadline = true;
    ctx.fence_deadline = clock_.Now() + fence_left_;
    ctx.self_writable = writable;
    ctx.commits_waiting = commits_waiting_;
    Status st = AdvanceSwitchover(ctx);
    progress_ = ctx.progress;
    return st;
  }
  Status AdvancePrimary() { return Advance("mysql-0", leases_[0], self_, !self_.state.read_only); }

  FakeClock clock_;
  std::chrono::steady_clock::time_point first_seen_;
  FakeCoordStore store_;
  formats::StoreKeys keys_;
  int64_t leases_[3] = {};
  int64_t request_lease_ = 0;
  FakeDb self_;
  FakeDb candidate_;
  bool candidate_registered_ = true;
  int64_t commits_waiting_ = 0;
  // What the renewed lease leaves before the fence deadline when the call starts.
  std::chrono::milliseconds fence_left_{2500};
  std::string candidate_name_ = "mysql-2";
  std::vector<std::string> opened_;
  PeerDbFactory peer_db_;
  ReplicationSourceOf source_of_;
  std::string progress_;
};

// A read_only=1 that took its time (behind waiting commits, up to lock_wait_timeout).
class SlowReadOnlyDb : public FakeDb {
 public:
  SlowReadOnlyDb(FakeClock& clock, std::chrono::milliseconds cost) : clock_(clock), cost_(cost) {}
  Status SetReadOnlyKillingAdminSessions() override {
    clock_.Advance(cost_);
    return FakeDb::SetReadOnlyKillingAdminSessions();
  }

 private:
  FakeClock& clock_;
  std::chrono::milliseconds cost_;
};

TEST_F(SwitchoverStepTest, NoStepStartsTooCloseToTheFenceDeadline) {
  // 1.4 s left: nothing this tick, and no failure either.
  fence_left_ = std::chrono::milliseconds(1400);
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "requested");
  EXPECT_FALSE(self_.state.read_only);
  // 2.5 s left, but read_only=1 takes 1.2 s: the candidate's wait, which can block for
  // another second, waits for the next tick rather than run past the deadline.
  SlowReadOnlyDb slow(clock_, std::chrono::milliseconds(1200));
  slow.state = self_.state;
  fence_left_ = std::chrono::milliseconds(2500);
  ASSERT_TRUE(Advance("mysql-0", leases_[0], slow, true).ok());
  EXPECT_EQ(Request().state, "read_only");
  EXPECT_TRUE(candidate_.gtid_waits.empty());
  // The next tick, with a renewed lease, goes on.
  ASSERT_TRUE(Advance("mysql-0", leases_[0], slow, false).ok());
  EXPECT_EQ(Request().state, "handed_over");
}

TEST_F(SwitchoverStepTest, CaughtUpCandidateGetsTheLeaderKeyInOneCall) {
  ASSERT_TRUE(AdvancePrimary().ok());
  SwitchoverRequest r = Request();
  EXPECT_EQ(r.state, "handed_over");
  EXPECT_EQ(r.gtid, "0-100-10");
  EXPECT_EQ(r.message, "mysql-0 handed the primary role to mysql-2 (epoch 4)");
  EXPECT_EQ(progress_, r.message);
  // The old primary: read-only with its admin sessions killed, replicating from mysql-2.
  EXPECT_TRUE(self_.state.read_only);
  EXPECT_EQ(self_.kill_admin_sessions, 1);
  ASSERT_TRUE(self_.demoted_to.has_value());
  EXPECT_EQ(self_.demoted_to->host, "mysql-2.mysql");
  EXPECT_EQ(self_.state.replica->io, ThreadState::kYes);
  EXPECT_EQ(candidate_.gtid_waits, std::vector<std::string>{"0-100-10"});
  EXPECT_EQ(opened_, std::vector<std::string>{"mysql-2"});
  // The leader key is on the candidate's lease, with the next epoch, in both keys.
  auto leader = store_.Get(keys_.Leader()).value();
  ASSERT_TRUE(leader.has_value());
  EXPECT_EQ(leader->lease, leases_[2]);
  EXPECT_EQ(FromJson<LeaderRecord>(leader->value)->name, "mysql-2");
  EXPECT_EQ(FromJson<LeaderRecord>(leader->value)->epoch, 4u);
  auto last = store_.Get(keys_.LastLeader()).value();
  EXPECT_EQ(FromJson<LeaderRecord>(last->value)->name, "mysql-2");
  EXPECT_EQ(last->lease, 0);
  // The request keeps its own lease.
  EXPECT_EQ(store_.Get(keys_.Switchover()).value()->lease, request_lease_);
}

TEST_F(SwitchoverStepTest, WaitsForALaggingCandidateAcrossTicks) {
  self_.state.gtid_binlog = G("0-100-12");
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "read_only");
  EXPECT_EQ(Request().gtid, "0-100-12");
  EXPECT_EQ(Request().message, "mysql-0 read-only");
  EXPECT_TRUE(self_.state.read_only);
  ASSERT_TRUE(AdvancePrimary().ok());  // still behind
  EXPECT_EQ(Request().state, "read_only");
  EXPECT_EQ(self_.kill_admin_sessions, 1);  // read-only once, not every tick
  candidate_.state.gtid_current = G("0-100-12");
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "handed_over");
  EXPECT_EQ(candidate_.gtid_waits.size(), 3u);
}

TEST_F(SwitchoverStepTest, CandidateMarksDoneOnceItLeadsWritable) {
  ASSERT_TRUE(AdvancePrimary().ok());
  ASSERT_EQ(Request().state, "handed_over");
  ASSERT_TRUE(Advance("mysql-2", leases_[2], candidate_, /*writable=*/false).ok());
  EXPECT_EQ(Request().state, "handed_over");
  ASSERT_TRUE(Advance("mysql-2", leases_[2], candidate_, /*writable=*/true).ok());
  EXPECT_EQ(Request().state, "done");
  EXPECT_EQ(Request().message, "mysql-2 is primary");
  // Neither moves it again.
  ASSERT_TRUE(AdvancePrimary().ok());
  ASSERT_TRUE(Advance("mysql-2", leases_[2], candidate_, true).ok());
  EXPECT_EQ(Request().state, "done");
}

TEST_F(SwitchoverStepTest, TimeoutFailsTheRequestAndKeepsTheLeader) {
  self_.state.gtid_binlog = G("0-100-12");
  ASSERT_TRUE(AdvancePrimary().ok());
  ASSERT_EQ(Request().state, "read_only");
  Pass(std::chrono::seconds(21));
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_EQ(Request().message, "switchover failed: timed out in state read_only");
  EXPECT_EQ(FromJson<LeaderRecord>(store_.Get(keys_.Leader()).value()->value)->name, "mysql-0");
  EXPECT_FALSE(self_.demoted_to.has_value());
}

// requested_at is the requester's wall clock, on another node: a clock a minute off neither
// fails the request at once nor stretches its timeout. It counts from when this agent first
// read the request.
TEST_F(SwitchoverStepTest, TheTimeoutIgnoresTheRequestersWallClock) {
  for (int64_t skew_ms : {-60000, 60000}) {
    SwitchoverRequest r = Request();
    r.requested_at_unix_ms = clock_.UnixMillis() + skew_ms;
    ASSERT_TRUE(store_.Put(keys_.Switchover(), formats::ToJson(r), request_lease_).ok());
    self_.state.gtid_binlog = G("0-100-12");  // the candidate lags: no step completes
    ASSERT_TRUE(AdvancePrimary().ok());
    EXPECT_NE(Request().state, "failed") << skew_ms;
  }
  Pass(std::chrono::seconds(19));
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "read_only");
  Pass(std::chrono::seconds(2));
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
}

// A target name that is no member of this set (a garbled or hand-written store value) fails
// the request with one reason; the primary changes nothing and leads on.
TEST_F(SwitchoverStepTest, ATargetThatIsNoMemberFailsTheRequestAndChangesNothing) {
  candidate_name_ = "mysql-\x1b";
  SwitchoverRequest r = Request();
  r.to = candidate_name_;
  ASSERT_TRUE(store_.Put(keys_.Switchover(), formats::ToJson(r), request_lease_).ok());
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_EQ(Request().message, "switchover failed: 'mysql-\x1b' is not a member");
  EXPECT_FALSE(self_.state.read_only);
  EXPECT_FALSE(self_.demoted_to.has_value());
  EXPECT_TRUE(opened_.empty());
  EXPECT_EQ(FromJson<LeaderRecord>(store_.Get(keys_.Leader()).value()->value)->name, "mysql-0");
}

TEST_F(SwitchoverStepTest, ACandidateWithTransactionsThePrimaryLacksFailsTheRequest) {
  // Its record looked fine when asked; read fresh once the primary is read-only, its binlog
  // holds a transaction of its own beyond the primary's position: errant, never promoted.
  self_.state.gtid_binlog = G("0-100-12");
  candidate_.state.gtid_current = G("0-100-12");
  candidate_.state.gtid_binlog = G("0-100-12,1-101-1");
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_NE(Request().message.find("mysql-2 holds transactions the primary mysql-0 lacks"),
            std::string::npos)
      << Request().message;
  EXPECT_EQ(FromJson<LeaderRecord>(store_.Get(keys_.Leader()).value()->value)->name, "mysql-0");
  EXPECT_FALSE(self_.demoted_to.has_value());
}

TEST_F(SwitchoverStepTest, ACommitAfterGOnTheCandidateIsNotErrant) {
  // A READ ONLY ADMIN session commits after G was read, and the candidate already has it:
  // compared with G it would look errant; compared with the primary read after it, it is not.
  self_.state.gtid_binlog = G("0-100-12");
  candidate_.state.gtid_current = candidate_.state.gtid_binlog = G("0-100-11");
  ASSERT_TRUE(AdvancePrimary().ok());
  ASSERT_EQ(Request().state, "read_only");
  self_.state.gtid_binlog = G("0-100-13");
  candidate_.state.gtid_current = candidate_.state.gtid_binlog = G("0-100-13");
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_NE(Request().state, "failed") << Request().message;
  EXPECT_EQ(Request().message.find("holds transactions"), std::string::npos) << Request().message;
}

TEST_F(SwitchoverStepTest, CandidateLostFailsTheRequest) {
  self_.state.gtid_binlog = G("0-100-12");
  ASSERT_TRUE(AdvancePrimary().ok());
  candidate_registered_ = false;
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_EQ(Request().message, "switchover failed: candidate mysql-2 is no longer registered");
}

TEST_F(SwitchoverStepTest, UnreachableCandidateIsRetriedUntilTheTimeout) {
  candidate_.state.reachable = false;
  Status st = AdvancePrimary();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Request().state, "read_only");
  Pass(std::chrono::seconds(21));
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
}

TEST_F(SwitchoverStepTest, LeaderChangedMeanwhileUndoesTheDemotion) {
  self_.state.gtid_binlog = G("0-100-12");
  ASSERT_TRUE(AdvancePrimary().ok());
  candidate_.state.gtid_current = G("0-100-12");
  // The candidate catches up, but before the hand-over someone rewrites the leader key.
  ClusterView stale = View();
  ASSERT_TRUE(
      store_.Put(keys_.Leader(), formats::ToJson(LeaderRecord{"mysql-0", 3, 2}), leases_[0]).ok());
  SwitchoverContext ctx{"mysql-0", keys_,      store_, self_,
                        peer_db_,  source_of_, clock_, *store_.Get(keys_.Switchover()).value(),
                        stale};
  ctx.own_lease = leases_[0];
  ctx.before_fence_deadline = true;
  ctx.fence_deadline = clock_.Now() + fence_left_;
  EXPECT_EQ(AdvanceSwitchover(ctx).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Request().state, "caught_up");
  EXPECT_FALSE(self_.demoted_to.has_value());
  EXPECT_FALSE(self_.state.replica.has_value());
  EXPECT_EQ(FromJson<LeaderRecord>(store_.Get(keys_.Leader()).value()->value)->name, "mysql-0");
}

TEST_F(SwitchoverStepTest, OtherMembersDoNothing) {
  FakeDb other;
  ASSERT_TRUE(Advance("mysql-1", leases_[1], other, false).ok());
  EXPECT_EQ(Request().state, "requested");
  EXPECT_TRUE(other.calls.empty());
  ASSERT_TRUE(Advance("mysql-2", leases_[2], candidate_, false).ok());
  EXPECT_EQ(Request().state, "requested");
}

TEST_F(SwitchoverStepTest, PrimaryThatLostItsKeyFailsTheRequest) {
  ASSERT_TRUE(store_.Delete(keys_.Leader()).ok());
  ASSERT_TRUE(AdvancePrimary().ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_EQ(Request().message, "switchover failed: mysql-0 no longer holds the primary role");
  EXPECT_FALSE(self_.state.read_only);  // never touched
}

// read_only=1 behind a commit that waits for a semi-sync ack: lock wait timeout (1205).
class ReadOnlyBlockedDb : public FakeDb {
 public:
  Status SetReadOnlyKillingAdminSessions() override {
    calls.push_back("set_read_only_killing_admin_sessions");
    return Internal("query: Lock wait timeout exceeded; try restarting transaction (error 1205)");
  }
};

// The nemesis (tests/nemesis, seed 4): the sync replica was replaced while a commit waited;
// the new one had received it before it acked, so only the leader's nudge or release frees
// it, and neither runs while the leader's own switchover is pending. The primary retried
// read_only=1 every tick behind that commit until the 20 s timeout: no write for 26 s.
TEST_F(SwitchoverStepTest, ReadOnlyBlockedByCommitsWaitingForAnAckFailsTheRequestAtOnce) {
  ReadOnlyBlockedDb blocked;
  blocked.state = self_.state;
  commits_waiting_ = 1;
  ASSERT_TRUE(Advance("mysql-0", leases_[0], blocked, true).ok());
  EXPECT_EQ(Request().state, "failed");
  EXPECT_NE(Request().message.find("could not go read-only while 1 commit(s) wait for a "
                                   "semi-sync ack"),
            std::string::npos)
      << Request().message;
}

TEST_F(SwitchoverStepTest, ReadOnlyFailingWithNothingWaitingIsRetried) {
  ReadOnlyBlockedDb blocked;
  blocked.state = self_.state;
  EXPECT_FALSE(Advance("mysql-0", leases_[0], blocked, true).ok());
  EXPECT_EQ(Request().state, "requested") << "retried next tick, until the timeout";
}

// The nemesis (tests/nemesis, seed 101): a request that replaces a finished one is a Put over
// the same key (switchover_api.cc), so it keeps the key's create revision. The agent told
// requests apart by that revision, counted the new request's 20 s from when it first read
// the old one, and failed it at once: "timed out in state requested".
TEST_F(SwitchoverStepTest, ARequestReplacingAFinishedOneIsANewRequest) {
  auto old_kv = store_.Get(keys_.Switchover()).value();
  ASSERT_TRUE(old_kv.has_value());
  SwitchoverRequest next;
  next.id = "req-2";
  next.from = "mysql-0";
  next.to = "mysql-1";
  const auto lease = store_.GrantLease(30).value();
  ASSERT_TRUE(store_
                  .Txn({TxnCompare::ModRevision(keys_.Switchover(), old_kv->mod_revision)},
                       {TxnOp::Put(keys_.Switchover(), formats::ToJson(next), lease)})
                  .value());
  auto new_kv = store_.Get(keys_.Switchover()).value();
  ASSERT_TRUE(new_kv.has_value());
  EXPECT_EQ(new_kv->create_revision, old_kv->create_revision) << "etcd keeps it over a Put";
  EXPECT_NE(SwitchoverRequestIdentity(*new_kv), SwitchoverRequestIdentity(*old_kv));

  // A state change of one request (the same id) is the same request.
  auto advanced = *old_kv;
  auto r = FromJson<SwitchoverRequest>(old_kv->value).value();
  r.state = "read_only";
  advanced.value = formats::ToJson(r);
  EXPECT_EQ(SwitchoverRequestIdentity(advanced), SwitchoverRequestIdentity(*old_kv));
}

}  // namespace
}  // namespace mysqlset
