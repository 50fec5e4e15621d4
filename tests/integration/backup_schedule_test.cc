// Issue 15's schedules and backup status on real servers, through the real CLI and the real
// cron path: `up --repo R --backup-schedule '* * * * *'` makes the supervisor run `mysqlset
// backup` at the next minute; the backup is published and listed, and `status` shows the
// schedule's counts, the archiving member, the archive's newest close and the newest backup.
// A schedule cron here does not take is refused with one line naming the field.

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

class BackupScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeClusterBasePort(1);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    repo_ = tmp_.path() + "/repo";
  }
  void TearDown() override {
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_});
    if (HasFailure()) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n--- backup-schedule.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str(),
                   ReadAll(dir_ + "/backup-schedule.log").c_str());
    }
  }
  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }
  nlohmann::json Json(std::vector<std::string> args) {
    const Outcome o = Cli(std::move(args));
    EXPECT_EQ(o.exit_code, 0) << o.output;
    return nlohmann::json::parse(o.output, nullptr, false);
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_;
};

TEST_F(BackupScheduleTest, EveryMinuteSchedulePublishesABackupAndStatusShowsIt) {
  // Refused before anything is written: one line naming the field.
  Outcome o = Cli({"up", "--dir", dir_, "--base-port", std::to_string(base_), "--repo", repo_,
                   "--backup-schedule", "0 3 * * MON"});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_EQ(Lines(o.output).size(), 1u) << o.output;
  EXPECT_NE(o.output.find("--backup-schedule: field 5 (day of week) 'MON'"), std::string::npos)
      << o.output;
  EXPECT_FALSE(fs::exists(dir_));
  o = Cli({"up", "--dir", dir_, "--base-port", std::to_string(base_), "--backup-schedule",
           "* * * * *"});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("--backup-schedule needs --repo R"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(dir_));

  o = Cli({"up", "--dir", dir_, "--replicas", "1", "--base-port", std::to_string(base_), "--repo",
           repo_, "--archive-interval", "1", "--backup-schedule", "* * * * *"},
          300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  o = Cli({"sql", "--dir", dir_, "-e",
           "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); INSERT INTO t.x VALUES (1)"});
  ASSERT_EQ(o.exit_code, 0) << o.output;

  // The first run starts at the next whole minute (UTC), so within 60 s plus the backup.
  nlohmann::json listed;
  ASSERT_TRUE(WaitFor(
      [&] {
        listed = Json({"backups", "--repo", repo_, "--json"});
        return listed.is_array() && !listed.empty();
      },
      150))
      << "no scheduled backup was published";
  EXPECT_EQ(listed[0]["source_member"], "mysql-0") << listed.dump();

  nlohmann::json status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = Json({"status", "--dir", dir_, "--json"});
        const auto& s = status["backups"]["schedule"];
        return s.is_object() && s["succeeded"].is_number() && s["succeeded"] >= 1;
      },
      30))
      << status.dump();
  const auto& b = status["backups"];
  EXPECT_EQ(b["schedule"]["schedule"], "* * * * *");
  EXPECT_EQ(b["schedule"]["failed"], 0) << b.dump();
  EXPECT_TRUE(b["schedule"]["last_success"].is_string()) << b.dump();
  EXPECT_TRUE(b["schedule"]["next_run"].is_string()) << b.dump();
  EXPECT_EQ(b["repo"], repo_);
  EXPECT_EQ(b["archiving"], true);
  EXPECT_EQ(b["archiver"], "mysql-0") << b.dump();
  EXPECT_TRUE(b["archive_last_closed"].is_string()) << b.dump();
  EXPECT_TRUE(b["archive_lag_seconds"].is_number()) << b.dump();
  EXPECT_EQ(b["archive_gap"], "") << b.dump();

  // The agents read the catalog once a minute: the newest backup shows within that.
  ASSERT_TRUE(WaitFor(
      [&] {
        status = Json({"status", "--dir", dir_, "--json"});
        return status["backups"]["last_backup"].is_string();
      },
      75))
      << status.dump();
  EXPECT_EQ(status["backups"]["catalog_read"], true);
  EXPECT_TRUE(status["backups"]["last_verified_backup"].is_null()) << status.dump();

  o = Cli({"status", "--dir", dir_});
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("binlog archive: on, into " + repo_ +
                          "; mysql-0 archives; newest "
                          "archived binlog closed "),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("backups: newest "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("backup schedule: '* * * * *' UTC"), std::string::npos) << o.output;
  EXPECT_NE(ReadAll(dir_ + "/backup-schedule.log").find("backup"), std::string::npos);
}

}  // namespace
}  // namespace mysqlset::testing
