// Issue 15's schedules and backup status on real servers, through the real CLI and the real
// cron path: `up --repo R --backup-schedule '* * * * *'` makes the supervisor run `mysqlset
// backup` at the next minute; the backup is published and listed, and `status` shows the
// schedule's counts, the archiving member, the archive's newest close and the newest backup.
// A schedule cron here does not take is refused with one line naming the field. With
// --keep-last 1, the next run's retention leaves only the newer backup. A later `up --repo R`
// alone keeps the stored interval, schedule and retention.

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
  // Until `status --json`'s backups.schedule.COUNTER is at least `n`; `status` holds the last.
  bool WaitForScheduleCount(nlohmann::json& status, const char* counter, int n, double seconds) {
    return WaitFor(
        [&] {
          status = Json({"status", "--dir", dir_, "--json"});
          const auto& s = status["backups"]["schedule"];
          return s.is_object() && s[counter].is_number() && s[counter] >= n;
        },
        seconds);
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_;
};

TEST_F(BackupScheduleTest, EveryMinuteSchedulePublishesPrunesAndStatusShowsIt) {
  // Refused before anything is written: one line naming the field.
  Outcome o = Cli({"up", "--dir", dir_, "--base-port", std::to_string(base_), "--repo", repo_,
                   "--backup-schedule", "0 3 * * MON"});
  EXPECT_EQ(o.exit_code, 2) << o.output;  // bad input
  EXPECT_EQ(Lines(o.output).size(), 1u) << o.output;
  EXPECT_NE(o.output.find("--backup-schedule: field 5 (day of week) 'MON'"), std::string::npos)
      << o.output;
  EXPECT_FALSE(fs::exists(dir_));
  o = Cli({"up", "--dir", dir_, "--base-port", std::to_string(base_), "--backup-schedule",
           "* * * * *"});
  EXPECT_EQ(o.exit_code, 2) << o.output;
  EXPECT_NE(o.output.find("--backup-schedule needs --repo R"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(dir_));

  o = Cli({"up", "--dir", dir_, "--replicas", "1", "--base-port", std::to_string(base_), "--repo",
           repo_, "--archive-interval", "1", "--backup-schedule", "* * * * *", "--keep-last", "1"},
          300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  o = Cli({"sql", "--dir", dir_, "-e",
           "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); INSERT INTO t.x VALUES (1)"});
  ASSERT_EQ(o.exit_code, 0) << o.output;

  // The primary's agent archives the writes within seconds (--archive-interval 1), and its
  // /v1/status says when the newest archived binlog closed.
  nlohmann::json status;
  ASSERT_TRUE(WaitFor(
      [&] {
        status = Json({"status", "--dir", dir_, "--json"});
        return status["backups"]["archive_last_closed"].is_string();
      },
      30))
      << status.dump();

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

  ASSERT_TRUE(WaitForScheduleCount(status, "succeeded", 1, 30)) << status.dump();
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
  EXPECT_NE(o.output.find("backup retention: --keep-last 1 after each successful run"),
            std::string::npos)
      << o.output;

  // Retention after the next run: --keep-last 1 leaves only the newer backup.
  const std::string first = listed[0]["id"];
  // The prune after the first run found nothing to prune; the one after the second did.
  ASSERT_TRUE(WaitForScheduleCount(status, "prunes_succeeded", 2, 100)) << status.dump();
  EXPECT_EQ(status["backups"]["schedule"]["prunes_failed"], 0) << status.dump();
  listed = Json({"backups", "--repo", repo_, "--json"});
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_NE(listed[0]["id"], first) << listed.dump();
  EXPECT_NE(ReadAll(dir_ + "/backup-schedule.log").find("pruned " + first), std::string::npos)
      << ReadAll(dir_ + "/backup-schedule.log");

  // A later `up --repo R` alone changes nothing: the flags it was not given keep their
  // stored values (the interval used to fall back to 30 s).
  o = Cli({"up", "--dir", dir_, "--repo", repo_}, 120);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_EQ(o.output.find("are saved"), std::string::npos) << o.output;
  const auto spec = nlohmann::json::parse(ReadAll(dir_ + "/cluster.json"));
  EXPECT_EQ(spec["archive_interval_s"], 1) << spec.dump();
  EXPECT_EQ(spec["backup_schedule"], "* * * * *") << spec.dump();
  EXPECT_EQ(spec["backup_keep_last"], 1) << spec.dump();
  // An interval for a cluster with no repository would be saved and do nothing: refused.
  o = Cli({"up", "--dir", tmp_.path() + "/other", "--archive-interval", "5"});
  EXPECT_EQ(o.exit_code, 2) << o.output;
  EXPECT_NE(o.output.find("--archive-interval needs --repo R"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(tmp_.path() + "/other"));
}

}  // namespace
}  // namespace mysqlset::testing
