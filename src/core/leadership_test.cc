#include "core/leadership.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using std::chrono::milliseconds;

GtidList G(const char* text) { return *GtidList::Parse(text); }

MemberView Member(const char* name, uint32_t ordinal, const char* gtid, bool data = true,
                  bool reachable = true) {
  MemberView m;
  m.name = name;
  m.ordinal = ordinal;
  m.lease = 100 + ordinal;
  m.mysql_reachable = reachable;
  m.has_data = data;
  m.gtid_binlog = G(gtid);
  return m;
}

LeaderView Leader(const char* name, uint64_t epoch, int64_t lease) {
  return LeaderView{name, epoch, lease, 7};
}

// mysql-1, holding lease 101, read-only, in time.
LeadershipInput Input(ClusterView view) {
  LeadershipInput in;
  in.self = "mysql-1";
  in.self_ordinal = 1;
  in.view = std::move(view);
  in.own_lease = 101;
  in.before_fence_deadline = true;
  in.server.reachable = true;
  in.server.read_only = true;
  in.has_data = true;
  return in;
}

TEST(FenceDeadlineTest, IsTheSendPlusTtlMinusMargin) {
  const auto sent = std::chrono::steady_clock::time_point{} + std::chrono::seconds(10);
  EXPECT_EQ(FenceDeadline(sent, LeaseTiming{}), sent + milliseconds(2500));
  EXPECT_EQ(FenceDeadline(sent, LeaseTiming{std::chrono::seconds(10), milliseconds(1000)}),
            sent + milliseconds(9000));
}

struct RoleCase {
  const char* name;
  LeadershipInput in;
  RoleVerdict verdict;
  std::string leader = {};
  bool switchover = false;
};

ClusterView Led(const char* name, int64_t lease) {
  ClusterView v;
  v.leader = Leader(name, 4, lease);
  v.last_leader = v.leader;
  v.members = {Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-9")};
  return v;
}

std::vector<RoleCase> RoleCases() {
  std::vector<RoleCase> cases;
  auto add = [&](const char* name, LeadershipInput in, RoleVerdict v, std::string leader = {},
                 bool switchover = false) {
    cases.push_back({name, std::move(in), v, std::move(leader), switchover});
  };
  add("holds the key with its lease in time: leads", Input(Led("mysql-1", 101)),
      RoleVerdict::kLead);
  {
    auto in = Input(Led("mysql-1", 101));
    in.before_fence_deadline = false;
    add("holds the key past the deadline: fences", in, RoleVerdict::kFence);
  }
  {
    auto in = Input(Led("mysql-1", 555));
    in.server.read_only = false;
    add("key names self on a previous run's lease: fences", in, RoleVerdict::kFence);
  }
  {
    auto in = Input(Led("mysql-1", 101));
    in.own_lease = 0;
    add("key names self but no lease now: fences", in, RoleVerdict::kFence);
  }
  {
    auto view = Led("mysql-1", 101);
    view.switchover_pending = true;
    view.switchover_from = "mysql-1";
    add("switchover from self pending: leads, the step owns read_only", Input(view),
        RoleVerdict::kLead, "", true);
    view.switchover_from = "mysql-0";
    add("someone else's switchover: leads as usual", Input(view), RoleVerdict::kLead);
  }
  add("another leads: follows it", Input(Led("mysql-0", 100)), RoleVerdict::kFollow, "mysql-0");
  add("a new leader: follows the new one", Input(Led("mysql-2", 102)), RoleVerdict::kFollow,
      "mysql-2");
  {
    auto in = Input(Led("mysql-0", 100));
    in.server.read_only = false;
    add("writable while not leader: fences", in, RoleVerdict::kFence);
  }
  // A garbled or foreign name in the leader key has no address to follow: wait, never abort.
  for (const char* name : {"mysql-x", "mysql-", "mysql-01", "other-0", "", "mysql-\n1"}) {
    add("leader key names no member of this set: waits", Input(Led(name, 100)), RoleVerdict::kWait);
    auto in = Input(Led(name, 100));
    in.server.read_only = false;
    add("writable while a garbled name holds the key: fences", in, RoleVerdict::kFence);
  }
  {
    auto in = Input(Led("mysql-0", 100));
    in.before_fence_deadline = false;
    add("follower past its own deadline still follows", in, RoleVerdict::kFollow, "mysql-0");
  }
  {
    ClusterView v = Led("mysql-1", 101);
    v.leader.reset();
    auto in = Input(v);
    in.server.read_only = false;
    add("writable with no leader: fences", in, RoleVerdict::kFence);
  }
  {
    ClusterView v = Led("mysql-1", 101);
    v.leader.reset();
    add("no leader, self is the last leader and most advanced: campaigns", Input(v),
        RoleVerdict::kCampaign);
    auto in = Input(v);
    in.own_lease = 0;
    add("no leader, would win, but has no lease: waits", in, RoleVerdict::kWait);
    v.last_leader = Leader("mysql-0", 4, 0);
    add("no leader, another is to win: waits", Input(v), RoleVerdict::kWait);
  }
  {
    LeadershipInput in = Input(ClusterView{});
    in.view.reset();
    in.leader_seen = "mysql-1";
    add("store unreachable, leader before the deadline: keeps leading", in, RoleVerdict::kLead);
    in.before_fence_deadline = false;
    in.server.read_only = false;
    add("store unreachable past the deadline: fences", in, RoleVerdict::kFence);
    in.leader_seen = "mysql-0";
    add("store unreachable, writable while another led: fences", in, RoleVerdict::kFence);
    in.server.read_only = true;
    add("store unreachable, replica: keeps following", in, RoleVerdict::kFollow, "mysql-0");
    in.leader_seen = "";
    add("store unreachable, no leader known: waits", in, RoleVerdict::kWait);
    in.leader_seen = "mysql-x";
    add("store unreachable, the last leader seen is no member: waits", in, RoleVerdict::kWait);
  }
  return cases;
}

TEST(DecideRoleTest, Table) {
  for (const RoleCase& c : RoleCases()) {
    const RoleDecision d = DecideRole(c.in);
    EXPECT_EQ(RoleVerdictName(d.verdict), std::string(RoleVerdictName(c.verdict)))
        << c.name << ": " << d.reason;
    EXPECT_EQ(d.leader, c.leader) << c.name;
    EXPECT_EQ(d.switchover, c.switchover) << c.name;
    EXPECT_FALSE(d.reason.empty()) << c.name;
  }
}

TEST(DecideRoleTest, AGarbledLeaderNameIsOneReadableReason) {
  const RoleDecision d = DecideRole(Input(Led("mysql-\x1b[2J", 100)));
  EXPECT_EQ(d.verdict, RoleVerdict::kWait);
  EXPECT_EQ(d.reason,
            "the leader key names 'mysql-\\x1b[2J', which is not a member of mysql: nobody to "
            "follow; fix or delete that key in the store");
}

// Never writable without the key: no input that lacks the key in time yields kLead.
TEST(DecideRoleTest, NeverLeadsWithoutTheKeyInTime) {
  for (RoleCase c : RoleCases()) {
    if (c.verdict != RoleVerdict::kLead) continue;
    c.in.before_fence_deadline = false;
    EXPECT_NE(DecideRole(c.in).verdict, RoleVerdict::kLead) << c.name;
  }
}

struct ElectionCase {
  const char* name;
  ClusterView view;
  uint32_t expected = 1;
  std::optional<std::string> winner;
  std::string reason_has = {};
};

MemberView Errant(MemberView m) {
  m.errant_gtids = m.gtid_binlog;
  return m;
}

ClusterView Members(std::vector<MemberView> members, const char* last_leader = nullptr) {
  ClusterView v;
  v.members = std::move(members);
  if (last_leader) v.last_leader = Leader(last_leader, 3, 0);
  return v;
}

TEST(ElectionWinnerTest, Table) {
  const std::vector<ElectionCase> cases = {
      {"waits for the last leader",
       Members({Member("mysql-1", 1, "0-100-9"), Member("mysql-2", 2, "0-100-9")}, "mysql-0"), 1,
       std::nullopt, "last leader mysql-0"},
      {"waits for the last leader's server to answer",
       Members({Member("mysql-0", 0, "0-100-9", true, false), Member("mysql-1", 1, "0-100-9")},
               "mysql-0"),
       1, std::nullopt, "last leader mysql-0"},
      {"last leader back and most advanced wins",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-8")}, "mysql-0"), 1,
       "mysql-0"},
      {"most advanced wins over the last leader",
       Members({Member("mysql-0", 0, "0-100-8"), Member("mysql-1", 1, "0-100-9")}, "mysql-0"), 1,
       "mysql-1"},
      {"tie goes to the last leader",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-9"),
                Member("mysql-2", 2, "0-100-9")},
               "mysql-2"),
       1, "mysql-2"},
      {"fresh store waits for --members",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-12")}), 3,
       std::nullopt, "waiting for 3 members"},
      {"fresh store: unreachable members do not count",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-9"),
                Member("mysql-2", 2, "0-100-9", true, false)}),
       3, std::nullopt, "have 2"},
      {"fresh store, all registered: most advanced wins",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-12"),
                Member("mysql-2", 2, "0-100-10")}),
       3, "mysql-1"},
      {"fresh store tie: lowest ordinal",
       Members({Member("mysql-2", 2, "0-100-9,1-200-3"), Member("mysql-1", 1, "0-100-9,1-200-3")}),
       2, "mysql-1"},
      {"diverged GTIDs elect nobody",
       Members({Member("mysql-0", 0, "0-100-9,1-200-2"), Member("mysql-1", 1, "0-100-8,1-200-3")}),
       2, std::nullopt, "diverged"},
      {"a member without data never wins",
       Members({Member("mysql-0", 0, "0-100-3"), Member("mysql-1", 1, "0-100-9", false)}), 1,
       "mysql-0"},
      {"a member whose mysqld does not answer never wins",
       Members({Member("mysql-0", 0, "0-100-9"), Member("mysql-1", 1, "0-100-99", true, false)},
               "mysql-0"),
       1, "mysql-0"},
      {"nobody with data", Members({Member("mysql-0", 0, "", false)}), 1, std::nullopt, "have 0"},
      {"an errant member never wins, though its tail is longer (failover_test: a lost primary's "
       "unacknowledged 0-102-12911 outranked the last leader, held read-only at 0-102-12910)",
       Members({Member("mysql-0", 0, "0-102-12910"), Errant(Member("mysql-2", 2, "0-102-12911"))},
               "mysql-0"),
       1, "mysql-0"},
  };
  for (const ElectionCase& c : cases) {
    const Election e = ElectionWinner(c.view, c.expected);
    EXPECT_EQ(e.winner, c.winner) << c.name << ": " << e.reason;
    EXPECT_NE(e.reason.find(c.reason_has), std::string::npos) << c.name << ": " << e.reason;
  }
}

TEST(ElectionWinnerTest, NewClusterWaitsForTheMemberThatInitializedIt) {
  ClusterView v = Members({Member("mysql-1", 1, "0-100-9")});
  v.initialized_by = "mysql-0";
  EXPECT_EQ(ElectionWinner(v, 3).winner, std::nullopt);
  v.members.insert(v.members.begin(), Member("mysql-0", 0, "0-100-9"));
  EXPECT_EQ(ElectionWinner(v, 3).winner, "mysql-0") << "no need to wait for --members";
  v.members[0].ordinal = 5;
  EXPECT_EQ(ElectionWinner(v, 3).winner, "mysql-0") << "ties go to the initializer";
}

}  // namespace
}  // namespace mysqlset
