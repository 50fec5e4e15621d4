// Issue 15's binlog archive and point-in-time restore on real servers, through the real CLI:
// a 2-member cluster archiving into a repository (`up --repo --archive-interval 1`), a backup,
// more writes, a switchover, more writes on the new primary, then DROP TABLE. The archive
// continues across the switchover with no gap (`mysqlset backups`, the agents' /metrics), and
// restores to a GTID
// and to a time between known writes hold exactly the rows committed before the target; a
// target past the archive is refused with one line and nothing created. Retention with a
// second backup prunes the first and the archived binlogs it holds, and a restore past the
// second still replays.
//
// And issue 15's "backup under sysbench write load, then restore and verify"
// (BackupUnderSysbenchWritesRestoresToTheLastWrite, run by ctest as backup_load_test): a
// 2-member archiving cluster takes sysbench oltp_write_only writes through the write endpoint
// while `mysqlset backup` streams from the replica, the load running from before the backup
// starts until after it is published. A restore to the load's last write (the backup, then
// the binlogs archived during and after it) holds exactly the primary's data (CHECKSUM TABLE
// of both sysbench tables), and records the backup as verified (every table opened, the
// GTID checked against the manifest).

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "posix/subprocess.h"
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

// The sequence number of a one-domain GTID position "D-S-N"; 0 when it is not one.
uint64_t SeqOf(const std::string& gtid) {
  const auto dash = gtid.rfind('-');
  if (dash == std::string::npos || gtid.find(',') != std::string::npos) return 0;
  return std::stoull(gtid.substr(dash + 1));
}

// "Backup ID published in ..." (mysqlset backup's output) -> ID.
std::string IdOfBackup(const std::string& output) {
  const auto at = output.find("Backup ");
  const auto end = output.find(" published", at);
  if (at == std::string::npos || end == std::string::npos) return "(no id in: " + output + ")";
  return output.substr(at + 7, end - at - 7);
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
    if (load_) {
      load_->Kill(SIGKILL);
      load_->Wait();
    }
    for (const auto& d : dirs_) {
      if (fs::exists(d + "/cluster.json")) Cli({"down", "--dir", d});
    }
    if (HasFailure()) {
      for (const auto& d : dirs_) {
        std::fprintf(stderr, "--- %s/supervisor.log ---\n%s\n", d.c_str(),
                     ReadAll(d + "/supervisor.log").c_str());
      }
      std::fprintf(stderr, "--- sysbench ---\n%s\n", ReadAll(SysbenchLog()).c_str());
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
  // A 2-member cluster at base_ archiving into repo_ every second.
  void UpArchiving() {
    dirs_.push_back(dir_);
    const Outcome o = Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port",
                           std::to_string(base_), "--repo", repo_, "--archive-interval", "1"},
                          300);
    ASSERT_EQ(o.exit_code, 0) << o.output;
  }
  // Until `mysqlset backups` shows a window reaching `gtid`; `out` holds its last output.
  bool ArchiveReaches(const std::string& gtid, std::string& out) {
    return WaitFor(
        [&] {
          out = Cli({"backups", "--repo", repo_}).output;
          return out.find("GTID " + gtid + ")") != std::string::npos;
        },
        30);
  }
  std::string SysbenchLog() const { return tmp_.path() + "/sysbench.log"; }
  // sysbench through the write endpoint (P-6) as admin (a password on argv: tests only).
  std::vector<std::string> Sysbench(const std::vector<std::string>& extra) {
    std::string password = ReadAll(dir_ + "/secrets/admin-password");
    while (!password.empty() && password.back() == '\n') password.pop_back();
    std::vector<std::string> argv = {"sysbench",
                                     "oltp_write_only",
                                     "--db-driver=mysql",
                                     "--mysql-host=127.0.0.1",
                                     "--mysql-port=" + std::to_string(base_ - 6),
                                     "--mysql-user=admin",
                                     "--mysql-password=" + password,
                                     "--tables=2",
                                     "--table-size=10000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_;
  std::vector<std::string> dirs_;
  std::optional<Subprocess> load_;
};

TEST_F(PitrTest, ArchiveAcrossASwitchoverAndRestoreToAGtidAndATime) {
  ASSERT_NO_FATAL_FAILURE(UpArchiving());
  Outcome o;
  Sql(dir_, "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); INSERT INTO t.x VALUES (1)");
  o = Cli({"backup", "--dir", dir_, "--repo", repo_}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const std::string first_id = IdOfBackup(o.output);

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
  ASSERT_TRUE(ArchiveReaches(last, o.output)) << "the archive never reached " << last << ":\n"
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

  // Retention prunes the archive too: with a second backup taken (and verified: the restores
  // above verified the first, and the newest verified backup is always kept) after the DROP
  // and --keep-last 1, the first backup goes, and so do the binlogs the second one holds;
  // what it needs stays, so its window is whole and a restore past it still replays.
  o = Cli({"backup", "--dir", dir_, "--repo", repo_, "--verify"}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const std::string second_id = IdOfBackup(o.output);
  Sql(dir_, "CREATE TABLE t.x (i INT PRIMARY KEY); INSERT INTO t.x VALUES (5)");
  const std::string after_second = Sql(dir_, "SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(ArchiveReaches(after_second, o.output)) << o.output;
  auto folders = [&] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(repo_ + "/binlogs")) ++n;
    return n;
  };
  const size_t binlogs_before = folders();
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1"});
  EXPECT_NE(o.output.find("would prune binlog "), std::string::npos) << o.output;
  EXPECT_EQ(folders(), binlogs_before);
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1", "--prune"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("pruned " + first_id + "\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("pruned binlog "), std::string::npos) << o.output;
  EXPECT_LT(folders(), binlogs_before);
  o = Cli({"backups", "--repo", repo_});
  EXPECT_EQ(o.output.find("Gap:"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("Recoverable: "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("(backup " + second_id + " .. GTID " + after_second + ")"),
            std::string::npos)
      << o.output;
  EXPECT_EQ(RestoredRows("after-prune", {"--to-gtid", after_second}), "5");
}

TEST_F(PitrTest, BackupUnderSysbenchWritesRestoresToTheLastWrite) {
  const std::string restored = tmp_.path() + "/restored";
  dirs_.push_back(restored);
  ASSERT_NO_FATAL_FAILURE(UpArchiving());
  Outcome o;
  Sql(dir_, "CREATE DATABASE sbtest");
  ASSERT_EQ(RunCommand(Sysbench({"prepare"}), SysbenchLog()), 0) << ReadAll(SysbenchLog());

  // The load: bounded by --time, stopped by pid once the backup is published.
  const int log_fd = open(SysbenchLog().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(log_fd, 0);
  auto load =
      Subprocess::Spawn(Sysbench({"--threads=2", "--time=300", "run"}), SpawnFds{-1, log_fd, -1});
  close(log_fd);
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  load_ = *load;
  // Writes are flowing before the backup starts.
  const uint64_t at_start = SeqOf(Sql(dir_, "SELECT @@gtid_binlog_pos"));
  std::string pos;
  ASSERT_TRUE(WaitFor(
      [&] {
        pos = Sql(dir_, "SELECT @@gtid_binlog_pos");
        return SeqOf(pos) >= at_start + 50;
      },
      60))
      << "sysbench committed nothing: " << pos;
  const uint64_t before_backup = SeqOf(pos);

  o = Cli({"backup", "--dir", dir_, "--repo", repo_}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const uint64_t after_backup = SeqOf(Sql(dir_, "SELECT @@gtid_binlog_pos"));
  int code = 0;
  ASSERT_FALSE(load_->TryWait(&code))
      << "the load ended before the backup did (exit " << code << ")";
  // The backup holds writes committed while it ran, and the load went on past it.
  auto list = nlohmann::json::parse(Cli({"backups", "--repo", repo_, "--json"}).output);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  const std::string id = list[0]["id"];
  const uint64_t in_backup = SeqOf(list[0]["gtid"].get<std::string>());
  EXPECT_GT(in_backup, before_backup) << list.dump();
  EXPECT_LE(in_backup, after_backup) << list.dump();
  ASSERT_TRUE(WaitFor(
      [&] { return SeqOf(Sql(dir_, "SELECT @@gtid_binlog_pos")) >= after_backup + 50; }, 60));
  load_->Kill(SIGKILL);
  load_->Wait();
  load_.reset();

  // The last write: once the position holds still (a commit the killed client sent may
  // still land), and the archive reaches it.
  std::string last = Sql(dir_, "SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string now = Sql(dir_, "SELECT @@gtid_binlog_pos");
        const bool still = now == last;
        last = now;
        return still;
      },
      30));
  ASSERT_GT(SeqOf(last), after_backup);
  ASSERT_TRUE(ArchiveReaches(last, o.output)) << "the archive never reached " << last << ":\n"
                                              << o.output;
  EXPECT_EQ(o.output.find("Gap:"), std::string::npos) << o.output;

  const uint16_t base2 = FreeClusterBasePort(1);
  ASSERT_NE(base2, 0);
  o = Cli({"restore", "--repo", repo_, "--dir", restored, "--base-port", std::to_string(base2),
           "--to-gtid", last},
          300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("Then replaying"), std::string::npos) << o.output;
  const std::string checksums = "CHECKSUM TABLE sbtest.sbtest1, sbtest.sbtest2";
  const Outcome want = Cli({"sql", "--dir", dir_, "-e", checksums});
  const Outcome got = Cli({"sql", "--dir", restored, "-e", checksums});
  ASSERT_EQ(want.exit_code, 0) << want.output;
  EXPECT_EQ(got.output, want.output);
  EXPECT_EQ(Sql(restored, "SELECT COUNT(*) FROM sbtest.sbtest1"),
            Sql(dir_, "SELECT COUNT(*) FROM sbtest.sbtest1"));

  list = nlohmann::json::parse(Cli({"backups", "--repo", repo_, "--json"}).output);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["verified"], true) << list.dump();
}

}  // namespace
}  // namespace mysqlset::testing
