#include "core/readiness.h"

#include "core/state_builder_testing.h"
#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using testing::StateBuilder;

TEST(ReadinessTest, Table) {
  struct Case {
    const char* name;
    Role role;
    ServerState state;
    bool ready;
    const char* reason_part;  // must appear in some reason when not ready
  } cases[] = {
      {"writable primary", Role::kPrimary, StateBuilder().Writable().Build(), true, ""},
      {"primary found read-only", Role::kPrimary, StateBuilder().ReadOnly().Build(), false,
       "read-only"},
      {"primary mysqld down", Role::kPrimary, StateBuilder().Down().Build(), false,
       "not answering"},
      {"primary without accounts", Role::kPrimary, StateBuilder().Writable().NoAccounts().Build(),
       false, "accounts"},
      {"primary before install-db's superusers are dropped", Role::kPrimary,
       StateBuilder().Writable().SocketSuperusers({"root@localhost"}).Build(), false,
       "superusers are not dropped yet"},
      {"healthy replica", Role::kReplica, StateBuilder().Replicating().Build(), true, ""},
      {"replica at the threshold", Role::kReplica, StateBuilder().Replicating().Lag(30).Build(),
       true, ""},
      {"lagging replica", Role::kReplica, StateBuilder().Replicating().Lag(31).Build(), false,
       "lag 31 s is over the 30 s threshold"},
      {"replica lag unknown", Role::kReplica, StateBuilder().Replicating().LagUnknown().Build(),
       false, "lag is unknown"},
      {"fresh replica after clone", Role::kReplica, StateBuilder().Build(), false,
       "not configured"},
      {"replica with IO error", Role::kReplica,
       StateBuilder().Replicating().IoError(1045, "Access denied").Build(), false,
       "IO error 1045: Access denied"},
      {"replica reconnecting to a dead primary", Role::kReplica,
       StateBuilder()
           .Replicating()
           .IoError(2003, "Can't connect", ThreadState::kConnecting)
           .Build(),
       false, "connecting to mysql-0.mysql:3306"},
      {"replica with SQL error", Role::kReplica,
       StateBuilder().Replicating().SqlError(1062, "Duplicate entry").Build(), false,
       "SQL error 1062: Duplicate entry"},
      {"writable replica", Role::kReplica, StateBuilder().Replicating().Writable().Build(), false,
       "writable"},
      {"replica mysqld down", Role::kReplica, StateBuilder().Down("timeout").Build(), false,
       "timeout"},
      {"stopped replica", Role::kReplica, StateBuilder().Replicating().Stopped().Build(), false,
       "stopped"},
  };
  for (const auto& c : cases) {
    const Readiness r =
        DecideReadiness(c.role, c.state, CloneRecordStatus::Absent(), 0.0, ReadinessPolicy{30});
    EXPECT_EQ(r.ready, c.ready) << c.name;
    EXPECT_EQ(r.reasons.empty(), c.ready) << c.name;
    if (!c.ready) {
      bool found = false;
      for (const auto& reason : r.reasons) found |= reason.find(c.reason_part) != std::string::npos;
      EXPECT_TRUE(found) << c.name << ": no reason mentions '" << c.reason_part << "'";
    }
  }
}

// The clone record and the state's age, beside the state (they were decided outside core:
// the clone record in the agent loop, the age in the /readyz handler).
TEST(ReadinessTest, CloneRecordAndStateAgeTable) {
  const auto absent = CloneRecordStatus::Absent();
  const auto present = CloneRecordStatus::Present("0-100-5");
  const auto unreadable = CloneRecordStatus::Unreadable("/data/.mysqlset-clone.json is garbled");
  const std::string unknown_start =
      "/data/.mysqlset-clone.json is garbled; replication is not configured because its start "
      "position is unknown: restore the file or re-clone this member";
  struct Case {
    const char* name;
    Role role;
    ServerState state;
    CloneRecordStatus clone;
    std::optional<double> age;
    std::vector<std::string> reasons;  // exactly; empty when ready
  } cases[] = {
      {"unreadable record, replication not configured",
       Role::kReplica,
       StateBuilder().Build(),
       unreadable,
       0.0,
       {"replication is not configured", unknown_start}},
      {"unreadable record, writable and not configured",
       Role::kReplica,
       StateBuilder().Writable().Build(),
       unreadable,
       0.0,
       {"replica is writable; it must be read-only", "replication is not configured",
        unknown_start}},
      {"unreadable record, mysqld down",
       Role::kReplica,
       StateBuilder().Down("timeout").Build(),
       unreadable,
       0.0,
       {"mysqld is not answering: timeout", unknown_start}},
      {"unreadable record, already replicating: unaffected",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       unreadable,
       0.0,
       {}},
      {"unreadable record, replicating but lagging: only the lag",
       Role::kReplica,
       StateBuilder().Replicating().Lag(31).Build(),
       unreadable,
       0.0,
       {"replication lag 31 s is over the 30 s threshold"}},
      {"present record, replicating",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       present,
       0.0,
       {}},
      {"present record, not configured yet",
       Role::kReplica,
       StateBuilder().Build(),
       present,
       0.0,
       {"replication is not configured"}},
      {"absent record, not configured yet",
       Role::kReplica,
       StateBuilder().Build(),
       absent,
       0.0,
       {"replication is not configured"}},
      {"primary: unreadable record does not matter",
       Role::kPrimary,
       StateBuilder().Writable().Build(),
       unreadable,
       0.0,
       {}},
      {"primary: unreadable record, read-only: only that",
       Role::kPrimary,
       StateBuilder().ReadOnly().Build(),
       unreadable,
       0.0,
       {"primary is read-only (not yet made writable)"}},
      {"not checked yet",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       absent,
       std::nullopt,
       {"agent has not checked mysqld yet"}},
      {"not checked yet, primary",
       Role::kPrimary,
       StateBuilder().Writable().Build(),
       absent,
       std::nullopt,
       {"agent has not checked mysqld yet"}},
      {"fresh", Role::kReplica, StateBuilder().Replicating().Build(), absent, 2.4, {}},
      {"at the age limit", Role::kPrimary, StateBuilder().Writable().Build(), absent, 5.0, {}},
      {"stale replica",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       absent,
       12.4,
       {"agent state is stale (12 s old)"}},
      {"stale primary",
       Role::kPrimary,
       StateBuilder().Writable().Build(),
       absent,
       5.6,
       {"agent state is stale (6 s old)"}},
      {"age below zero: stale",
       Role::kPrimary,
       StateBuilder().Writable().Build(),
       absent,
       -1.0,
       {"agent state is stale (-1 s old)"}},
      {"stale and lagging: the lag says more",
       Role::kReplica,
       StateBuilder().Replicating().Lag(31).Build(),
       absent,
       60.0,
       {"replication lag 31 s is over the 30 s threshold"}},
      {"stale and unreadable record: the record says more",
       Role::kReplica,
       StateBuilder().Build(),
       unreadable,
       60.0,
       {"replication is not configured", unknown_start}},
  };
  for (const auto& c : cases) {
    const Readiness r = DecideReadiness(c.role, c.state, c.clone, c.age, ReadinessPolicy{30, 5});
    EXPECT_EQ(r.reasons, c.reasons) << c.name;
    EXPECT_EQ(r.ready, c.reasons.empty()) << c.name;
  }
}

// The agent's rule: stale after three ticks, and never sooner than the policy's minimum.
TEST(ReadinessTest, ForTickTable) {
  using std::chrono::milliseconds;
  struct Case {
    const char* name;
    double min_seconds;
    milliseconds tick;
    double want;
  } cases[] = {
      {"default tick: the 5 s minimum", 5, milliseconds(1000), 5},
      {"fast tick: the 5 s minimum", 5, milliseconds(300), 5},
      {"slow tick: three ticks", 5, milliseconds(4000), 12},
      {"just over the minimum", 5, milliseconds(2000), 6},
  };
  for (const auto& c : cases) {
    const ReadinessPolicy p = ForTick(ReadinessPolicy{17, c.min_seconds}, c.tick);
    EXPECT_DOUBLE_EQ(p.max_state_age_seconds, c.want) << c.name;
    EXPECT_EQ(p.max_lag_seconds, 17) << c.name;
  }
}

// Issue 13: a replica holding rows the primary lacks leaves the read endpoint, with the GTIDs.
TEST(ReadinessTest, ErrantGtidsMakeAReadyReplicaNotReady) {
  Readiness ready;
  ready.ready = true;
  EXPECT_TRUE(WithErrantGtids(ready, GtidList(), "mysql-0").ready);
  const Readiness r = WithErrantGtids(ready, *GtidList::Parse("0-101-3,7-101-1"), "mysql-0");
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{
                           "errant GTIDs 0-101-3,7-101-1 (transactions the primary mysql-0 never "
                           "had): re-clone this member"}));
  Readiness lagging;
  lagging.reasons = {"replication lag 40 s is over the 30 s threshold"};
  EXPECT_EQ(WithErrantGtids(lagging, *GtidList::Parse("7-101-1"), "").reasons.size(), 2u);
}

}  // namespace
}  // namespace mysqlset
