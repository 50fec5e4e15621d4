// Issue 15's binlog archive and point-in-time restore on real servers, through the real CLI:
// a 2-member cluster archiving into a repository (`up --repo --archive-interval 1`), a backup,
// more writes, a switchover, more writes on the new primary, then DROP TABLE. The archive
// continues across the switchover with no gap (`mysqlset backups`, the agents' /metrics), and
// restores to a GTID
// and to a time between known writes hold exactly the rows committed before the target; a
// target past the archive is refused with one line and nothing created.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

std::string Utc(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A time strictly between two writes: binlog timestamps have whole seconds.
int64_t PauseAndMark() {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const int64_t mark = static_cast<int64_t>(std::time(nullptr)) + 1;
  while (std::time(nullptr) < mark + 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return mark;
}

class PitrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeClusterBasePort(2);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    repo_ = tmp_.path() + "/repo";
  }
  void TearDown() override {
    for (const auto& d : dirs_) {
      if (fs::exists(d + "/cluster.json")) Cli({"down", "--dir", d});
    }
    if (HasFailure()) {
      for (const auto& d : dirs_) {
        std::fprintf(stderr, "--- %s/supervisor.log ---\n%s\n", d.c_str(),
                     ReadAll(d + "/supervisor.log").c_str());
      }
    }
  }
  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }
  std::string Sql(const std::string& dir, const std::string& sql) {
    const Outcome o = Cli({"sql", "--dir", dir, "-e", sql});
    EXPECT_EQ(o.exit_code, 0) << sql << ": " << o.output;
    std::string out = o.output;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') + 1);  // the value under the column header
  }
  // Restores into a new one-member cluster and returns its rows of t.x.
  std::string RestoredRows(const std::string& name, std::vector<std::string> target) {
    const std::string dir = tmp_.path() + "/" + name;
    dirs_.push_back(dir);
    const uint16_t base = FreeClusterBasePort(1);
    EXPECT_NE(base, 0);
    std::vector<std::string> args = {
        "restore", "--repo", repo_, "--dir", dir, "--base-port", std::to_string(base)};
    args.insert(args.end(), target.begin(), target.end());
    const Outcome o = Cli(args, 300);
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_NE(o.output.find("Then replaying"), std::string::npos) << o.output;
    const std::string rows = Sql(dir, "SELECT GROUP_CONCAT(i ORDER BY i) FROM t.x");
    Cli({"down", "--dir", dir});
    return rows;
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_;
  std::vector<std::string> dirs_;
};

TEST_F(PitrTest, ArchiveAcrossASwitchoverAndRestoreToAGtidAndATime) {
  dirs_.push_back(dir_);
  Outcome o = Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port", std::to_string(base_),
                   "--repo", repo_, "--archive-interval", "1"},
                  300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  Sql(dir_, "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); INSERT INTO t.x VALUES (1)");
  o = Cli({"backup", "--dir", dir_, "--repo", repo_}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;

  Sql(dir_, "INSERT INTO t.x VALUES (2)");
  const std::string gtid2 = Sql(dir_, "SELECT @@gtid_binlog_pos");
  Sql(dir_, "INSERT INTO t.x VALUES (3)");

  o = Cli({"switchover", "--dir", dir_, "--to", "mysql-1"}, 120);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Cli({"sql", "--dir", dir_, "-e", "INSERT INTO t.x VALUES (4)"}).exit_code == 0;
      },
      30));
  const int64_t before_drop = PauseAndMark();
  Sql(dir_, "DROP TABLE t.x");
  const std::string last = Sql(dir_, "SELECT @@gtid_binlog_pos");

  // The new primary continues the archive: the window reaches the DROP, with no gap.
  ASSERT_TRUE(WaitFor(
      [&] {
        o = Cli({"backups", "--repo", repo_});
        return o.output.find("GTID " + last + ")") != std::string::npos;
      },
      20))
      << "the archive never reached " << last << ":\n"
      << o.output;
  EXPECT_EQ(o.output.find("Gap:"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("Recoverable: "), std::string::npos) << o.output;
  std::string members;
  for (const auto& e : fs::directory_iterator(repo_ + "/binlogs")) {
    members += e.path().filename().string() + " ";
  }
  const bool from_both = members.find("-mysql-0-") != std::string::npos &&
                         members.find("-mysql-1-") != std::string::npos;
  EXPECT_TRUE(from_both) << "archived binlogs: " << members;

  // The agents' /metrics: the new primary archives, the old one rests.
  auto metrics = [&](int ordinal) {
    return RunCmd({"curl", "-s",
                   "http://127.0.0.1:" + std::to_string(base_ + 10 * ordinal + 1) + "/metrics"},
                  {}, 10)
        .output;
  };
  EXPECT_NE(metrics(1).find("mysqlset_binlog_archive_active{cluster=\"mysql\"} 1"),
            std::string::npos)
      << metrics(1);
  EXPECT_NE(metrics(0).find("mysqlset_binlog_archive_active{cluster=\"mysql\"} 0"),
            std::string::npos)
      << metrics(0);
  EXPECT_NE(metrics(1).find("mysqlset_binlog_archive_gap{cluster=\"mysql\"} 0"), std::string::npos)
      << metrics(1);
  // Every member reads the catalog (at start, then each minute), not only the archiver.
  for (int ordinal : {0, 1}) {
    const std::string m = metrics(ordinal);
    EXPECT_NE(m.find("mysqlset_backup_last_success_timestamp_seconds{cluster=\"mysql\"} "),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("mysqlset_backup_catalog_read_failures_total{cluster=\"mysql\"} 0"),
              std::string::npos)
        << m;
  }

  // A target past the archive: one line naming the window, nothing created.
  const std::string never = tmp_.path() + "/never";
  o = Cli(
      {"restore", "--repo", repo_, "--dir", never, "--to-time", Utc(std::time(nullptr) + 3600)});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("is outside the recoverable window: "), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(never));

  // Exactly the rows committed up to the target, across the switchover.
  EXPECT_EQ(RestoredRows("to-gtid", {"--to-gtid", gtid2}), "1,2");
  EXPECT_EQ(RestoredRows("to-time", {"--to-time", Utc(before_drop)}), "1,2,3,4");
}

}  // namespace
}  // namespace mysqlset::testing
