#include "core/switchover.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

MemberView Member(uint32_t ord, const char* gtid, bool replicating = true,
                  std::optional<double> lag = 0.0, bool reachable = true) {
  MemberView m;
  m.name = "mysql-" + std::to_string(ord);
  m.ordinal = ord;
  m.lease = 1000 + ord;
  m.mysql_reachable = reachable;
  m.has_data = true;
  m.gtid_binlog = GtidList::Parse(gtid).value();
  m.replicating = replicating;
  m.lag_seconds = lag;
  return m;
}

// A member whose own errant check (agent/errant_check.h) found `errant`.
MemberView Errant(MemberView m, const char* errant) {
  m.errant_gtids = GtidList::Parse(errant).value();
  return m;
}

ClusterView View(std::vector<MemberView> members, const char* leader = "mysql-0") {
  ClusterView v;
  if (leader) v.leader = LeaderView{leader, 3, 1000, 77};
  v.members = std::move(members);
  return v;
}

struct TargetCase {
  const char* name;
  ClusterView view;
  std::optional<std::string> to;
  std::optional<std::string> want;  // candidate; nullopt: refused
  const char* refusal_part = "";
};

TEST(CheckSwitchoverTargetTest, Table) {
  const auto primary = Member(0, "0-100-10", false, std::nullopt);
  const std::vector<TargetCase> cases = {
      {"named, eligible", View({primary, Member(1, "0-100-10"), Member(2, "0-100-9")}), "mysql-2",
       "mysql-2"},
      {"named, behind but under the lag limit", View({primary, Member(1, "0-100-3", true, 29.0)}),
       "mysql-1", "mysql-1"},
      {"unknown name", View({primary, Member(1, "0-100-10")}), "mysql-7", std::nullopt,
       "no member named mysql-7 (members: mysql-0 to mysql-3)"},
      {"another set's name", View({primary, Member(1, "0-100-10")}), "db-1", std::nullopt,
       "no member named db-1"},
      {"garbage name is printed safely", View({primary, Member(1, "0-100-10")}),
       std::string("x\ny"), std::nullopt, "no member named x\\x0ay"},
      {"not registered", View({primary, Member(1, "0-100-10")}), "mysql-2", std::nullopt,
       "mysql-2 is not registered"},
      {"the primary itself", View({primary, Member(1, "0-100-10")}), "mysql-0", std::nullopt,
       "mysql-0 is already the primary"},
      {"not replicating", View({primary, Member(1, "0-100-10", false)}), "mysql-1", std::nullopt,
       "mysql-1 is not replicating"},
      {"server down", View({primary, Member(1, "0-100-10", true, 0.0, false)}), "mysql-1",
       std::nullopt, "mysql-1's server does not answer"},
      {"lagging", View({primary, Member(1, "0-100-10", true, 45.0)}), "mysql-1", std::nullopt,
       "mysql-1 lags 45 s behind the primary (limit 30 s)"},
      {"lag unknown", View({primary, Member(1, "0-100-10", true, std::nullopt)}), "mysql-1",
       std::nullopt, "lag is unknown"},
      {"errant: a transaction of its own",
       View({primary, Member(1, "0-100-10"), Member(2, "0-100-10,1-102-1")}), "mysql-2",
       std::nullopt, "mysql-2 holds transactions the primary mysql-0 lacks"},
      {"ahead of the primary's record in its own writes: a fresher record, not errant",
       View({primary, Member(1, "0-100-11")}), "mysql-1", "mysql-1"},
      // Right after a switchover the primary's record may predate its first writes (its last
      // GTID is its old primary's); a replica already holding them is not errant.
      {"ahead of a primary's record made before its own first writes: not errant",
       View({Member(0, "0-102-10", false, std::nullopt), Member(1, "0-100-15")}), "mysql-1",
       "mysql-1"},
      {"errant: ahead in the primary's domain with another server's transaction",
       View({primary, Member(1, "0-101-11")}), "mysql-1", std::nullopt,
       "errant GTIDs: 0-101-11 vs the primary's 0-100-10"},
      // What records cannot show (a write of its own behind the primary's position, or read
      // a moment apart), the member's own check can: it is never the target.
      {"errant by its own check", View({primary, Errant(Member(1, "0-100-10"), "0-101-9")}),
       "mysql-1", std::nullopt,
       "mysql-1 holds transactions the primary mysql-0 lacks (errant GTIDs: 0-101-9); re-clone "
       "it"},
      {"auto: errant by its own check is skipped",
       View({primary, Errant(Member(1, "0-100-10"), "7-101-1"), Member(2, "0-100-9")}),
       std::nullopt, "mysql-2"},
      {"no leader", View({Member(1, "0-100-10")}, nullptr), "mysql-1", std::nullopt,
       "no member holds the primary role"},
      {"primary not registered", View({Member(1, "0-100-10")}), "mysql-1", std::nullopt,
       "the primary mysql-0 is not registered"},
      {"auto: no replica at all", View({primary}), std::nullopt, std::nullopt,
       "there is no replica to switch over to"},
      {"auto: no healthy replica", View({primary, Member(1, "0-100-10", false)}), std::nullopt,
       std::nullopt, "no healthy replica to switch over to (mysql-1 is not replicating)"},
      {"auto: most caught up",
       View({primary, Member(1, "0-100-8"), Member(2, "0-100-10"), Member(3, "0-100-9")}),
       std::nullopt, "mysql-2"},
      {"auto: tie goes to the lowest ordinal",
       View({primary, Member(1, "0-100-10"), Member(2, "0-100-10")}), std::nullopt, "mysql-1"},
      {"auto: unhealthy ones are skipped",
       View({primary, Member(1, "0-100-10", true, 50.0), Member(2, "0-100-7"),
             Member(3, "0-100-10,1-103-1")}),
       std::nullopt, "mysql-2"},
      {"auto: a replica when mysql-2 leads",
       View({Member(0, "0-102-10"), Member(2, "0-102-10", false)}, "mysql-2"), std::nullopt,
       "mysql-0"},
  };
  for (const TargetCase& c : cases) {
    SwitchoverTarget got = CheckSwitchoverTarget(c.view, "mysql", 4, c.to, SwitchoverPolicy{});
    EXPECT_EQ(got.candidate, c.want) << c.name;
    if (!c.want) {
      EXPECT_NE(got.refusal.find(c.refusal_part), std::string::npos)
          << c.name << ": " << got.refusal;
      EXPECT_EQ(got.refusal.find('\n'), std::string::npos) << c.name;
      EXPECT_EQ(got.refusal.rfind("switchover refused: ", 0), 0u) << c.name;
    } else {
      EXPECT_EQ(got.refusal, "") << c.name;
    }
  }
}

TEST(CheckSwitchoverTargetTest, UnknownNameListsRangeOfTheCluster) {
  auto got = CheckSwitchoverTarget(View({Member(0, "0-100-1"), Member(1, "0-100-1")}), "mysql", 3,
                                   std::string("mysql-3"), SwitchoverPolicy{});
  EXPECT_EQ(got.refusal,
            "switchover refused: no member named mysql-3 (members: mysql-0 to "
            "mysql-2)");
}

SwitchoverObservation Primary(SwitchoverState state) {
  SwitchoverObservation o;
  o.self = "mysql-0";
  o.from = "mysql-0";
  o.to = "mysql-2";
  o.state = state;
  o.self_holds_leader = true;
  o.before_fence_deadline = true;
  o.lease_left_seconds = 2.5;
  o.self_writable = state == SwitchoverState::kRequested;
  o.candidate_registered = true;
  o.candidate_reachable = true;
  return o;
}

struct StepCase {
  const char* name;
  SwitchoverObservation obs;
  SwitchoverAction want;
  const char* reason = "";
};

template <typename F>
SwitchoverObservation With(SwitchoverObservation o, F f) {
  f(o);
  return o;
}

TEST(NextSwitchoverStepTest, Table) {
  using S = SwitchoverState;
  using A = SwitchoverAction;
  const std::vector<StepCase> cases = {
      {"requested: go read-only", Primary(S::kRequested), A::kGoReadOnly},
      {"read-only: wait for the candidate", Primary(S::kReadOnly), A::kWaitForCandidate},
      {"caught up: hand over", Primary(S::kCaughtUp), A::kHandOver},
      {"handed over: the old primary does nothing more", Primary(S::kHandedOver), A::kNone},
      {"done", Primary(S::kDone), A::kNone},
      {"failed", Primary(S::kFailed), A::kNone},
      {"not from self: another agent's business",
       With(Primary(S::kRequested), [](auto& o) { o.self = "mysql-1"; }), A::kNone},
      {"timed out while read-only",
       With(Primary(S::kReadOnly), [](auto& o) { o.timed_out = true; }), A::kAbort,
       "timed out in state read_only"},
      {"timed out before starting",
       With(Primary(S::kRequested), [](auto& o) { o.timed_out = true; }), A::kAbort,
       "timed out in state requested"},
      {"commits stuck with nobody named: fail at once rather than wait for the timeout",
       With(Primary(S::kRequested), [](auto& o) { o.commits_stuck = true; }), A::kAbort,
       "no sync replica is named"},
      {"commits stuck once read-only: the request goes on (its own waits end it)",
       With(Primary(S::kReadOnly), [](auto& o) { o.commits_stuck = true; }), A::kWaitForCandidate},
      {"candidate lost",
       With(Primary(S::kReadOnly), [](auto& o) { o.candidate_registered = false; }), A::kAbort,
       "candidate mysql-2 is no longer registered"},
      {"candidate's server down",
       With(Primary(S::kCaughtUp), [](auto& o) { o.candidate_reachable = false; }), A::kAbort,
       "candidate mysql-2's server does not answer"},
      {"self lost the leader key",
       With(Primary(S::kReadOnly), [](auto& o) { o.self_holds_leader = false; }), A::kAbort,
       "mysql-0 no longer holds the primary role"},
      {"self past its fence deadline",
       With(Primary(S::kCaughtUp), [](auto& o) { o.before_fence_deadline = false; }), A::kAbort,
       "could not renew its lease in time"},
      {"requested, 1.4 s before the fence deadline: wait for the lease's renewal",
       With(Primary(S::kRequested), [](auto& o) { o.lease_left_seconds = 1.4; }), A::kNone,
       "waits for its lease's renewal (1.4 s left before the fence deadline, a step needs 1.5 s)"},
      {"read-only, 1.4 s before the fence deadline: wait for the renewal",
       With(Primary(S::kReadOnly), [](auto& o) { o.lease_left_seconds = 1.4; }), A::kNone},
      {"caught up, 1.4 s before the fence deadline: wait for the renewal",
       With(Primary(S::kCaughtUp), [](auto& o) { o.lease_left_seconds = 1.4; }), A::kNone},
      {"requested, 1.5 s before the fence deadline: go read-only",
       With(Primary(S::kRequested), [](auto& o) { o.lease_left_seconds = 1.5; }), A::kGoReadOnly},
      {"a 2 s lease (1.5 s safe): 0.9 s before the deadline is room enough",
       With(Primary(S::kRequested),
            [](auto& o) {
              o.lease_safe_seconds = 1.5;
              o.lease_left_seconds = 0.9;
            }),
       A::kGoReadOnly},
      {"a 2 s lease: 0.8 s before the deadline is not",
       With(Primary(S::kRequested),
            [](auto& o) {
              o.lease_safe_seconds = 1.5;
              o.lease_left_seconds = 0.8;
            }),
       A::kNone},
      {"timed out near the deadline: still fails (the time is up either way)",
       With(Primary(S::kReadOnly),
            [](auto& o) {
              o.lease_left_seconds = 0.5;
              o.timed_out = true;
            }),
       A::kAbort, "timed out"},
      {"candidate leads and is writable: done",
       With(Primary(S::kHandedOver),
            [](auto& o) {
              o.self = "mysql-2";
              o.self_writable = true;
            }),
       A::kMarkDone},
      {"candidate leads, not writable yet",
       With(Primary(S::kHandedOver),
            [](auto& o) {
              o.self = "mysql-2";
              o.self_writable = false;
            }),
       A::kNone},
      {"candidate does not hold the key yet",
       With(Primary(S::kHandedOver),
            [](auto& o) {
              o.self = "mysql-2";
              o.self_writable = true;
              o.self_holds_leader = false;
            }),
       A::kNone},
      {"candidate ignores the earlier states",
       With(Primary(S::kCaughtUp), [](auto& o) { o.self = "mysql-2"; }), A::kNone},
  };
  for (const StepCase& c : cases) {
    SwitchoverStep got = NextSwitchoverStep(c.obs);
    EXPECT_EQ(got.action, c.want) << c.name << ": got " << SwitchoverActionName(got.action);
    EXPECT_NE(got.reason.find(c.reason), std::string::npos) << c.name << ": " << got.reason;
  }
}

TEST(SwitchoverStateTest, NamesRoundTrip) {
  for (const char* name :
       {"requested", "read_only", "caught_up", "handed_over", "done", "failed"}) {
    auto s = ParseSwitchoverState(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_STREQ(SwitchoverStateName(*s), name);
  }
  EXPECT_FALSE(ParseSwitchoverState("bogus").has_value());
}

}  // namespace
}  // namespace mysqlset
