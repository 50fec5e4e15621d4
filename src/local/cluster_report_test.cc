#include "local/cluster_report.h"

#include <gtest/gtest.h>

#include "local/backup_report.h"
#include "nlohmann/json.hpp"

namespace mysqlset::local {
namespace {

// An agent's /v1/status as the CLI uses it.
formats::AgentStatus Agent(std::string role, bool ready, uint32_t server_id, std::string gtid,
                           std::optional<double> lag, std::vector<std::string> reasons) {
  formats::AgentStatus a;
  a.role = std::move(role);
  a.ready = ready;
  a.server_id = server_id;
  a.gtid_current = std::move(gtid);
  a.lag_seconds = lag;
  a.reasons = std::move(reasons);
  return a;
}

MemberReport ReadyPrimary() {
  MemberReport up;
  up.ordinal = 0;
  up.agent = Agent("primary", true, 100, "0-100-7", 0.0, {});
  return up;
}

// `n` members whose agents report a ready replica at `gtid`, seen in `epoch`.
std::vector<MemberReport> ReadyReplicas(uint32_t n, const char* gtid, uint64_t epoch = 0) {
  std::vector<MemberReport> ms(n);
  for (uint32_t i = 0; i < n; ++i) {
    ms[i].ordinal = i;
    ms[i].agent = Agent("replica", true, 100 + i, gtid, 0.0, {});
    ms[i].epoch = epoch;
  }
  return ms;
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
  EXPECT_EQ(j["primary"], "mysql-0");
  EXPECT_TRUE(j["epoch"].is_null());  // the agent reported none
  const auto& m1 = j["members"][1];
  EXPECT_TRUE(m1["role"].is_null());  // its agent did not answer: unknown
  EXPECT_EQ(m1["ready"], false);
  EXPECT_TRUE(m1["lag_seconds"].is_null());
  EXPECT_EQ(m1["state"], "down");
  EXPECT_EQ(j["endpoints"]["primary"], "127.0.0.1:13300");
  EXPECT_EQ(j["endpoints"]["read"], "127.0.0.1:13301");
}

TEST(RenderStatusTable, ShowsDownMembers) {
  ClusterSpec spec{"mysql", 2, 13306};
  MemberReport up;
  up.agent = Agent("primary", true, 100, "0-100-7", 0.0, {});
  MemberReport down;
  down.ordinal = 1;
  const std::string t = RenderStatusTable(spec, {up, down}, true);
  EXPECT_NE(t.find("mysql-0      primary  yes    0-100-7"), std::string::npos) << t;
  EXPECT_NE(t.find("mysql-1      -        down"), std::string::npos) << t;
  EXPECT_NE(t.find("\nprimary mysql-0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("127.0.0.1:13316"), std::string::npos);
}

// The primary is whoever its agent says holds the role, at any ordinal; mid-hand-over, the
// highest epoch wins.
TEST(RenderStatus, PrimaryAndEpochComeFromTheAgents) {
  ClusterSpec spec{"mysql", 3, 13306};
  std::vector<MemberReport> ms = ReadyReplicas(3, "0-102-9", 4);
  ms[2].agent->role = "primary";
  auto j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_EQ(j["primary"], "mysql-2");
  EXPECT_EQ(j["epoch"], 4);
  EXPECT_EQ(j["members"][0]["role"], "replica");
  EXPECT_EQ(j["members"][2]["role"], "primary");
  EXPECT_NE(RenderStatusTable(spec, ms, true).find("\nprimary mysql-2 (epoch 4)\n"),
            std::string::npos);
  ms[0].agent->role = "primary";  // the old primary has not seen the hand-over yet
  ms[0].epoch = 3;
  j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_EQ(j["primary"], "mysql-2");
  for (auto& m : ms) m.agent->role = "replica";
  j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_TRUE(j["primary"].is_null());
  EXPECT_NE(RenderStatusTable(spec, ms, true).find("\nprimary: none reported (epoch 4)\n"),
            std::string::npos);
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
  auto p = formats::FromJson<CloneProgress>(
      R"({"donor":"mysql-1","bytes":524288000,"estimated_bytes":1048576000,)"
      R"("rate_bytes_per_s":26214400,"eta_seconds":20,"phase":"copy"})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(RenderCloneProgress(*p, 10),
            "[#####-----]  50%  500.0 MiB of 1000.0 MiB  25.0 MiB/s  ETA 20s  from mysql-1 (copy)");
  CloneProgress unknown;
  unknown.bytes = 2048;
  EXPECT_EQ(RenderCloneProgress(unknown), "2.0 KiB received");
}

TEST(RenderMemberLine, ShowsStepProgressAndError) {
  SupervisedMember m;
  m.name = "mysql-1";
  m.step = MemberStep::kFailed;
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
  looping.agent = Agent("replica", false, 101, "", std::nullopt, {"mysqld is not answering"});
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

// A full data volume makes mariadbd wait, and the member then only looks unreachable: status
// says why, under the member, in both forms; a volume with room says nothing.
TEST(RenderStatus, ShowsANearlyFullDataVolume) {
  ClusterSpec spec{"mysql", 2, 13306};
  std::vector<MemberReport> ms = ReadyReplicas(2, "0-101-9");
  ms[0].agent->data_volume = VolumeSpace{uint64_t{600} << 20, uint64_t{1} << 30};
  ms[1].agent->data_volume = VolumeSpace{4096, uint64_t{1} << 30};
  const std::string t = RenderStatusTable(spec, ms, true);
  EXPECT_NE(t.find("\n             data volume full: 4.0 KiB free of 1.0 GiB (mariadbd waits"),
            std::string::npos)
      << t;
  EXPECT_EQ(t.find("data volume nearly full"), std::string::npos) << t;
  auto j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_EQ(j["members"][0]["data_volume"]["free_bytes"], 600u << 20);
  EXPECT_EQ(j["members"][0]["data_volume"]["warning"], "");
  EXPECT_EQ(j["members"][1]["data_volume"]["total_bytes"], 1u << 30);
  EXPECT_TRUE(
      j["members"][1]["data_volume"]["warning"].get<std::string>().starts_with("data volume full"));
  ms[0].agent->data_volume.reset();  // an older agent
  j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_TRUE(j["members"][0]["data_volume"].is_null());
}

// Issue 13: the sync replica, errant GTIDs, stale reads and the last failover, in both forms.
TEST(RenderStatus, ShowsSyncErrantStaleReadsAndTheLastFailover) {
  ClusterSpec spec{"mysql", 3, 13306};
  std::vector<MemberReport> ms = ReadyReplicas(3, "0-101-9", 5);
  ms[1].agent->role = "primary";
  ms[1].agent->sync = "mysql-2";
  ms[0].agent->sync = "mysql-0";  // an older view: the primary's wins
  ms[0].agent->errant_gtids = "0-100-12,7-100-1";
  ms[2].agent->stale_reads =
      "serving possibly stale reads: primary unreachable for 4 s (limit 30 s)";
  // 2026-11-30T07:00:00.250Z
  ms[2].agent->last_epoch =
      formats::AgentStatus::Epoch{5, "mysql-1", "mysql-0", "failover", 1796022000250};
  ms[0].agent->last_epoch = formats::AgentStatus::Epoch{4, "mysql-0", "", "election", 1};
  auto j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_EQ(j["members"][0]["sync"], false);
  EXPECT_EQ(j["members"][1]["sync"], false);
  EXPECT_EQ(j["members"][2]["sync"], true);
  EXPECT_EQ(j["members"][0]["errant_gtids"], "0-100-12,7-100-1");
  EXPECT_EQ(j["members"][1]["errant_gtids"], "");
  EXPECT_EQ(j["members"][2]["stale_reads"], ms[2].agent->stale_reads);
  EXPECT_EQ(j["epoch"], 5);
  EXPECT_EQ(j["last_failover"], nlohmann::json({{"epoch", 5},
                                                {"time", "2026-11-30T07:00:00.250Z"},
                                                {"from", "mysql-0"},
                                                {"to", "mysql-1"},
                                                {"reason", "failover"}}));
  const std::string t = RenderStatusTable(spec, ms, true);
  EXPECT_NE(t.find("\nsync replica mysql-2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\nlast failover: epoch 5 at 2026-11-30T07:00:00.250Z, mysql-0 -> mysql-1 "
                   "(failover)\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("errant GTIDs (the primary never had them): 0-100-12,7-100-1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  serving possibly stale reads: primary unreachable for 4 s (limit 30 s)\n"),
            std::string::npos)
      << t;

  // A switchover since: no failover is the last epoch's. No agent names a sync replica.
  ms[2].agent->last_epoch->epoch = 6;
  ms[2].agent->last_epoch->reason = "switchover";
  for (auto& m : ms) m.agent->sync.clear();
  j = nlohmann::json::parse(RenderStatusJson(spec, ms, true));
  EXPECT_TRUE(j["last_failover"].is_null());
  for (const auto& m : j["members"]) EXPECT_EQ(m["sync"], false);
  EXPECT_EQ(RenderStatusTable(spec, ms, true).find("sync replica"), std::string::npos);
}

// Issue 15: the cluster's backups in `status` (local/backup_report.h); "backups" is null
// without a repository or schedule, and the table gains its lines only then.
TEST(RenderStatus, CarriesTheBackupReport) {
  ClusterSpec spec{"mysql", 1, 13306};
  const MemberReport up = ReadyPrimary();
  auto j = nlohmann::json::parse(RenderStatusJson(spec, {up}, true));
  ASSERT_TRUE(j.contains("backups"));
  EXPECT_TRUE(j["backups"].is_null());
  spec.archive_repo = "/srv/b";
  const BackupReport r = ReportBackups(spec, {up}, std::nullopt, 1'800'000'000);
  j = nlohmann::json::parse(RenderStatusJson(spec, {up}, true, "", &r));
  EXPECT_EQ(j["backups"]["repo"], "/srv/b");
  EXPECT_TRUE(j["backups"]["last_backup"].is_null());
  const std::string table = RenderStatusTable(spec, {up}, true, "", &r);
  EXPECT_NE(table.find("read endpoint   127.0.0.1:13301\nbinlog archive: on, into /srv/b; "),
            std::string::npos)
      << table;
  EXPECT_EQ(RenderStatusTable(spec, {up}, true).find("binlog archive"), std::string::npos);
}

}  // namespace
}  // namespace mysqlset::local
