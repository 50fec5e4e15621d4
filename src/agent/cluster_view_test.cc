#include "agent/cluster_view.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

StoredValue Value(std::string key, std::string value, LeaseId lease = 0, int64_t rev = 1) {
  return StoredValue{std::move(key), std::move(value), lease, rev, rev};
}

TEST(ParseClusterViewTest, ReadsEveryKeyAndSkipsGarbledOnes) {
  const formats::StoreKeys keys("mysql");
  formats::MemberRecord m2{.name = "mysql-2",
                           .ordinal = 2,
                           .lease = 9,
                           .mysql_reachable = true,
                           .has_data = true,
                           .gtid_binlog = "0-100-7"};
  formats::MemberRecord m0{.name = "mysql-0",
                           .ordinal = 0,
                           .mysql_reachable = true,
                           .has_data = true,
                           .gtid_binlog = "0-100-x"};
  formats::SwitchoverRequest req{.id = "a", .from = "mysql-2", .to = "mysql-0"};
  const ParsedClusterView parsed =
      ParseClusterView(keys, {Value(keys.Initialized(), R"({"by":"mysql-0","at_unix_ms":1})"),
                              Value(keys.LastLeader(), R"({"name":"mysql-2","epoch":4})", 0, 17),
                              Value(keys.Leader(), R"({"name":"mysql-2","epoch":4})", 9, 17),
                              Value(keys.Member("mysql-0"), formats::ToJson(m0), 5),
                              Value(keys.Member("mysql-1"), "{garbled", 6),
                              Value(keys.Member("mysql-2"), formats::ToJson(m2), 9),
                              Value(keys.Switchover(), formats::ToJson(req), 11)});
  const ClusterView& v = parsed.view;
  ASSERT_TRUE(v.leader);
  EXPECT_EQ(v.leader->name, "mysql-2");
  EXPECT_EQ(v.leader->epoch, 4u);
  EXPECT_EQ(v.leader->lease, 9);
  EXPECT_EQ(v.last_leader_mod_revision, 17);
  EXPECT_EQ(v.initialized_by, "mysql-0");
  EXPECT_TRUE(v.switchover_pending);
  EXPECT_EQ(v.switchover_from, "mysql-2");
  EXPECT_EQ(v.switchover_to, "mysql-0");
  ASSERT_EQ(v.members.size(), 2u);
  EXPECT_EQ(v.members[0].name, "mysql-0");
  EXPECT_FALSE(v.members[0].has_data) << "an unreadable GTID can win nothing";
  EXPECT_EQ(v.members[1].gtid_binlog.ToString(), "0-100-7");
  ASSERT_EQ(parsed.problems.size(), 1u);
  EXPECT_NE(parsed.problems[0].find("members/mysql-1"), std::string::npos);
}

TEST(ParseClusterViewTest, FinishedSwitchoverIsNotPending) {
  const formats::StoreKeys keys("mysql");
  for (const char* state : {"done", "failed"}) {
    formats::SwitchoverRequest req{.id = "a", .from = "mysql-0", .to = "mysql-1", .state = state};
    const auto parsed = ParseClusterView(keys, {Value(keys.Switchover(), formats::ToJson(req))});
    EXPECT_FALSE(parsed.view.switchover_pending) << state;
    EXPECT_EQ(parsed.view.switchover_to, "") << state;
  }
}

}  // namespace
}  // namespace mysqlset
