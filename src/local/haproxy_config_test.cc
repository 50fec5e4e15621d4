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

TEST(HaproxyConfig, ReadBackendListsEveryMemberWritesOnlyThePrimary) {
  ClusterSpec spec{.name = "db", .replicas = 5, .base_port = 20006};
  const std::string got = RenderHaproxyConfig(spec, 5, "/s");
  EXPECT_NE(got.find("bind 127.0.0.1:20000\n"), std::string::npos);
  EXPECT_NE(got.find("bind 127.0.0.1:20001\n"), std::string::npos);
  EXPECT_NE(got.find("server db-4 127.0.0.1:20046 check port 20047\n"), std::string::npos);
  // db-0 appears once in the primary backend and once in the read backend.
  size_t count = 0;
  for (size_t p = got.find("server db-0 "); p != std::string::npos;
       p = got.find("server db-0 ", p + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(got.find("server db-1 "), got.rfind("server db-1 "));
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
