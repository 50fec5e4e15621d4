#include "local/haproxy_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "testing/golden.h"

namespace mysqlset::local {
namespace {

using ::mysqlset::testing::Golden;

TEST(HaproxyConfig, MatchesGoldenFile) {
  ClusterSpec spec{.name = "mysql", .replicas = 3, .base_port = 13306};
  const std::string got = RenderHaproxyConfig(spec, 3, "/data/c/haproxy.sock");
  if (std::getenv("MYSQLSET_UPDATE_GOLDEN")) {
    std::ofstream(std::string(MYSQLSET_TESTDATA_DIR) + "/haproxy-3.cfg") << got;
  }
  EXPECT_EQ(got, Golden("haproxy-3.cfg"));
}

// The primary is a role (docs/roles.md): both backends list every member, and the agents'
// /primary and /replica answers choose who serves which endpoint. No ordinal is special.
TEST(HaproxyConfig, BothBackendsListEveryMemberCheckedByRole) {
  ClusterSpec spec{.name = "db", .replicas = 5, .base_port = 20006};
  const std::string got = RenderHaproxyConfig(spec, 5, "/s");
  EXPECT_NE(got.find("bind 127.0.0.1:20000\n"), std::string::npos);
  EXPECT_NE(got.find("bind 127.0.0.1:20001\n"), std::string::npos);
  const size_t write = got.find("backend db-primary\n");
  const size_t read = got.find("backend db-read\n");
  ASSERT_NE(write, std::string::npos);
  ASSERT_NE(read, std::string::npos);
  ASSERT_LT(write, read);
  const std::string write_backend = got.substr(write, read - write);
  const std::string read_backend = got.substr(read);
  EXPECT_NE(write_backend.find("option httpchk GET /primary\n"), std::string::npos);
  EXPECT_NE(read_backend.find("option httpchk GET /replica\n"), std::string::npos);
  EXPECT_NE(write_backend.find("inter 500ms"), std::string::npos);
  EXPECT_NE(write_backend.find("rise 1"), std::string::npos);
  for (int i = 0; i < 5; ++i) {
    const std::string line = fmt::format("    server db-{} 127.0.0.1:{} check port {}\n", i,
                                         20006 + 10 * i, 20007 + 10 * i);
    EXPECT_NE(write_backend.find(line), std::string::npos) << line;
    EXPECT_NE(read_backend.find(line), std::string::npos) << line;
  }
  EXPECT_NE(got.find("on-marked-down shutdown-sessions"), std::string::npos);
  EXPECT_EQ(got.find("/readyz"), std::string::npos);
  // Writes only while exactly one member is up in the write backend.
  const size_t frontend = got.find("frontend db-write\n");
  const size_t guard =
      got.find("    tcp-request connection reject unless { nbsrv(db-primary) eq 1 }\n");
  ASSERT_NE(frontend, std::string::npos);
  ASSERT_NE(guard, std::string::npos);
  EXPECT_GT(guard, frontend);
  EXPECT_LT(guard, write);
}

TEST(HaproxyConfig, ShowStatGivesEachServersStatusAndCheckCounters) {
  // Trimmed "show stat" of HAProxy 2.6 (columns up to chkdown and one more).
  const std::string csv =
      "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
      "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,\n"
      "mysql-write,FRONTEND,,,0,1,4096,3,0,0,0,0,0,,,,,OPEN,,,,,,,\n"
      "mysql-primary,mysql-0,0,0,0,1,,3,0,0,,0,,0,0,0,0,UP,1,1,0,2,0,31,\n"
      "mysql-read,mysql-1,0,0,0,1,,3,0,0,,0,,0,0,0,0,DOWN,1,1,0,7,1,2,\n"
      "short,line,1\n";
  const auto stats = ParseHaproxyShowStat(csv);
  ASSERT_EQ(stats.count("mysql-primary/mysql-0"), 1u);
  EXPECT_EQ(stats.at("mysql-primary/mysql-0").status, "UP");
  EXPECT_EQ(stats.at("mysql-primary/mysql-0").failed_checks, 2);
  EXPECT_EQ(stats.at("mysql-primary/mysql-0").went_down, 0);
  EXPECT_EQ(stats.at("mysql-read/mysql-1").status, "DOWN");
  EXPECT_EQ(stats.at("mysql-read/mysql-1").failed_checks, 7);
  EXPECT_EQ(stats.at("mysql-read/mysql-1").went_down, 1);
  EXPECT_EQ(stats.at("mysql-write/FRONTEND").status, "OPEN");
  EXPECT_EQ(stats.count("short/line"), 0u);
  EXPECT_TRUE(ParseHaproxyShowStat("").empty());
}

// A --dir with a space made haproxy read "stats socket /tmp/a with space/haproxy.sock" as
// three words ("unknown keyword 'with'") and the supervisor restarted it for ever.
TEST(HaproxyConfig, StatsSocketPathWithASpaceStaysOneWord) {
  ClusterSpec spec{.name = "mysql", .replicas = 1, .base_port = 13306};
  const std::string got = RenderHaproxyConfig(spec, 1, "/tmp/a with space/$x\\\"/haproxy.sock");
  EXPECT_NE(got.find("    stats socket \"/tmp/a with space/\\$x\\\\\\\"/haproxy.sock\" mode 600"),
            std::string::npos)
      << got;
  EXPECT_EQ(HaproxyQuote("plain"), "\"plain\"");
}

}  // namespace
}  // namespace mysqlset::local
