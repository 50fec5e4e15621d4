#include "core/failover.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

constexpr int64_t kNow = 1'000'000;

GtidList G(const char* text) { return *GtidList::Parse(text); }

MemberView Member(const char* name, uint32_t ordinal, const char* gtid, bool reachable = true) {
  MemberView m;
  m.name = name;
  m.ordinal = ordinal;
  m.lease = 100 + ordinal;
  m.mysql_reachable = reachable;
  m.has_data = true;
  m.gtid_binlog = G(gtid);
  m.gtid_io = m.gtid_binlog;
  return m;
}

// mysql-0 led epoch 4 and is gone; mysql-1 is the sync replica, mysql-2 async.
ClusterView Lost() {
  ClusterView v;
  v.last_leader = LeaderView{"mysql-0", 4, 0, 7};
  v.last_leader_mod_revision = 7;
  v.members = {Member("mysql-1", 1, "0-100-9"), Member("mysql-2", 2, "0-100-10")};
  for (MemberView& m : v.members) {
    m.received_from = "mysql-0";  // their servers streamed from it since they started
    m.received_epoch = 4;
  }
  v.sync = "mysql-1";
  return v;
}

EpochView Epoch(const char* name, const char* reason, int64_t since) {
  return EpochView{4, name, "mysql-9", reason, since};
}

struct FailoverCase {
  const char* name;
  ClusterView view;
  std::optional<std::string> winner;
  std::string reason_has = {};
  std::string epoch_reason = {};
};

std::vector<FailoverCase> Cases() {
  std::vector<FailoverCase> cases;
  auto add = [&](const char* name, ClusterView v, std::optional<std::string> winner,
                 std::string reason_has = {}, std::string epoch_reason = {}) {
    cases.push_back(
        {name, std::move(v), std::move(winner), std::move(reason_has), std::move(epoch_reason)});
  };
  add("the sync replica takes over a lost leader", Lost(), "mysql-1", "sync replica mysql-1",
      kEpochFailover);
  {
    // Readiness plays no part (pitfall 11): a replica whose IO thread cannot connect to the
    // dead primary is not "replicating" and its lag is unknown.
    auto v = Lost();
    v.members[0].replicating = false;
    v.members[0].lag_seconds.reset();
    add("a sync replica that lost its primary still takes over", v, "mysql-1", "", kEpochFailover);
  }
  {
    auto v = Lost();
    v.members.insert(v.members.begin(), Member("mysql-0", 0, "0-100-10", false));
    add("a last leader registered with a dead server is lost", v, "mysql-1", "", kEpochFailover);
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());
    add("primary and sync replica lost together: nobody", v, std::nullopt,
        "both lost (mysql-1 is not registered)");
  }
  {
    auto v = Lost();
    v.members[0].mysql_reachable = false;
    add("the sync replica's server does not answer: nobody", v, std::nullopt,
        "mysql-1 has a server that does not answer");
  }
  {
    auto v = Lost();
    v.members[0].has_data = false;
    add("the sync replica has no data: nobody", v, std::nullopt, "has no data");
  }
  {
    auto v = Lost();
    v.members[0].errant_gtids = G("0-101-1");
    add("the sync replica holds errant GTIDs: nobody", v, std::nullopt, "errant GTIDs 0-101-1");
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());
    add("the reason names the forced command", v, std::nullopt, "mysqlset failover --force");
  }
  {
    auto v = Lost();
    v.members[0].received_from.clear();
    add("the sync replica's server restarted since the leader was lost: nobody", v, std::nullopt,
        "mysql-1's server restarted since it last received from the leader mysql-0");
  }
  {
    auto v = Lost();
    v.members[0].received_epoch = 3;
    add("the sync replica last streamed from an earlier epoch of the leader: nobody", v,
        std::nullopt, "waiting for mysql-0 to come back");
  }
  {
    auto v = Lost();
    v.members[0].received_from = "mysql-2";
    add("the sync replica last streamed from another member: nobody", v, std::nullopt,
        "restarted since it last received");
  }
  {
    auto v = Lost();
    v.members[0].received_from.clear();
    v.forced_failover_to = "mysql-1";
    add("a forced failover may still promote a restarted sync replica", v, "mysql-1", "forced",
        kEpochForced);
  }
  {
    auto v = Lost();
    v.sync.clear();
    add("no sync replica designated: waits for the last leader", v, std::nullopt,
        "waiting for the last leader mysql-0");
  }
  {
    auto v = Lost();
    v.sync = "mysql-0";
    add("the sync key still names the lost leader (just promoted): nobody", v, std::nullopt,
        "it was the leader");
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());
    v.forced_failover_to = "mysql-2";
    add("a forced failover promotes an async replica", v, "mysql-2", "forced", kEpochForced);
  }
  {
    auto v = Lost();
    v.forced_failover_to = "mysql-2";
    add("a forced failover is moot while the sync replica can take over", v, "mysql-1",
        "the sync replica mysql-1 takes over", kEpochFailover);
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());  // the sync replica is lost too
    v.forced_failover_to = "mysql-7";
    add("a forced failover to an unknown member: nobody", v, std::nullopt,
        "mysql-7, which is not registered");
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());
    v.forced_failover_to = "mysql-2";
    v.members[0].errant_gtids = G("7-102-1");
    add("a forced failover to an errant member: nobody", v, std::nullopt, "errant");
  }
  {
    auto v = Lost();
    v.members.erase(v.members.begin());
    v.forced_failover_to = "mysql-0";
    add("a forced failover to the lost leader: nobody", v, std::nullopt, "is the lost leader");
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-0", kEpochFailover, kNow - 1000);
    add("within the cool-down, the new primary's own loss fails over", v, "mysql-1", "",
        kEpochFailover);
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-5", kEpochFailover, kNow - 1000);
    add("within the cool-down, another leader's loss waits", v, std::nullopt, "cool-down");
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-5", kEpochForced, kNow - 1000);
    add("a forced failover starts a cool-down too", v, std::nullopt, "cool-down");
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-5", kEpochFailover, kNow - 30000);
    add("after the cool-down, any leader's loss fails over", v, "mysql-1", "", kEpochFailover);
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-5", kEpochSwitchover, kNow - 1000);
    add("a switchover starts no cool-down", v, "mysql-1", "", kEpochFailover);
  }
  {
    auto v = Lost();
    v.last_epoch = Epoch("mysql-5", kEpochFailover, kNow - 1000);
    v.forced_failover_to = "mysql-2";
    add("a forced failover ignores the cool-down", v, "mysql-2", "", kEpochForced);
  }
  return cases;
}

TEST(FailoverWinnerTest, Table) {
  for (const FailoverCase& c : Cases()) {
    const Election e = FailoverWinner(c.view, kNow, FailoverPolicy{});
    EXPECT_EQ(e.winner, c.winner) << c.name << ": " << e.reason;
    EXPECT_NE(e.reason.find(c.reason_has), std::string::npos) << c.name << ": " << e.reason;
    EXPECT_EQ(e.epoch_reason, c.epoch_reason) << c.name;
  }
}

TEST(FailoverWinnerTest, ElectionDelegatesOnlyWhenTheLastLeaderIsLost) {
  ClusterView v = Lost();
  EXPECT_EQ(ElectionWinner(v, 3, kNow).winner, "mysql-1");
  // The last leader is back with its server answering: it is elected as before, not the
  // sync replica, and a forced failover is moot.
  v.members.insert(v.members.begin(), Member("mysql-0", 0, "0-100-10"));
  v.forced_failover_to = "mysql-2";
  const Election e = ElectionWinner(v, 3, kNow);
  EXPECT_EQ(e.winner, "mysql-0") << e.reason;
  EXPECT_EQ(e.epoch_reason, kEpochElection);
}

TEST(FailoverWinnerTest, TheSyncReplicaCampaignsAndOthersWait) {
  LeadershipInput in;
  in.self = "mysql-1";
  in.self_ordinal = 1;
  in.view = Lost();
  in.own_lease = 101;
  in.before_fence_deadline = true;
  in.server.reachable = true;
  in.server.read_only = true;
  in.has_data = true;
  in.now_unix_ms = kNow;
  RoleDecision d = DecideRole(in);
  EXPECT_EQ(d.verdict, RoleVerdict::kCampaign) << d.reason;
  EXPECT_EQ(d.epoch_reason, kEpochFailover);
  in.self = "mysql-2";
  in.self_ordinal = 2;
  d = DecideRole(in);
  EXPECT_EQ(d.verdict, RoleVerdict::kWait) << d.reason;
}

struct ReleaseCase {
  const char* name;
  ClusterView view;
  int unreachable_ticks;
  bool release;
  std::string reason_has = {};
};

// mysql-0 leads with a dead server; mysql-1 is a healthy sync replica.
ClusterView Leading() {
  ClusterView v = Lost();
  v.leader = v.last_leader;
  v.leader->lease = 100;
  v.members.insert(v.members.begin(), Member("mysql-0", 0, "0-100-10", false));
  return v;
}

TEST(ReleaseLeadershipTest, Table) {
  std::vector<ReleaseCase> cases;
  cases.push_back({"dead server and a healthy sync replica: releases", Leading(), 2, true,
                   "mysql-1 takes over"});
  cases.push_back({"one failed gather is not enough", Leading(), 1, false, "releasing after 2"});
  {
    auto v = Leading();
    v.sync.clear();
    cases.push_back({"no sync replica (--replicas 1): keeps the key while it restarts", v, 5, false,
                     "keeping the key"});
  }
  {
    auto v = Leading();
    v.members[1].mysql_reachable = false;
    cases.push_back({"the sync replica is down too: keeps the key", v, 5, false, "both lost"});
  }
  {
    auto v = Leading();
    v.members[1].errant_gtids = G("0-101-3");
    cases.push_back({"the sync replica is errant: keeps the key", v, 5, false, "errant"});
  }
  {
    auto v = Leading();
    v.last_epoch = Epoch("mysql-0", kEpochFailover, kNow - 1000);
    cases.push_back({"within the cool-down after its own promotion: still releases", v, 2, true});
  }
  {
    auto v = Leading();
    v.leader->name = "mysql-2";
    cases.push_back({"another member leads: nothing to release", v, 5, false, "does not hold"});
  }
  for (const ReleaseCase& c : cases) {
    const Release r = ReleaseLeadership("mysql-0", c.view, c.unreachable_ticks, false, kNow, {});
    EXPECT_EQ(r.release, c.release) << c.name << ": " << r.reason;
    EXPECT_NE(r.reason.find(c.reason_has), std::string::npos) << c.name << ": " << r.reason;
  }
}

TEST(ReleaseLeadershipTest, AServerThatRestartedUnderThePrimaryReleasesAtOnce) {
  ClusterView v = Leading();
  v.members[0].mysql_reachable = true;  // back already, read-only
  Release r = ReleaseLeadership("mysql-0", v, 0, true, kNow, {});
  EXPECT_TRUE(r.release) << r.reason;
  EXPECT_NE(r.reason.find("restarted"), std::string::npos) << r.reason;
  v.sync.clear();
  r = ReleaseLeadership("mysql-0", v, 0, true, kNow, {});
  EXPECT_FALSE(r.release) << "without a sync replica it leads on: " << r.reason;
}

TEST(DrainStillHoldsTest, Table) {
  struct Case {
    const char* name;
    const char* drained_through;
    const char* gtid_current;
    bool holds;
  };
  const Case cases[] = {
      {"restarted with exactly what it drained", "0-100-9", "0-100-9", true},
      {"nothing received yet", "", "0-100-9", true},
      {"datadir replaced by an older clone", "0-100-9", "0-100-7", false},
      {"datadir replaced by an empty one", "0-100-9", "", false},
      {"another domain missing", "0-100-9,1-101-3", "0-100-9", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DrainStillHolds(G(c.drained_through), G(c.gtid_current)), c.holds) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset
