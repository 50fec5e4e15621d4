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
      {"primary whose commits wait for a semi-sync ack", Role::kPrimary,
       [] {
         ServerState s = StateBuilder().Writable().Build();
         s.semi_sync_master_enabled = true;
         s.semi_sync_master_clients = 1;
         s.semi_sync_master_wait_sessions = 2;
         return s;
       }(),
       false, "writes wait: 2 commit(s) wait for a semi-sync ack"},
      {"primary with semi-sync on and nobody to ack", Role::kPrimary,
       [] {
         ServerState s = StateBuilder().Writable().Build();
         s.semi_sync_master_enabled = true;
         return s;
       }(),
       false, "writes wait: no semi-sync replica acknowledges"},
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

// The stale-read rule: a replica caught up when its primary went away stays ready for the
// bound, says so, and leaves when the bound passes, a new primary leads, or SQL breaks.
TEST(ReadinessTest, StaleReadsTable) {
  const std::string connecting = "replication IO thread is connecting to mysql-0.mysql:3306";
  // Caught up: everything received (Gtid_IO_Pos) is applied (gtid_slave_pos).
  auto lost = [](ThreadState io = ThreadState::kConnecting, uint32_t no = 0, std::string msg = "",
                 std::string received = "0-100-10", std::string applied = "0-100-10") {
    ReplicaStatus r = testing::HealthyReplication();
    r.io = io;
    r.last_io_errno = no;
    r.last_io_error = std::move(msg);
    r.seconds_behind.reset();
    r.gtid_io_pos = std::move(received);
    return StateBuilder().Replicating(r).Gtids(applied, applied);
  };
  struct Case {
    const char* name;
    ServerState state;
    SourceContact source;
    double limit;
    double age;
    std::vector<std::string> reasons;  // exactly; empty when ready
    std::string stale;                 // Readiness::stale_reads
  } cases[] = {
      {"connecting, caught up, 4 s",
       lost().Build(),
       {4.2, false},
       30,
       0,
       {},
       "serving possibly stale reads: primary unreachable for 4 s (limit 30 s)"},
      {"network error 2003",
       lost(ThreadState::kConnecting, 2003, "Can't connect").Build(),
       {10, false},
       30,
       0,
       {},
       "serving possibly stale reads: primary unreachable for 10 s (limit 30 s)"},
      {"lost connection 2013",
       lost(ThreadState::kConnecting, 2013, "Lost connection").Build(),
       {1, false},
       30,
       0,
       {},
       "serving possibly stale reads: primary unreachable for 1 s (limit 30 s)"},
      {"IO stopped without an error (a failover's fence)",
       lost(ThreadState::kNo).Build(),
       {2, false},
       30,
       0,
       {},
       "serving possibly stale reads: primary unreachable for 2 s (limit 30 s)"},
      {"at the bound",
       lost().Build(),
       {30, false},
       30,
       0,
       {},
       "serving possibly stale reads: primary unreachable for 30 s (limit 30 s)"},
      {"past the bound",
       lost().Build(),
       {31, false},
       30,
       0,
       {connecting, "primary unreachable for 31 s, over the 30 s stale-read limit"},
       ""},
      {"past the bound with a network error",
       lost(ThreadState::kConnecting, 2003, "Can't connect").Build(),
       {31, false},
       30,
       0,
       {"replication IO error 2003: Can't connect", connecting,
        "primary unreachable for 31 s, over the 30 s stale-read limit"},
       ""},
      {"turned off", lost().Build(), {1, false}, 0, 0, {connecting}, ""},
      {"a new primary leads, not re-pointed yet",
       lost().Build(),
       {3, true},
       30,
       0,
       {connecting, "a new primary leads and this replica has not re-pointed to it yet"},
       ""},
      {"never in sync since the agent started",
       lost().Build(),
       {std::nullopt, false},
       30,
       0,
       {connecting},
       ""},
      {"received but not applied",
       lost(ThreadState::kConnecting, 0, "", "0-100-12").Build(),
       {3, false},
       30,
       0,
       {connecting},
       ""},
      {"another domain not applied",
       lost(ThreadState::kConnecting, 0, "", "0-100-10,7-101-1").Build(),
       {3, false},
       30,
       0,
       {connecting},
       ""},
      {"source lacks our GTIDs (1236)",
       lost(ThreadState::kNo, 1236, "could not find next log").Build(),
       {3, false},
       30,
       0,
       {"replication IO error 1236: could not find next log", "replication IO thread is stopped"},
       ""},
      {"access denied (1045)",
       lost(ThreadState::kConnecting, 1045, "Access denied").Build(),
       {3, false},
       30,
       0,
       {"replication IO error 1045: Access denied", connecting},
       ""},
      {"SQL error: not ready at once",
       lost().SqlError(1062, "Duplicate entry").Build(),
       {3, false},
       30,
       0,
       {"replication SQL error 1062: Duplicate entry", connecting,
        "replication SQL thread is stopped"},
       ""},
      {"SQL thread stopped",
       lost().Stopped().Build(),
       {3, false},
       30,
       0,
       {"replication IO thread is stopped", "replication SQL thread is stopped"},
       ""},
      {"writable",
       lost().Writable().Build(),
       {3, false},
       30,
       0,
       {"replica is writable; it must be read-only"},
       ""},
      {"agent state stale",
       lost().Build(),
       {3, false},
       30,
       12,
       {"agent state is stale (12 s old)"},
       ""},
      {"IO running: the ordinary rule",
       StateBuilder().Replicating().Build(),
       {0, false},
       30,
       0,
       {},
       ""},
      {"IO running, new leader elsewhere: the ordinary rule",
       StateBuilder().Replicating().Build(),
       {0, true},
       30,
       0,
       {},
       ""},
  };
  for (const auto& c : cases) {
    ReadinessPolicy policy{30, 5};
    policy.max_stale_read_seconds = c.limit;
    const Readiness r = DecideReadiness(Role::kReplica, c.state, CloneRecordStatus::Absent(), c.age,
                                        policy, c.source);
    EXPECT_EQ(r.reasons, c.reasons) << c.name;
    EXPECT_EQ(r.ready, c.reasons.empty()) << c.name;
    EXPECT_EQ(r.stale_reads, c.stale) << c.name;
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

// A cold start (OrderedReady): no member holds the leader key and none did since the agent
// started. A read-only member with data is ready while it waits, replicating or not (its
// source may be the lost leader), or no later member would start and nobody would lead.
TEST(ReadinessTest, AwaitingElectionTable) {
  const char* kNote = "waiting for the election: no member holds the leader key";
  struct Case {
    const char* name;
    ServerState state;
    bool ready;
    const char* reason_part;  // must appear in some reason when not ready
  } cases[] = {
      {"ex-primary with its stopped replication",
       StateBuilder().ReadOnly().Replicating().Stopped().Build(), true, ""},
      {"replication never configured", StateBuilder().ReadOnly().Build(), true, ""},
      {"IO thread connecting to the lost leader",
       StateBuilder()
           .ReadOnly()
           .Replicating()
           .IoError(2003, "can't connect", ThreadState::kConnecting)
           .Build(),
       true, ""},
      {"writable: never", StateBuilder().Writable().Build(), false, "writable"},
      {"mysqld down", StateBuilder().Down().Build(), false, "not answering"},
      {"SQL error still needs a person",
       StateBuilder().ReadOnly().Replicating().SqlError(1062, "dup").Build(), false, "SQL error"},
  };
  for (const Case& c : cases) {
    SourceContact source;
    source.awaiting_election = true;
    const Readiness r = DecideReadiness(Role::kReplica, c.state, CloneRecordStatus::Absent(), 0.0,
                                        ReadinessPolicy{}, source);
    EXPECT_EQ(r.ready, c.ready) << c.name;
    EXPECT_EQ(r.awaiting_election, c.ready ? kNote : "") << c.name;
    if (!c.ready) {
      bool found = false;
      for (const auto& reason : r.reasons) found |= reason.find(c.reason_part) != std::string::npos;
      EXPECT_TRUE(found) << c.name;
    }
    // Without the rule, the same stopped or connecting replica is not ready.
    if (c.ready) {
      EXPECT_FALSE(DecideReadiness(Role::kReplica, c.state, CloneRecordStatus::Absent(), 0.0,
                                   ReadinessPolicy{})
                       .ready)
          << c.name;
    }
  }
  SourceContact source;
  source.awaiting_election = true;
  Readiness r =
      DecideReadiness(Role::kReplica, StateBuilder().ReadOnly().Replicating().Stopped().Build(),
                      CloneRecordStatus::Absent(), 0.0, ReadinessPolicy{}, source);
  r = WithErrantGtids(r, *GtidList::Parse("7-101-1"), "");
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.awaiting_election, "");
}

// A primary waiting for its first semi-sync ack after a restart (read-only meanwhile), or
// with commits waiting and nobody to ack, is ready: the replica that must ack starts only
// after it (OrderedReady). Anything else still makes it not ready.
TEST(ReadinessTest, APrimaryWaitingForASemiSyncReplicaIsReadyAndSaysSo) {
  ServerState no_ack = StateBuilder().Writable().Build();
  no_ack.semi_sync_master_enabled = true;
  ServerState waiting = no_ack;
  waiting.semi_sync_master_clients = 1;
  waiting.semi_sync_master_wait_sessions = 2;
  ServerState held_read_only_no_accounts = StateBuilder().ReadOnly().NoAccounts().Build();
  struct Case {
    const char* name;
    ServerState state;
    bool ready;
    const char* note_or_reason;  // the awaiting note when ready, else part of a reason
  } cases[] = {
      {"held read-only until the named replica acks", StateBuilder().ReadOnly().Build(), true,
       "waiting for a semi-sync replica: primary is read-only (not yet made writable)"},
      {"master side on, nobody acks", no_ack, true,
       "waiting for a semi-sync replica: writes wait: no semi-sync replica acknowledges"},
      {"commits wait", waiting, true,
       "waiting for a semi-sync replica: writes wait: 2 commit(s) wait for a semi-sync ack"},
      {"accounts missing still count", held_read_only_no_accounts, false, "accounts are missing"},
      {"mysqld down still counts", StateBuilder().Down().Build(), false, "not answering"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SourceContact source;
    source.awaiting_sync_replica = true;
    const Readiness r = DecideReadiness(Role::kPrimary, c.state, CloneRecordStatus::Absent(), 0.0,
                                        ReadinessPolicy{}, source);
    EXPECT_EQ(r.ready, c.ready);
    if (c.ready) {
      EXPECT_EQ(r.awaiting_replica, c.note_or_reason);
      // Without the rule, the same primary is not ready.
      EXPECT_FALSE(DecideReadiness(Role::kPrimary, c.state, CloneRecordStatus::Absent(), 0.0,
                                   ReadinessPolicy{})
                       .ready);
    } else {
      EXPECT_EQ(r.awaiting_replica, "");
      bool found = false;
      for (const auto& reason : r.reasons) {
        found |= reason.find(c.note_or_reason) != std::string::npos;
      }
      EXPECT_TRUE(found);
    }
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
