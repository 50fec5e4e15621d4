#include "formats/agent_status.h"

#include <gtest/gtest.h>

#include "testing/golden.h"

namespace mysqlset::formats {
namespace {

AgentStatus Full() {
  AgentStatus s;
  s.pod = "mysql-1";
  s.ordinal = 1;
  s.role = "replica";
  s.leader = "mysql-0";
  s.epoch = 3;
  s.decision = "follow";
  s.decision_reason = "mysql-0 leads (epoch 3)";
  s.semi_sync = "acks the primary's commits";
  s.store_reachable = true;
  s.ready = false;
  s.reasons = {"replication lag 42s > 30s"};
  s.stale_reads = "serving possibly stale reads: primary unreachable for 4 s (limit 30 s)";
  s.sync = "mysql-2";
  s.errant_gtids = "7-101-1";
  s.reclone = "errant GTIDs 7-101-1: re-cloning";
  s.last_epoch = AgentStatus::Epoch{3, "mysql-0", "mysql-2", "failover", 1764500000123};
  s.server_id = 101;
  s.mysql_reachable = true;
  s.read_only = true;
  s.gtid_current = "0-100-42";
  s.gtid_binlog = "0-100-40";
  s.gtid_slave = "0-100-42";
  s.lag_seconds = 42;
  s.last_error = "start_replication: boom";
  s.replication_error = "";
  s.last_actions = {"start_replication: SQL thread stopped"};
  s.ticks = 1234;
  s.state_age_seconds = 0.5;
  s.lag_threshold_seconds = 30;
  s.replication = AgentStatus::Replication{
      "mysql-0.mysql:3306", "mysqlset_repl", "slave_pos", "Yes", "No", 0, "", 1062,
      "Duplicate entry",    "0-100-42"};
  s.clone = AgentStatus::Clone{"mysql-0", "0-100-7", 1048576, 2.5};
  s.backup = {1, 2, 3, 4, 5, 6000};
  AgentStatus::Archive a;
  a.active = true;
  a.last_closed_unix = 1800000030;
  a.archived_gtid = "0-100-42";
  a.segments_archived = 7;
  a.failures = 1;
  a.last_error = "store binlogs/x: disk full";
  a.gap = "";
  a.catalog_read = true;
  a.last_backup_unix = 1800000010;
  a.last_verified_backup_unix.reset();  // the repository holds no verified backup: null
  a.catalog_read_failures = 2;
  a.catalog_error = "";
  s.archive = a;
  s.data_volume = VolumeSpace{41943040, 1073741824};
  return s;
}

// The golden file is what keeps DESIGN.md's promise for /v1/status: fields may be added,
// none removed or renamed, and none may change type. A failing golden test is therefore a
// compatibility decision (peers and older CLIs read this), not a file to regenerate: add
// the new field to the golden file, never drop or rename one.
TEST(AgentStatusGolden, ToJsonOfAFullStatusIsTheGoldenFile) {
  EXPECT_EQ(ToJson(Full()), testing::Golden("agent_status.json"));
}

TEST(AgentStatusGolden, TheGoldenFileRoundTrips) {
  const std::string golden = testing::Golden("agent_status.json");
  auto s = FromJson<AgentStatus>(golden);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(ToJson(*s), golden);
  EXPECT_EQ(s->pod, "mysql-1");
  EXPECT_EQ(s->lag_seconds, 42);
  ASSERT_TRUE(s->replication);
  EXPECT_EQ(s->replication->last_sql_errno, 1062u);
  ASSERT_TRUE(s->clone);
  EXPECT_EQ(s->clone->bytes, 1048576u);
  EXPECT_EQ(s->backup.bytes_sent, 6000u);
  EXPECT_EQ(s->sync, "mysql-2");
  EXPECT_EQ(s->errant_gtids, "7-101-1");
  EXPECT_EQ(s->reclone, "errant GTIDs 7-101-1: re-cloning");
  ASSERT_TRUE(s->last_epoch);
  EXPECT_EQ(s->last_epoch->reason, "failover");
  EXPECT_EQ(s->last_epoch->since_unix_ms, 1764500000123);
  ASSERT_TRUE(s->archive);
  EXPECT_EQ(s->archive, Full().archive);
  EXPECT_EQ(s->data_volume, (VolumeSpace{41943040, 1073741824}));
}

TEST(AgentStatus, ReadsTheContractFields) {
  auto a = FromJson<AgentStatus>(
      R"({"pod":"mysql-1","ordinal":1,"role":"replica","ready":false,"reasons":["lag 12s"],)"
      R"("server_id":101,"gtid_current":"0-100-7","lag_seconds":12})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, "replica");
  EXPECT_FALSE(a->ready);
  EXPECT_EQ(a->server_id, 101u);
  EXPECT_EQ(a->gtid_current, "0-100-7");
  ASSERT_TRUE(a->lag_seconds);
  EXPECT_EQ(*a->lag_seconds, 12);
  EXPECT_EQ(a->reasons, std::vector<std::string>{"lag 12s"});
  auto b = FromJson<AgentStatus>(R"({"role":"primary","ready":true,"lag_seconds":null})");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->lag_seconds);
  EXPECT_FALSE(b->replication);
  EXPECT_FALSE(b->clone);
  EXPECT_FALSE(b->data_volume);  // an older agent's status
  EXPECT_FALSE(FromJson<AgentStatus>("not json").ok());
}

TEST(AgentStatus, LagIsAnIntegerWhenWholeAndNullWhenUnknown) {
  AgentStatus s;
  s.lag_seconds = 0;
  EXPECT_NE(ToJson(s).find(R"("lag_seconds":0,)"), std::string::npos) << ToJson(s);
  s.lag_seconds = 2.5;  // another writer's fraction survives
  EXPECT_NE(ToJson(s).find(R"("lag_seconds":2.5,)"), std::string::npos) << ToJson(s);
  s.lag_seconds.reset();
  EXPECT_NE(ToJson(s).find(R"("lag_seconds":null,)"), std::string::npos) << ToJson(s);
}

// A time the agent does not know is null, never 0 posing as 1970; no repository: "archive" null.
TEST(AgentStatus, ArchiveTimesAreNullWhenUnknownAndTheArchiveNullWhenOff) {
  AgentStatus s;
  EXPECT_NE(ToJson(s).find(R"("archive":null,)"), std::string::npos) << ToJson(s);
  s.archive = AgentStatus::Archive{};
  const std::string text = ToJson(s);
  EXPECT_NE(text.find(R"("last_closed_unix":null,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("last_backup_unix":null,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("last_verified_backup_unix":null,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("catalog_read":false,)"), std::string::npos) << text;
  auto back = FromJson<AgentStatus>(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_TRUE(back->archive);
  EXPECT_FALSE(back->archive->last_closed_unix);
  EXPECT_FALSE(back->archive->last_backup_unix);
  // An older agent's status has no "archive": read as off, not as an error.
  auto old = FromJson<AgentStatus>(R"({"ready":true})");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->archive);
  EXPECT_FALSE(FromJson<AgentStatus>(R"({"ready":true,"archive":{"last_closed_unix":1.5}})").ok());
  EXPECT_FALSE(FromJson<AgentStatus>(R"({"ready":true,"archive":{"last_backup_unix":"x"}})").ok());
  EXPECT_FALSE(FromJson<AgentStatus>(R"({"ready":true,"archive":7})").ok());
}

TEST(AgentStatus, FieldsFromANewerAgentAreIgnored) {
  auto s = FromJson<AgentStatus>(R"({"ready":true,"term":7,"lease":{"holder":"mysql-0"}})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->ready);
}

TEST(AgentStatus, GarbledInputIsAnErrorNotACrash) {
  const std::string cases[] = {
      "",
      "not json",
      "[1,2]",
      R"({"role":"primary"})",                 // missing "ready": not a donor
      R"({"ready":"yes"})",                    // wrong type
      R"({"ready":true,"ordinal":1.5})",       // float for an integer
      R"({"ready":true,"server_id":7.7e43})",  // out of range: UB if converted
      R"({"ready":true,"ordinal":"1"})",
      R"({"ready":true,"reasons":[1]})",
      R"({"ready":true,"lag_seconds":"x"})",
      R"({"ready":true,"clone":{"bytes":1e300}})",
      R"({"ready":true,"clone":7})",
      R"({"ready":true,"last_epoch":{"epoch":2.5}})",
      R"({"ready":true,"last_epoch":7})",
      R"({"ready":true,"backup":{"bytes_sent":-1.5}})",
      R"({"ready":true,"replication":{"configured":true,"last_io_errno":0.5}})",
      "{\"ready\":true,\"pod\":\"\xff\"}",  // not UTF-8
  };
  for (const std::string& text : cases) {
    auto s = FromJson<AgentStatus>(text);
    EXPECT_FALSE(s.ok()) << text;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << text;
      EXPECT_NE(s.status().message().find("status"), std::string::npos) << s.status().message();
    }
  }
}

}  // namespace
}  // namespace mysqlset::formats
