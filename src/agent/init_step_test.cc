#include "agent/init_step.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

constexpr const char* kServerCnf = "# every member\n[mariadbd]\nread_only=ON\n";

class InitStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.WriteFileAtomic("/cm/mysqlset.cnf", kServerCnf, 0644).ok());
    options_.config_map_dir = "/cm";
    options_.paths.conf_dir = "/conf";
    options_.paths.data_dir = "/data";
  }
  Result<MemberIdentity> Run(const std::string& pod) {
    options_.pod_name = pod;
    return RunInit(fs_, options_);
  }
  MemFileSystem fs_;
  InitOptions options_;
};

TEST_F(InitStepTest, MemberGetsServerIdAndMysqlsetCnf) {
  ASSERT_TRUE(Run("mysql-2").ok());
  const std::string server_id = *fs_.ReadFile("/conf/server-id.cnf");
  EXPECT_NE(server_id.find("server-id=102\n"), std::string::npos);
  EXPECT_NE(server_id.find("report_host=mysql-2.mysql\n"), std::string::npos);
  EXPECT_EQ(*fs_.ReadFile("/conf/mysqlset.cnf"), kServerCnf);
  EXPECT_NE(fs_.ReadFile("/conf/my.cnf")->find("!include /conf/mysqlset.cnf"), std::string::npos);
}

TEST_F(InitStepTest, OrdinalZeroGetsTheSameFileAndDropsOldRoleFiles) {
  ASSERT_TRUE(fs_.WriteFileAtomic("/conf/replica.cnf", "stale", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/conf/primary.cnf", "stale", 0644).ok());
  ASSERT_TRUE(Run("mysql-0").ok());
  EXPECT_EQ(*fs_.ReadFile("/conf/mysqlset.cnf"), kServerCnf);
  EXPECT_FALSE(fs_.Exists("/conf/replica.cnf"));
  EXPECT_FALSE(fs_.Exists("/conf/primary.cnf"));
}

TEST_F(InitStepTest, RunningTwiceGivesIdenticalFiles) {
  ASSERT_TRUE(Run("mysql-1").ok());
  const auto first = fs_.files();
  ASSERT_TRUE(Run("mysql-1").ok());
  EXPECT_EQ(fs_.files(), first);
}

TEST_F(InitStepTest, OffsetFlagAndReportHostOverride) {
  options_.server_id_offset = 1000;
  options_.report_host = "127.0.0.1";
  ASSERT_TRUE(Run("db-3").ok());
  const std::string server_id = *fs_.ReadFile("/conf/server-id.cnf");
  EXPECT_NE(server_id.find("server-id=1003\n"), std::string::npos);
  EXPECT_NE(server_id.find("report_host=127.0.0.1\n"), std::string::npos);
}

TEST_F(InitStepTest, BadInputWritesNothing) {
  const size_t writes = fs_.writes();
  for (const char* pod : {"mysql", "db-x", "mysql-01", "mysql-99999999999"}) {
    auto r = Run(pod);
    EXPECT_FALSE(r.ok()) << pod;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << pod;
  }
  options_.server_id_offset = 4294967295ULL;
  EXPECT_FALSE(Run("mysql-1").ok());
  EXPECT_EQ(fs_.writes(), writes);
  EXPECT_FALSE(fs_.Exists("/conf"));
}

TEST_F(InitStepTest, MissingOrGarbledConfigMapWritesNothing) {
  const size_t writes = fs_.writes();
  ASSERT_TRUE(fs_.RemoveAll("/cm/mysqlset.cnf").ok());
  auto missing = Run("mysql-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/cm/mysqlset.cnf"), std::string::npos);
  for (const char* garbled :
       {"", "   \n", "log-bin=x\n[mariadbd]\n", "[mariadbd\nx=1\n", "[client]\nuser=x\n",
        "[mariadbd]\n\x01\x02garbage\n", "[mariadbd]\n=oops\n", "[mariadbd]\n!exec rm -rf /\n"}) {
    ASSERT_TRUE(fs_.WriteFileAtomic("/cm/mysqlset.cnf", garbled, 0644).ok());
    auto r = Run("mysql-1");
    EXPECT_FALSE(r.ok()) << "accepted: " << garbled;
    EXPECT_FALSE(fs_.Exists("/conf/my.cnf"));
  }
  EXPECT_EQ(fs_.writes(), writes + 8);  // only the test's own writes of the config map
}

}  // namespace
}  // namespace mysqlset
