#include "core/replication_plan.h"

#include "core/state_builder_testing.h"
#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using testing::HealthyReplication;
using testing::StateBuilder;

const DesiredSource kWant{"mysql-0.mysql", 3306, "repl"};

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
      {"primary found read-only", Role::kPrimary, StateBuilder().ReadOnly().Build(), {},
       {K::kSetWritable}},
      {"primary converged", Role::kPrimary, StateBuilder().Writable().Build(), {}, {}},
      {"primary missing accounts", Role::kPrimary, StateBuilder().NoAccounts().Build(), {},
       {K::kEnsureAccounts, K::kSetWritable}},
      {"fresh replica after clone", Role::kReplica, StateBuilder().Build(), "0-100-5",
       {K::kConfigureReplication}},
      {"replica converged: do nothing", Role::kReplica, StateBuilder().Replicating().Build(),
       "0-100-5", {}},
      {"lagging replica: do nothing", Role::kReplica,
       StateBuilder().Replicating().Lag(500).Build(), {}, {}},
      {"writable replica: read-only first", Role::kReplica,
       StateBuilder().Writable().Replicating().Build(), {}, {K::kSetReadOnly}},
      {"writable fresh replica", Role::kReplica, StateBuilder().Writable().Build(), {},
       {K::kSetReadOnly, K::kConfigureReplication}},
      {"primary moved: re-point", Role::kReplica,
       StateBuilder().Replicating(HealthyReplication("old-host", 3306)).Build(), "0-100-5",
       {K::kConfigureReplication}},
      {"primary port changed: re-point", Role::kReplica,
       StateBuilder().Replicating(HealthyReplication("mysql-0.mysql", 3307)).Build(), {},
       {K::kConfigureReplication}},
      {"SQL error: report, never skip", Role::kReplica,
       StateBuilder().Replicating().SqlError(1062, "dup").Build(), {},
       {K::kReportReplicationError}},
      {"stopped after restart: start", Role::kReplica,
       StateBuilder().Replicating().Stopped().Build(), {}, {K::kStartReplication}},
      {"IO error stopped: start again", Role::kReplica,
       StateBuilder().Replicating().IoError(1236, "binlog purged").Build(), {},
       {K::kStartReplication}},
      {"IO connecting: MariaDB retries itself", Role::kReplica,
       StateBuilder().Replicating().IoError(2003, "refused", ThreadState::kConnecting).Build(), {},
       {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Kinds(PlanActions(c.role, c.state, kWant, c.clone_gtid)), c.want) << c.name;
  }
}

TEST(ReplicationPlanTest, CloneGtidSeedsOnlyTheFirstConfiguration) {
  auto fresh = PlanActions(Role::kReplica, StateBuilder().Build(), kWant, "0-100-5");
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].seed_gtid, "0-100-5");
  auto moved = PlanActions(Role::kReplica,
                           StateBuilder().Replicating(HealthyReplication("old", 1)).Build(), kWant,
                           "0-100-5");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_FALSE(moved[0].seed_gtid.has_value()) << "re-pointing must keep the replica's position";
}

}  // namespace
}  // namespace mysqlset
