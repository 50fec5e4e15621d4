// Issue 15 on real servers, through the real CLI: a backup of a 2-member local cluster with
// rows in it (streamed from the replica), listed; a backup killed mid-stream never listed;
// a corrupted object refused with one line naming it and nothing created; a restore into a
// new cluster beside the old one that holds exactly the rows committed before the backup,
// takes writes, and marks the backup verified; a restore over an existing dir refused.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "posix/subprocess.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// The sequence number of a one-domain GTID position "D-S-N"; 0 when it is not one.
uint64_t SeqOf(const std::string& gtid) {
  const auto dash = gtid.rfind('-');
  if (dash == std::string::npos || gtid.find(',') != std::string::npos) return 0;
  return std::stoull(gtid.substr(dash + 1));
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeClusterBasePort(2);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    repo_ = tmp_.path() + "/repo";
    restored_ = tmp_.path() + "/restored";
  }
  void TearDown() override {
    for (const auto& d : {dir_, restored_}) {
      if (fs::exists(d + "/cluster.json")) Cli({"down", "--dir", d});
    }
    if (HasFailure()) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str());
      std::fprintf(stderr, "--- restored supervisor.log ---\n%s\n",
                   ReadAll(restored_ + "/supervisor.log").c_str());
    }
  }
  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }
  nlohmann::json Backups(const std::string& repo) {
    const Outcome o = Cli({"backups", "--repo", repo, "--json"});
    EXPECT_EQ(o.exit_code, 0) << o.output;
    auto j = nlohmann::json::parse(o.output, nullptr, false);
    EXPECT_TRUE(j.is_array()) << o.output;
    return j.is_array() ? j : nlohmann::json::array();
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_, restored_;
};

TEST_F(BackupTest, BackupListRefuseCorruptionAndRestoreIntoANewCluster) {
  Outcome o =
      Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port", std::to_string(base_)}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  o = Cli({"sql", "--dir", dir_, "-e",
           "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); "
           "INSERT INTO t.x VALUES (1), (2), (3)"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  // The replica must hold the rows: the backup streams from it.
  ASSERT_TRUE(WaitFor(
      [&] {
        o = Cli({"sql", "--dir", dir_, "--member", "mysql-1", "-e", "SELECT COUNT(*) FROM t.x"});
        return o.exit_code == 0 && o.output.find('3') != std::string::npos;
      },
      30))
      << o.output;

  // Listing a repository that does not exist yet is an error, and creates nothing.
  o = Cli({"backups", "--repo", repo_});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("no such directory"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(repo_));
  o = Cli({"backup", "--dir", dir_, "--repo", repo_}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("from mysql-1"), std::string::npos) << o.output;  // the replica
  EXPECT_NE(o.output.find("MiB/s"), std::string::npos) << o.output;         // progress
  // Committed after the backup: a restore of it must not hold this row.
  ASSERT_EQ(Cli({"sql", "--dir", dir_, "-e", "INSERT INTO t.x VALUES (4)"}).exit_code, 0);

  nlohmann::json list = Backups(repo_);
  ASSERT_EQ(list.size(), 1u);
  const std::string id = list[0]["id"];
  const std::string gtid = list[0]["gtid"];
  EXPECT_FALSE(gtid.empty());
  EXPECT_EQ(list[0]["source_member"], "mysql-1");
  EXPECT_EQ(list[0]["verified"], false);

  // A backup killed mid-stream (its object is being written) is never listed.
  {
    const std::string log = tmp_.path() + "/killed.log";
    auto child =
        Subprocess::Spawn({MysqlsetBinary(), "backup", "--dir", dir_, "--repo", repo_}, SpawnFds{});
    ASSERT_TRUE(child.ok());
    bool streaming = WaitFor(
        [&] {
          if (!fs::exists(repo_ + "/.incoming")) return false;
          for (const auto& e : fs::recursive_directory_iterator(repo_ + "/.incoming")) {
            if (e.path().filename() == "data.xbstream.zst") return true;
          }
          return false;
        },
        60);
    child->Kill(SIGKILL);
    child->Wait();
    EXPECT_TRUE(streaming) << "the second backup never started writing its object";
    EXPECT_EQ(Backups(repo_).size(), 1u);
  }

  // A corrupted object: one line naming it, non-zero exit, no cluster dir created.
  const std::string bad_repo = tmp_.path() + "/bad-repo";
  fs::create_directories(bad_repo + "/backups");
  fs::copy(repo_ + "/backups", bad_repo + "/backups", fs::copy_options::recursive);
  {
    std::fstream f(bad_repo + "/backups/" + id + "/data.xbstream.zst",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  const std::string bad_dir = tmp_.path() + "/never";
  o = Cli({"restore", "--repo", bad_repo, "--dir", bad_dir, "--base-port",
           std::to_string(base_ + 1000)});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(
      o.output.find("object backups/" + id + "/data.xbstream.zst in " + bad_repo + " is corrupt"),
      std::string::npos)
      << o.output;
  EXPECT_FALSE(fs::exists(bad_dir));

  // The restore: a new cluster beside the old one, with the rows committed before the backup.
  const uint16_t base2 = FreeClusterBasePort(1);
  ASSERT_NE(base2, 0);
  o = Cli({"restore", "--repo", repo_, "--dir", restored_, "--base-port", std::to_string(base2)},
          300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  // The throwaway server on the restored data reported the manifest's GTID ...
  EXPECT_NE(o.output.find("GTID " + gtid + ")"), std::string::npos) << o.output;
  o = Cli({"sql", "--dir", restored_, "-e",
           "SELECT GROUP_CONCAT(i ORDER BY i), @@gtid_binlog_pos FROM t.x"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("1,2,3\t"), std::string::npos) << o.output;
  // ... and the new primary's binlog continues from it (its agent may have written since).
  const auto at = o.output.find("1,2,3\t");
  if (at != std::string::npos) {
    const std::string pos = o.output.substr(at + 6, o.output.find('\n', at) - at - 6);
    EXPECT_GE(SeqOf(pos), SeqOf(gtid)) << pos << " vs " << gtid;
    EXPECT_EQ(pos.substr(0, pos.find('-')), gtid.substr(0, gtid.find('-'))) << pos;
  }
  // It takes writes, continuing the GTID sequence.
  o = Cli(
      {"sql", "--dir", restored_, "-e", "INSERT INTO t.x VALUES (9); SELECT COUNT(*) FROM t.x"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find('4'), std::string::npos) << o.output;
  // The old cluster is untouched by it.
  o = Cli({"sql", "--dir", dir_, "-e", "SELECT GROUP_CONCAT(i ORDER BY i) FROM t.x"});
  EXPECT_NE(o.output.find("1,2,3,4"), std::string::npos) << o.output;
  EXPECT_EQ(o.output.find('9'), std::string::npos) << o.output;
  list = Backups(repo_);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["verified"], true);

  // backup --verify: the new backup is restored into a scratch dir and checked at once.
  o = Cli({"backup", "--dir", restored_, "--repo", repo_, "--verify"}, 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("Verified "), std::string::npos) << o.output;
  list = Backups(repo_);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["verified"], true);            // newest first
  EXPECT_EQ(list[0]["source_member"], "mysql-0");  // a one-member cluster: its primary

  // Retention: shown first, deleted with --prune; the newest (verified) backup stays.
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1"});
  EXPECT_NE(o.output.find("would prune " + id), std::string::npos) << o.output;
  EXPECT_EQ(Backups(repo_).size(), 2u);
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1", "--prune"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("pruned " + id), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(repo_ + "/backups/" + id));
  list = Backups(repo_);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_NE(list[0]["id"], id);

  // Restoring over an existing dir is refused.
  o = Cli({"restore", "--repo", repo_, "--dir", restored_});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("refusing to restore into " + restored_), std::string::npos) << o.output;
}

}  // namespace
}  // namespace mysqlset::testing
