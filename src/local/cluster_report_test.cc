#include "local/cluster_report.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace mysqlset::local {
namespace {

TEST(ParseAgentStatus, ReadsTheContractFields) {
  auto a = ParseAgentStatus(
      R"({"pod":"mysql-1","ordinal":1,"role":"replica","ready":false,"reasons":["lag 12s"],)"
      R"("server_id":101,"gtid_current":"0-100-7","lag_seconds":12})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, "replica");
  EXPECT_FALSE(a->ready);
  EXPECT_EQ(a->server_id, 101u);
  EXPECT_EQ(a->gtid, "0-100-7");
  ASSERT_TRUE(a->lag_seconds);
  EXPECT_EQ(*a->lag_seconds, 12);
  EXPECT_EQ(a->reasons, std::vector<std::string>{"lag 12s"});
  auto b = ParseAgentStatus(R"({"role":"primary","ready":true,"lag_seconds":null})");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->lag_seconds);
  EXPECT_FALSE(ParseAgentStatus("not json").ok());
}

MemberReport ReadyPrimary() {
  MemberReport up;
  up.ordinal = 0;
  up.agent = AgentStatus{"primary", true, 100, "0-100-7", 0.0, {}};
  return up;
}

TEST(RenderStatusJson, FollowsTheDesignSchema) {
  ClusterSpec spec{"mysql", 2, 13306};
  const MemberReport up = ReadyPrimary();
  MemberReport down;
  down.ordinal = 1;
  const auto j = nlohmann::json::parse(RenderStatusJson(spec, {up, down}, true));
  EXPECT_EQ(j["name"], "mysql");
  ASSERT_EQ(j["members"].size(), 2u);
  const auto& m0 = j["members"][0];
  EXPECT_EQ(m0["name"], "mysql-0");
  EXPECT_EQ(m0["ordinal"], 0);
  EXPECT_EQ(m0["role"], "primary");
  EXPECT_EQ(m0["ready"], true);
  EXPECT_EQ(m0["host"], "127.0.0.1");
  EXPECT_EQ(m0["port"], 13306);
  EXPECT_EQ(m0["server_id"], 100);
  EXPECT_EQ(m0["gtid"], "0-100-7");
  EXPECT_EQ(m0["lag_seconds"], 0);
  EXPECT_EQ(m0["agent"], "http://127.0.0.1:13307");
  EXPECT_EQ(m0["backup"], "127.0.0.1:13308");
  const auto& m1 = j["members"][1];
  EXPECT_EQ(m1["role"], "replica");
  EXPECT_EQ(m1["ready"], false);
  EXPECT_TRUE(m1["lag_seconds"].is_null());
  EXPECT_EQ(m1["state"], "down");
  EXPECT_EQ(j["endpoints"]["primary"], "127.0.0.1:13300");
  EXPECT_EQ(j["endpoints"]["read"], "127.0.0.1:13301");
}

TEST(RenderStatusTable, ShowsDownMembers) {
  ClusterSpec spec{"mysql", 2, 13306};
  MemberReport up;
  up.agent = AgentStatus{"primary", true, 100, "0-100-7", 0.0, {}};
  MemberReport down;
  down.ordinal = 1;
  const std::string t = RenderStatusTable(spec, {up, down}, true);
  EXPECT_NE(t.find("mysql-0      primary  yes    0-100-7"), std::string::npos) << t;
  EXPECT_NE(t.find("mysql-1      replica  down"), std::string::npos) << t;
  EXPECT_NE(t.find("127.0.0.1:13316"), std::string::npos);
}

// Issue 18 finding 4: datadirs mysqlset set aside are listed with their size, in both forms.
TEST(RenderStatus, ListsKeptDatadirsWithTheirSize) {
  ClusterSpec spec{"mysql", 2, 13306};
  MemberReport m0;
  m0.kept_datadirs = {{"/c/members/mysql-0/data/mysql.discarded.20261129T214500Z", 3u << 20,
                       "2026-11-29T21:45:00Z"},
                      {"/c/members/mysql-0/data/mysql.discarded", 1024, ""}};
  MemberReport m1;
  m1.ordinal = 1;
  const auto j = nlohmann::json::parse(RenderStatusJson(spec, {m0, m1}, true));
  const auto& kept = j["members"][0]["kept_datadirs"];
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0]["path"], "/c/members/mysql-0/data/mysql.discarded.20261129T214500Z");
  EXPECT_EQ(kept[0]["bytes"], 3u << 20);
  EXPECT_EQ(kept[0]["kept_at"], "2026-11-29T21:45:00Z");
  EXPECT_EQ(kept[1]["kept_at"], "");
  EXPECT_TRUE(j["members"][1]["kept_datadirs"].is_array());
  EXPECT_TRUE(j["members"][1]["kept_datadirs"].empty());
  const std::string t = RenderStatusTable(spec, {m0, m1}, true);
  EXPECT_NE(t.find("kept datadir: /c/members/mysql-0/data/mysql.discarded.20261129T214500Z (" +
                   HumanBytes(3u << 20) + ", kept 2026-11-29T21:45:00Z)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("kept datadir: /c/members/mysql-0/data/mysql.discarded ("), std::string::npos)
      << t;
}

TEST(CloneProgress, ParsesAndRendersABar) {
  auto p = ParseCloneProgress(
      R"({"donor":"mysql-1","bytes":524288000,"estimated_bytes":1048576000,)"
      R"("rate_bytes_per_s":26214400,"eta_seconds":20,"phase":"copy"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(RenderCloneProgress(*p, 10),
            "[#####-----]  50%  500.0 MiB of 1000.0 MiB  25.0 MiB/s  ETA 20s  from mysql-1 (copy)");
  CloneProgress unknown;
  unknown.bytes = 2048;
  EXPECT_EQ(RenderCloneProgress(unknown), "2.0 KiB received");
}

TEST(SupervisorState, JsonRoundTrip) {
  SupervisorState s;
  s.pid = 42;
  s.spec = {"mysql", 2, 13306};
  s.converged = true;
  SupervisedMember m;
  m.name = "mysql-1";
  m.ordinal = 1;
  m.step = "clone";
  m.mariadbd_pid = 7;
  m.error = "boom";
  m.read_endpoint = "DOWN";
  s.members.push_back(m);
  auto back = StateFromJson(StateToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pid, 42);
  EXPECT_TRUE(back->converged);
  ASSERT_EQ(back->members.size(), 1u);
  EXPECT_EQ(back->members[0].step, "clone");
  EXPECT_EQ(back->members[0].mariadbd_pid, 7);
  EXPECT_EQ(back->members[0].error, "boom");
  EXPECT_EQ(back->members[0].read_endpoint, "DOWN");
}

TEST(RenderMemberLine, ShowsStepProgressAndError) {
  SupervisedMember m;
  m.name = "mysql-1";
  m.step = "failed";
  m.error = "mysql-1: clone failed (exit 1); see /d/logs/clone.log";
  EXPECT_EQ(RenderMemberLine(m, std::nullopt),
            "  mysql-1      failed    mysql-1: clone failed (exit 1); see /d/logs/clone.log");
}

TEST(LastErrorMessage, TakesTheLastCommandErrorLine) {
  EXPECT_EQ(LastErrorMessage(""), "");
  EXPECT_EQ(LastErrorMessage("2026-11-24 info [clone] starting\n"), "");
  EXPECT_EQ(LastErrorMessage("2026-11-24 info [clone] x\n"
                             "mysqlset clone: error: first\n"
                             "mysqlset clone: error: mysql-0 has no data: restore it\n"
                             "2026-11-24 warn [clone] a log line with: error: inside\n"),
            "mysql-0 has no data: restore it");
  EXPECT_EQ(LastErrorMessage("mysqlset init: error: bad name"), "bad name");
}

TEST(LastServerError, TakesTheLastReasonNotAborting) {
  struct Case {
    const char* log;
    const char* want;
  };
  const Case cases[] = {
      {"", ""},
      {"2026-11-29 21:00:00 0 [Note] Starting MariaDB\n", ""},
      {"2026-11-29 21:00:00 0 [ERROR] mariadbd: unknown variable 'no-such-option=1'\n"
       "2026-11-29 21:00:00 0 [ERROR] Aborting\n",
       "mariadbd: unknown variable 'no-such-option=1'"},
      {"0 [ERROR] first\n0 [Warning] w\n0 [ERROR] second\n0 [ERROR] Aborting", "second"},
  };
  for (const auto& c : cases) EXPECT_EQ(LastServerError(c.log), c.want) << c.log;
}

TEST(CrashLoopMessage, NamesCountReasonAndLog) {
  EXPECT_EQ(CrashLoopMessage("mysql-1", "mariadbd", 4, "exit 7", "unknown variable 'x=1'",
                             "/d/members/mysql-1/logs/mariadbd.log"),
            "mysql-1: mariadbd keeps exiting (4 restarts, last exit 7): unknown variable 'x=1'; "
            "see /d/members/mysql-1/logs/mariadbd.log");
  EXPECT_EQ(CrashLoopMessage("mysql-0", "agent", 3, "signal 9", "", "/d/agent.log"),
            "mysql-0: agent keeps exiting (3 restarts, last signal 9); see /d/agent.log");
}

TEST(RenderStatusTable, ShowsTheSupervisorWarningFirstAndMemberErrors) {
  ClusterSpec spec{"mysql", 2, 13306};
  const MemberReport up = ReadyPrimary();
  MemberReport looping;
  looping.ordinal = 1;
  looping.agent = AgentStatus{"replica", false, 101, "", std::nullopt, {"mysqld is not answering"}};
  looping.error = "mysql-1: mariadbd keeps exiting (3 restarts, last exit 1); see /d/m.log";
  const std::string warning = "supervisor pid 7 is not responding (last heartbeat 12 s ago)";
  const std::string table = RenderStatusTable(spec, {up, looping}, true, warning);
  EXPECT_EQ(table.find(warning + "\n"), 0u) << table;
  EXPECT_NE(table.find("not ready: mysqld is not answering\n"), std::string::npos) << table;
  EXPECT_NE(table.find(looping.error + "\n"), std::string::npos) << table;
  const auto j = nlohmann::json::parse(RenderStatusJson(spec, {up, looping}, true, warning));
  EXPECT_EQ(j["supervisor_responding"], false);
  EXPECT_EQ(j["supervisor_warning"], warning);
  EXPECT_EQ(j["members"][1]["error"], looping.error);
  EXPECT_EQ(nlohmann::json::parse(RenderStatusJson(spec, {up}, true))["supervisor_responding"],
            true);
}

TEST(StateJson, KeepsHeartbeatAndObservationTimes) {
  SupervisorState s;
  s.pid = 7;
  s.heartbeat_ms = 1'800'000'000'123;
  s.observed_ms = 1'800'000'000'001;
  auto back = StateFromJson(StateToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->heartbeat_ms, s.heartbeat_ms);
  EXPECT_EQ(back->observed_ms, s.observed_ms);
  // A state file without them (an older supervisor) reads as "no heartbeat".
  auto old =
      StateFromJson(R"({"pid":7,"name":"mysql","replicas":1,"base_port":13306,"members":[]})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->heartbeat_ms, 0);
}

}  // namespace
}  // namespace mysqlset::local
