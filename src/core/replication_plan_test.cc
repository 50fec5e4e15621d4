#include "core/replication_plan.h"

#include "core/state_builder_testing.h"
#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using testing::HealthyReplication;
using testing::StateBuilder;

const DesiredSource kWant{"mysql-0.mysql", 3306, "repl"};

// The record of a clone at `gtid`, or none.
CloneRecordStatus CloneOf(const std::optional<std::string>& gtid) {
  return gtid ? CloneRecordStatus::Present(*gtid) : CloneRecordStatus::Absent();
}

std::vector<ActionKind> Kinds(const std::vector<Action>& actions) {
  std::vector<ActionKind> kinds;
  for (const auto& a : actions) kinds.push_back(a.kind);
  return kinds;
}

TEST(ReplicationPlanTest, Table) {
  using K = ActionKind;
  struct Case {
    const char* name;
    Role role;
    ServerState state;
    std::optional<std::string> clone_gtid;
    std::vector<ActionKind> want;
  } cases[] = {
      {"mysqld down: nothing", Role::kReplica, StateBuilder().Down().Build(), "0-100-5", {}},
      {"primary found read-only",
       Role::kPrimary,
       StateBuilder().ReadOnly().Build(),
       {},
       {K::kSetWritable}},
      {"primary converged", Role::kPrimary, StateBuilder().Writable().Build(), {}, {}},
      {"primary missing accounts",
       Role::kPrimary,
       StateBuilder().NoAccounts().Build(),
       {},
       {K::kEnsureAccounts, K::kSetWritable}},
      // Review of issue #18: clusters bootstrapped before the fix still had install-db's
      // passwordless unix_socket superusers; the primary drops them (the DROP replicates).
      {"primary with install-db's socket superusers",
       Role::kPrimary,
       StateBuilder().Writable().SocketSuperusers({"root@localhost", "nobody@localhost"}).Build(),
       {},
       {K::kDropSocketSuperusers}},
      {"read-only primary with socket superusers: dropped before it takes writes",
       Role::kPrimary,
       StateBuilder().ReadOnly().SocketSuperusers({"root@localhost"}).Build(),
       {},
       {K::kDropSocketSuperusers, K::kSetWritable}},
      {"replica: socket superusers are the primary's to drop",
       Role::kReplica,
       StateBuilder().Replicating().SocketSuperusers({"root@localhost"}).Build(),
       {},
       {}},
      {"fresh replica after clone",
       Role::kReplica,
       StateBuilder().Build(),
       "0-100-5",
       {K::kConfigureReplication}},
      {"replica converged: do nothing",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       "0-100-5",
       {}},
      {"lagging replica: do nothing",
       Role::kReplica,
       StateBuilder().Replicating().Lag(500).Build(),
       {},
       {}},
      {"writable replica: read-only first",
       Role::kReplica,
       StateBuilder().Writable().Replicating().Build(),
       {},
       {K::kSetReadOnly}},
      {"writable fresh replica",
       Role::kReplica,
       StateBuilder().Writable().Build(),
       {},
       {K::kSetReadOnly, K::kConfigureReplication}},
      {"primary moved: re-point",
       Role::kReplica,
       StateBuilder().Replicating(HealthyReplication("old-host", 3306)).Build(),
       "0-100-5",
       {K::kConfigureReplication}},
      {"primary port changed: re-point",
       Role::kReplica,
       StateBuilder().Replicating(HealthyReplication("mysql-0.mysql", 3307)).Build(),
       {},
       {K::kConfigureReplication}},
      {"SQL error: report, never skip",
       Role::kReplica,
       StateBuilder().Replicating().SqlError(1062, "dup").Build(),
       {},
       {K::kReportReplicationError}},
      {"SQL error of a full table (the disk was full): run the event again, no skip",
       Role::kReplica,
       StateBuilder().Replicating().SqlError(1114, "The table 'ops' is full").Build(),
       {},
       {K::kStartReplication}},
      {"SQL error of a full disk: run the event again, no skip",
       Role::kReplica,
       StateBuilder().Replicating().SqlError(1021, "Disk full").Build(),
       {},
       {K::kStartReplication}},
      {"SQL error of a full disk on a writable replica: read-only first",
       Role::kReplica,
       StateBuilder().Writable().Replicating().SqlError(1114, "full").Build(),
       {},
       {K::kSetReadOnly, K::kStartReplication}},
      {"stopped after restart: start",
       Role::kReplica,
       StateBuilder().Replicating().Stopped().Build(),
       {},
       {K::kStartReplication}},
      {"stopped after a crash with gtid_slave_pos behind its own binlog: resume after it",
       Role::kReplica,
       StateBuilder().Replicating().Stopped().Gtids("0-100-1", "0-100-2").Build(),
       {},
       {K::kConfigureReplication}},
      {"IO error stopped: start again",
       Role::kReplica,
       StateBuilder().Replicating().IoError(1236, "binlog purged").Build(),
       {},
       {K::kStartReplication}},
      {"IO connecting: MariaDB retries itself",
       Role::kReplica,
       StateBuilder().Replicating().IoError(2003, "refused", ThreadState::kConnecting).Build(),
       {},
       {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Kinds(PlanActions(c.role, c.state, kWant, CloneOf(c.clone_gtid))), c.want) << c.name;
  }
}

TEST(ReplicationPlanTest, CloneGtidSeedsOnlyTheFirstConfiguration) {
  auto fresh = PlanActions(Role::kReplica, StateBuilder().Build(), kWant, CloneOf("0-100-5"));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].seed_gtid, "0-100-5");
  const ServerState elsewhere = StateBuilder()
                                    .Gtids("0-100-40", "0-100-40")
                                    .Replicating(HealthyReplication("old", 1))
                                    .Build();
  auto moved = PlanActions(Role::kReplica, elsewhere, kWant, CloneOf("0-100-5"));
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_FALSE(moved[0].seed_gtid.has_value()) << "re-pointing must keep the replica's position";
}

// Regression (issue #8): a garbled clone record left the start position unknown, and the
// agent configured replication from a guess. Unreadable now means: never configure it.
TEST(ReplicationPlanTest, CloneRecordTable) {
  using K = ActionKind;
  const auto unreadable = CloneRecordStatus::Unreadable("/data/.mysqlset-clone.json is garbled");
  struct Case {
    const char* name;
    Role role;
    ServerState state;
    CloneRecordStatus clone;
    std::vector<ActionKind> want;
  } cases[] = {
      {"unreadable, replication not configured: no ConfigureReplication",
       Role::kReplica,
       StateBuilder().Build(),
       unreadable,
       {}},
      {"unreadable, writable: still made read-only",
       Role::kReplica,
       StateBuilder().Writable().Build(),
       unreadable,
       {K::kSetReadOnly}},
      {"unreadable, already replicating: unaffected",
       Role::kReplica,
       StateBuilder().Replicating().Build(),
       unreadable,
       {}},
      {"unreadable, replicating from the old primary: re-pointed (position kept)",
       Role::kReplica,
       StateBuilder().Replicating(HealthyReplication("old-host", 3306)).Build(),
       unreadable,
       {K::kConfigureReplication}},
      {"unreadable, replication stopped: started",
       Role::kReplica,
       StateBuilder().Replicating().Stopped().Build(),
       unreadable,
       {K::kStartReplication}},
      {"unreadable, mysqld down: nothing",
       Role::kReplica,
       StateBuilder().Down().Build(),
       unreadable,
       {}},
      {"absent: configured from the server's own position",
       Role::kReplica,
       StateBuilder().Build(),
       CloneRecordStatus::Absent(),
       {K::kConfigureReplication}},
      {"present: configured",
       Role::kReplica,
       StateBuilder().Build(),
       CloneRecordStatus::Present("0-100-5"),
       {K::kConfigureReplication}},
      {"primary: the clone record does not matter",
       Role::kPrimary,
       StateBuilder().ReadOnly().Build(),
       unreadable,
       {K::kSetWritable}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Kinds(PlanActions(c.role, c.state, kWant, c.clone)), c.want) << c.name;
  }
  const auto absent =
      PlanActions(Role::kReplica, StateBuilder().Build(), kWant, CloneRecordStatus::Absent());
  ASSERT_EQ(absent.size(), 1u);
  EXPECT_FALSE(absent[0].seed_gtid.has_value());
  EXPECT_NE(absent[0].reason.find("replication is not configured"), std::string::npos);
}

// The seeding rule (issue 18, finding 5): the clone's GTID counts only while the server has
// applied nothing after it; gtid_slave_pos never moves backwards; otherwise replication
// resumes from the server's own GTID state.
TEST(ReplicationPlanTest, StartPositionTable) {
  struct Case {
    const char* name;
    std::string slave, binlog;
    std::optional<std::string> clone;
    std::optional<std::string> want;  // nullopt: leave gtid_slave_pos as it is
  } cases[] = {
      {"fresh clone: seed the clone's GTID", "", "", "0-100-6", "0-100-6"},
      {"fresh clone of a replica donor: its old slave pos is behind the clone", "0-100-4", "",
       "0-100-6", "0-100-6"},
      {"no clone, nothing applied: nothing to set", "", "", std::nullopt, std::nullopt},
      {"clone record, server already past it (restart after replicating)", "0-100-3810",
       "0-100-3810", "0-100-6", std::nullopt},
      {"RESET SLAVE ALL keeps gtid_slave_pos: resume there, never the clone's", "0-100-3810",
       "0-100-3810", "0-100-6", std::nullopt},
      {"RESET SLAVE ALL + gtid_slave_pos emptied: the binlog says where the data is", "",
       "0-100-3810", "0-100-6", "0-100-3810"},
      {"gtid_slave_pos emptied, no clone record: resume from the binlog", "", "0-100-77",
       std::nullopt, "0-100-77"},
      {"gtid_slave_pos ahead of the record, binlog behind (purged or off)", "0-100-50", "0-100-9",
       "0-100-6", std::nullopt},
      {"gtid_slave_pos ahead of the binlog: never backwards", "0-100-50", "0-100-40", std::nullopt,
       std::nullopt},
      {"slave pos equals the record: nothing to set", "0-100-6", "", "0-100-6", std::nullopt},
      {"record in a domain the server never saw: seed that domain only", "0-100-3810", "0-100-3810",
       "0-100-6,1-200-9", "0-100-3810,1-200-9"},
      {"server past the record in domain 1, behind it in domain 0", "1-200-30", "1-200-30",
       "0-100-6,1-200-9", "0-100-6,1-200-30"},
      {"server has a domain the record lacks: kept", "2-300-4", "", "0-100-6", "0-100-6,2-300-4"},
      {"tie in seq, other server id: gtid_slave_pos entry stays", "0-100-10", "0-101-10",
       "0-100-10", std::nullopt},
      {"binlog ahead in its own domain only", "0-100-10", "0-100-10,3-101-2", std::nullopt,
       "0-100-10,3-101-2"},
  };
  for (const auto& c : cases) {
    const ServerState s = StateBuilder().Gtids(c.slave, c.binlog).Build();
    std::optional<GtidList> clone;
    if (c.clone) clone = *GtidList::Parse(*c.clone);
    const auto got = ReplicationStartPosition(s, clone);
    EXPECT_EQ(got ? std::optional<std::string>(got->ToString()) : std::nullopt, c.want) << c.name;
    if (got) {
      EXPECT_TRUE(got->Covers(s.gtid_slave)) << c.name << ": moved gtid_slave_pos backwards";
      EXPECT_TRUE(got->Covers(s.gtid_binlog)) << c.name << ": behind the server's own binlog";
    }
  }
}

// The reported case: a replica at 0-100-3810 cloned at 0-100-6; `STOP SLAVE; RESET SLAVE ALL`
// by hand. The agent used to call that "first start after clone" and seed 0-100-6 (error
// 1950 and a re-clone). Now it re-configures replication from where the server is.
TEST(ReplicationPlanTest, ResetSlaveAllNeverSeedsTheOlderCloneGtid) {
  const ServerState after_reset = StateBuilder().Gtids("0-100-3810", "0-100-3810").Build();
  auto actions = PlanActions(Role::kReplica, after_reset, kWant, CloneOf("0-100-6"));
  ASSERT_EQ(Kinds(actions), std::vector<ActionKind>{ActionKind::kConfigureReplication});
  EXPECT_FALSE(actions[0].seed_gtid.has_value()) << *actions[0].seed_gtid;
  EXPECT_EQ(actions[0].reason.find("first start after clone"), std::string::npos)
      << actions[0].reason;

  const ServerState emptied = StateBuilder().Gtids("", "0-100-3810").Build();
  actions = PlanActions(Role::kReplica, emptied, kWant, CloneOf("0-100-6"));
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].seed_gtid, "0-100-3810");
}

TEST(ReplicationPlanTest, RestartBackoffTable) {
  using std::chrono::milliseconds;
  struct Case {
    const char* name;
    int attempts;
    int since_last_ms;
    bool due;
  } cases[] = {
      {"first start: at once", 0, 0, true},
      {"second start: 1 s after the first", 1, 999, false},
      {"second start: due at 1 s", 1, 1000, true},
      {"third: 2 s after the second", 2, 1999, false},
      {"third: due at 2 s", 2, 2000, true},
      {"fourth: 4 s", 3, 3999, false},
      {"fourth: due at 4 s", 3, 4000, true},
      {"fifth: 8 s", 4, 7999, false},
      {"sixth: capped at 10 s, not 16", 5, 9999, false},
      {"sixth: due at 10 s", 5, 10000, true},
      {"capped, however many before", 40, 10000, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReplicationRestartDue({c.attempts, milliseconds(c.since_last_ms)}), c.due) << c.name;
  }
}

TEST(ReplicationPlanTest, RanCleanlyTable) {
  using std::chrono::milliseconds;
  ReplicaStatus diverged = HealthyReplication();
  diverged.io = ThreadState::kNo;
  diverged.last_io_errno = 1236;
  ReplicaStatus connecting = HealthyReplication();
  connecting.io = ThreadState::kConnecting;
  ReplicaStatus sql_error = HealthyReplication();
  sql_error.last_sql_errno = 1950;
  struct Case {
    const char* name;
    ReplicaStatus r;
    int since_last_start_ms;
    bool clean;
  } cases[] = {
      {"running without error for 10 s", HealthyReplication(), 10000, true},
      {"running, but started a moment ago (may fail again)", HealthyReplication(), 9999, false},
      {"IO thread stopped on 1236", diverged, 60000, false},
      {"IO thread still connecting", connecting, 60000, false},
      {"SQL error", sql_error, 60000, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReplicationRanCleanly(c.r, milliseconds(c.since_last_start_ms)), c.clean) << c.name;
  }
}

TEST(ReplicationPlanTest, StoppedOnErrorTable) {
  ReplicaStatus fenced = HealthyReplication();  // the failover fence: STOP SLAVE IO_THREAD
  fenced.io = ThreadState::kNo;
  ReplicaStatus diverged = fenced;
  diverged.last_io_errno = 1236;
  ReplicaStatus disk_full = HealthyReplication();
  disk_full.sql = ThreadState::kNo;
  disk_full.last_sql_errno = 1114;
  struct Case {
    const char* name;
    ReplicaStatus r;
    bool on_error;
  } cases[] = {
      {"stopped on purpose, no error: started at once", fenced, false},
      {"IO thread stopped on 1236", diverged, true},
      {"SQL thread stopped on a full disk", disk_full, true},
  };
  for (const Case& c : cases) EXPECT_EQ(StoppedOnError(c.r), c.on_error) << c.name;
}

}  // namespace
}  // namespace mysqlset
