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
       StateBuilder().Replicating().IoError(2003, "Can't connect", ThreadState::kConnecting).Build(),
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
    const Readiness r = DecideReadiness(c.role, c.state, ReadinessPolicy{30});
    EXPECT_EQ(r.ready, c.ready) << c.name;
    EXPECT_EQ(r.reasons.empty(), c.ready) << c.name;
    if (!c.ready) {
      bool found = false;
      for (const auto& reason : r.reasons) found |= reason.find(c.reason_part) != std::string::npos;
      EXPECT_TRUE(found) << c.name << ": no reason mentions '" << c.reason_part << "'";
    }
  }
}

}  // namespace
}  // namespace mysqlset
