// The agent given garbled marker files (unit, on FakeDb and MemFileSystem).

#include <algorithm>

#include "agent/agent.h"
#include "agent/status_report.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/fake_coord_store.h"
#include "testing/fake_db.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

AgentConfig ReplicaConfig() {
  AgentConfig c;
  c.id = *ParseIdentity("mysql-1");
  c.data_dir = "/data";
  c.secrets = {"admin-pw", "repl-pw", "backup-pw", "monitor-pw", "token"};
  return c;
}

class NoKill : public ServerKiller {
 public:
  Status KillServer() override { return Internal("no kill in this test"); }
};

// A store in which mysql-0 leads (its key on no lease, so it never expires here).
void LeaderIsMysql0(FakeCoordStore& store) {
  const formats::StoreKeys keys("mysql");
  const std::string leader = formats::ToJson(formats::LeaderRecord{"mysql-0", 1, 0});
  ASSERT_TRUE(store.Put(keys.Leader(), leader).ok());
  ASSERT_TRUE(store.Put(keys.LastLeader(), leader).ok());
}

bool Has(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Regression (issue #8): a replica whose .mysqlset-clone.json was garbled configured
// replication without the clone's GTID, so it started from whatever gtid_slave_pos the
// datadir held and re-applied (or skipped) transactions.
TEST(AgentBadFilesTest, GarbledCloneRecordNeverConfiguresReplicationFromAGuess) {
  for (const std::string garbled :
       {"", "{", "not json", "[]", R"({"gtid": 7})", R"({"gtid":"0-1"})", "{\"gtid\":\"\xff\"}"}) {
    SCOPED_TRACE(garbled);
    FakeDb db;
    MemFileSystem fs;
    FakeClock clock;
    FakeCoordStore store(&clock);
    NoKill killer;
    LeaderIsMysql0(store);
    ASSERT_TRUE(fs.WriteFileAtomic("/data/.mysqlset-clone.json", garbled, 0644).ok());
    Agent agent(ReplicaConfig(), db, store, killer, fs, clock);
    for (int i = 0; i < 3; ++i) agent.RunOnce();
    EXPECT_FALSE(db.state.replica.has_value());
    EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "configure_replication"), 0);
    const AgentSnapshot snap = agent.Snapshot();
    EXPECT_FALSE(snap.readiness.ready);
    EXPECT_TRUE(Has(snap.readiness.reasons, "/data/.mysqlset-clone.json"));
    EXPECT_TRUE(Has(snap.readiness.reasons, "re-clone"));
  }
}

TEST(AgentBadFilesTest, GarbledCloneRecordLeavesConfiguredReplicationAlone) {
  FakeDb db;
  MemFileSystem fs;
  FakeClock clock;
  ASSERT_TRUE(fs.WriteFileAtomic("/data/.mysqlset-clone.json", "{", 0644).ok());
  ReplicaStatus r;
  r.source_host = "mysql-0.mysql";
  r.source_port = 3306;
  r.source_user = "repl";
  r.using_gtid_slave_pos = true;
  r.io = r.sql = ThreadState::kYes;
  r.seconds_behind = 0;
  db.state.replica = r;
  FakeCoordStore store(&clock);
  NoKill killer;
  LeaderIsMysql0(store);
  Agent agent(ReplicaConfig(), db, store, killer, fs, clock);
  agent.RunOnce();
  agent.RunOnce();
  EXPECT_TRUE(agent.Snapshot().readiness.ready) << agent.Snapshot().readiness.reasons.size();
}

TEST(AgentBadFilesTest, ValidOrAbsentCloneRecordStillConfiguresReplication) {
  for (const bool present : {true, false}) {
    FakeDb db;
    MemFileSystem fs;
    FakeClock clock;
    if (present) {
      ASSERT_TRUE(
          fs.WriteFileAtomic("/data/.mysqlset-clone.json", R"({"gtid":"0-100-9"})", 0644).ok());
    }
    FakeCoordStore store(&clock);
    NoKill killer;
    LeaderIsMysql0(store);
    Agent agent(ReplicaConfig(), db, store, killer, fs, clock);
    agent.RunOnce();
    EXPECT_TRUE(db.state.replica.has_value());
    EXPECT_EQ(db.seeded_gtid, present ? "0-100-9" : "");
  }
}

// A garbled drain record (DATA/.mysqlset-drained.json, written at a clean stop) counts for
// nothing: removed, the member published as having received from no one (so it is never
// promoted on its word), and replication goes on as usual.
TEST(AgentBadFilesTest, GarbledDrainRecordIsRemovedAndCountsForNothing) {
  for (const std::string garbled :
       {"", "{", "[]", R"({"leader":"mysql-0","gtid":"0-1","epoch":1})",
        R"({"leader":"mysql-0","gtid":"0-100-1","epoch":"1"})", "{\"leader\":\"\xff\"}"}) {
    SCOPED_TRACE(garbled);
    FakeDb db;
    db.state.uptime_seconds = 1;
    MemFileSystem fs;
    FakeClock clock;
    FakeCoordStore store(&clock);
    NoKill killer;
    LeaderIsMysql0(store);
    ASSERT_TRUE(fs.WriteFileAtomic("/data/.mysqlset-drained.json", garbled, 0644).ok());
    Agent agent(ReplicaConfig(), db, store, killer, fs, clock);
    agent.RunOnce();
    EXPECT_FALSE(fs.Exists("/data/.mysqlset-drained.json"));
    EXPECT_TRUE(db.state.replica.has_value()) << "replication configured as usual";
    auto member = store.Get(formats::StoreKeys("mysql").Member("mysql-1"));
    ASSERT_TRUE(member.ok() && *member);
    auto record = formats::FromJson<formats::MemberRecord>((*member)->value);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->received_from, "");
  }
}

// Regression (issue #8): /v1/status threw (nlohmann type_error 316, an HTTP 500) when a
// text from outside — a MariaDB replication error, an unreachable reason — held bytes that
// are not UTF-8; peers then took the member for down.
TEST(AgentBadFilesTest, StatusJsonWithInvalidUtf8FromMariadbStillSerialises) {
  AgentConfig config = ReplicaConfig();
  AgentSnapshot snap;
  snap.readiness.ready = false;
  snap.readiness.reasons = {"replication SQL error 1062: Duplicate entry '\xff\xfe' for key"};
  snap.last_error = "connect: \xc3";
  ReplicaStatus r;
  r.last_sql_errno = 1062;
  r.last_sql_error = "Duplicate entry '\xff\xfe' for key 'PRIMARY'";
  snap.state.replica = r;
  std::string text;
  ASSERT_NO_THROW(text = StatusJsonText(config, snap, BackupStats{}, 1.0));
  const auto j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(j.is_object()) << text;
  EXPECT_EQ(j["ready"], false);
  EXPECT_NE(j["replication"]["last_sql_error"].get<std::string>().find("Duplicate entry"),
            std::string::npos);
}

}  // namespace
}  // namespace mysqlset
