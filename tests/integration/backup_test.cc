// Issue 15 on real servers, through the real CLI: a backup of a 2-member local cluster with
// rows in it (streamed from the replica), listed; a backup killed mid-stream never listed; one
// that fails after streaming never listed either, but left a failure record `backups` reports;
// a corrupted object refused with one line naming it and nothing created; a restore into a
// new cluster beside the old one that holds exactly the rows committed before the backup,
// takes writes, and marks the backup verified; a restore over an existing dir refused. And
// the same backup without a cluster dir, as a Kubernetes CronJob takes it.

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "formats/backup_manifest.h"
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

// "127.0.0.1:13308" or "http://127.0.0.1:13310" -> the port.
uint16_t PortOf(const std::string& address) {
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
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
  // Without $MYSQLSET_DIR: a command finds a cluster dir only when told.
  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {"MYSQLSET_DIR="}, timeout_s);
  }
  nlohmann::json Backups(const std::string& repo) {
    const Outcome o = Cli({"backups", "--repo", repo, "--json"});
    EXPECT_EQ(o.exit_code, 0) << o.output;
    auto j = nlohmann::json::parse(o.output, nullptr, false);
    EXPECT_TRUE(j.is_array()) << o.output;
    return j.is_array() ? j : nlohmann::json::array();
  }
  // `backups --failures --json`: the failed runs since the newest backup.
  nlohmann::json Failures(const std::string& repo) {
    const Outcome o = Cli({"backups", "--repo", repo, "--failures", "--json"});
    EXPECT_EQ(o.exit_code, 0) << o.output;
    auto j = nlohmann::json::parse(o.output, nullptr, false);
    EXPECT_TRUE(j.is_object()) << o.output;
    return j.is_object() ? j : nlohmann::json::object();
  }
  // A 2-member cluster at base_ with rows 1, 2, 3 in t.x, on the replica too (the backup
  // streams from it).
  void UpWithRows() {
    Outcome o =
        Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port", std::to_string(base_)}, 300);
    ASSERT_EQ(o.exit_code, 0) << o.output;
    o = Cli({"sql", "--dir", dir_, "-e",
             "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); "
             "INSERT INTO t.x VALUES (1), (2), (3)"});
    ASSERT_EQ(o.exit_code, 0) << o.output;
    ASSERT_TRUE(WaitFor(
        [&] {
          o = Cli({"sql", "--dir", dir_, "--member", "mysql-1", "-e", "SELECT COUNT(*) FROM t.x"});
          return o.exit_code == 0 && o.output.find('3') != std::string::npos;
        },
        30))
        << o.output;
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, repo_, restored_;
};

TEST_F(BackupTest, BackupListRefuseCorruptionAndRestoreIntoANewCluster) {
  UpWithRows();
  if (HasFatalFailure()) return;
  Outcome o;

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
    // Killed outright, it could leave no failure record either (BackupTooOld covers it).
    EXPECT_FALSE(fs::exists(repo_ + "/failures"));
  }

  // A backup that fails after streaming (its upload cannot create the backup's folder: a
  // file stands where each id of the next minutes would go) leaves a failure record outside
  // every backup's folder, is never listed, and `backups` reports it.
  {
    std::vector<std::string> blockers;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (int64_t t = now; t < now + 300; ++t) {
      const std::string path = repo_ + "/backups/" + formats::BackupIdOf(t, "mysql-1");
      if (fs::exists(path)) continue;  // the backup above, in this second
      std::ofstream(path) << "not a folder\n";
      blockers.push_back(path);
    }
    o = Cli({"backup", "--dir", dir_, "--repo", repo_, "--from", "mysql-1"}, 300);
    for (const auto& b : blockers) fs::remove(b);
    EXPECT_EQ(o.exit_code, 1) << o.output;
    EXPECT_NE(o.output.find("mysqlset backup: error: backup from mysql-1: upload"),
              std::string::npos)
        << o.output;
    EXPECT_EQ(o.output.find("could not be recorded"), std::string::npos) << o.output;
    EXPECT_EQ(Backups(repo_).size(), 1u);
    const nlohmann::json failed = Failures(repo_);
    EXPECT_EQ(failed["failures_since_last_success"], 1) << failed.dump();
    ASSERT_EQ(failed["failures"].size(), 1u) << failed.dump();
    const nlohmann::json& record = failed["failures"][0];
    EXPECT_EQ(record["source_member"], "mysql-1");
    EXPECT_EQ(record["cluster"], "mysql");
    EXPECT_NE(record["error"].get<std::string>().find("upload"), std::string::npos) << record;
    EXPECT_LE(record["started_at_unix_ms"].get<int64_t>(),
              record["ended_at_unix_ms"].get<int64_t>());
    EXPECT_EQ(failed["last_failure_unix"], record["ended_at_unix_ms"].get<int64_t>() / 1000);
    const std::string failure_id = record["id"];
    EXPECT_TRUE(fs::exists(repo_ + "/failures/" + failure_id + "/failure.json")) << failure_id;
    o = Cli({"backups", "--repo", repo_});
    EXPECT_NE(o.output.find("Failed backups since the newest one: 1"), std::string::npos)
        << o.output;
    EXPECT_NE(o.output.find("FAILED " + failure_id), std::string::npos) << o.output;
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
  // A backup published since: no failures since the last success; the last one's time stays.
  nlohmann::json failed = Failures(repo_);
  EXPECT_EQ(failed["failures_since_last_success"], 0) << failed.dump();
  EXPECT_EQ(failed["failures"].size(), 0u) << failed.dump();
  EXPECT_GT(failed["last_failure_unix"].get<int64_t>(), 0) << failed.dump();

  // Retention: shown first, deleted with --prune; the newest (verified) backup stays.
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1"});
  EXPECT_NE(o.output.find("would prune " + id), std::string::npos) << o.output;
  EXPECT_EQ(Backups(repo_).size(), 2u);
  EXPECT_NE(o.output.find("would prune failure record "), std::string::npos) << o.output;
  o = Cli({"backups", "--repo", repo_, "--keep-last", "1", "--prune"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("pruned " + id), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(repo_ + "/backups/" + id));
  // The failure record is older than the kept backup: pruned with it.
  EXPECT_NE(o.output.find("pruned failure record "), std::string::npos) << o.output;
  EXPECT_TRUE(fs::is_empty(repo_ + "/failures"));
  list = Backups(repo_);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_NE(list[0]["id"], id);

  // Restoring over an existing dir is refused.
  o = Cli({"restore", "--repo", repo_, "--dir", restored_});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("refusing to restore into " + restored_), std::string::npos) << o.output;
}

// `mysqlset backup` without a cluster dir, as a Kubernetes CronJob runs it (docs/backup.md,
// "Kubernetes"): the members named by address (--cluster with a layout: each agent's
// /v1/status picks the least-lagging ready replica) and one backup port named explicitly
// (--from-host, then --verify), the token read from a file. Bad input (garbage, clashing
// flags, a missing or world-readable token file, a wrong token, an unreachable host, members
// that do not answer) is one error line and a non-zero exit, and publishes nothing.
TEST_F(BackupTest, WithoutAClusterDirMembersByAddressOrOneHostWithATokenFile) {
  // Room for 9 members, though only 2 run: the default --members 9 asks the ports of
  // mysql-2 .. mysql-8 too, which must not be another cluster's.
  base_ = FreeClusterBasePort(9);
  ASSERT_NE(base_, 0) << "no free port range found";
  UpWithRows();
  if (HasFatalFailure()) return;
  Outcome o;
  // Where the members listen, as `status --json` reports them.
  o = Cli({"status", "--dir", dir_, "--json"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const auto status = nlohmann::json::parse(o.output, nullptr, false);
  ASSERT_TRUE(status.is_object()) << o.output;
  const auto& m = status["members"];
  ASSERT_EQ(m.size(), 2u) << o.output;
  const uint16_t agent0 = PortOf(m[0]["agent"]);
  const uint16_t backup0 = PortOf(m[0]["backup"]);
  const uint16_t stride = static_cast<uint16_t>(PortOf(m[1]["backup"]) - backup0);
  ASSERT_EQ(PortOf(m[1]["agent"]) - agent0, stride) << o.output;

  // The token, as a Secret mounts it: a file of its own (mode 0600, ours).
  const std::string token_file = tmp_.path() + "/backup-token";
  fs::copy_file(dir_ + "/secrets/backup-token", token_file);
  ASSERT_EQ(chmod(token_file.c_str(), 0600), 0);
  const std::string token = ReadAll(token_file);
  const std::vector<std::string> layout = {"--peer-host",   "127.0.0.1",
                                           "--http-port",   std::to_string(agent0),
                                           "--backup-port", std::to_string(backup0),
                                           "--port-stride", std::to_string(stride)};
  auto members_cmd = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"backup", "--repo", repo_, "--cluster", "mysql"};
    a.insert(a.end(), layout.begin(), layout.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::string host0 = "127.0.0.1:" + std::to_string(backup0);

  // --- bad input: one line, non-zero, nothing published ---
  EXPECT_ONE_ERROR_LINE(
      Cli({"backup", "--repo", repo_, "--from-host", "garbage", "--token-file", token_file}), 2,
      "mysqlset backup: error: --from-host 'garbage': want HOST:PORT", "mysql-1.mysql:3307");
  EXPECT_ONE_ERROR_LINE(
      Cli({"backup", "--repo", repo_, "--from-host", "127.0.0.1:3307", "--token-file", token_file}),
      2, "mysqlset backup: error: --from-host 127.0.0.1", "add --from NAME");
  EXPECT_ONE_ERROR_LINE(Cli({"backup", "--repo", repo_, "--dir", dir_, "--cluster", "mysql",
                             "--token-file", token_file}),
                        2, "mysqlset backup: error: --dir names a local cluster",
                        "one or the other");
  EXPECT_ONE_ERROR_LINE(Cli({"backup", "--repo", repo_, "--token-file", token_file}), 2,
                        "mysqlset backup: error: --token-file needs --cluster", "--from-host");
  EXPECT_ONE_ERROR_LINE(Cli(members_cmd({"--token-file", tmp_.path() + "/no-such-token"})), 1,
                        "mysqlset backup: error: secret file " + tmp_.path() + "/no-such-token",
                        "is missing or unreadable");
  const std::string loose = tmp_.path() + "/loose-token";
  WriteFile(loose, token, 0644);
  EXPECT_ONE_ERROR_LINE(Cli(members_cmd({"--token-file", loose})), 1,
                        "mysqlset backup: error: secret file " + loose, "mode 0644");
  const std::string wrong = tmp_.path() + "/wrong-token";
  WriteFile(wrong, "not-the-token\n", 0600);
  EXPECT_ONE_ERROR_LINE(Cli({"backup", "--repo", repo_, "--from-host", host0, "--from", "mysql-0",
                             "--token-file", wrong}),
                        1, "mysqlset backup: error: backup from mysql-0", "backup-token");
  uint16_t closed = static_cast<uint16_t>(base_ + 5);  // no member uses P+3 .. P+9
  while (PortOpen(closed)) ++closed;
  EXPECT_ONE_ERROR_LINE(
      Cli({"backup", "--repo", repo_, "--from-host", "127.0.0.1:" + std::to_string(closed),
           "--from", "mysql-1", "--token-file", token_file}),
      1, "mysqlset backup: error: backup from mysql-1", "");
  // The failure record itself cannot be written (a file stands where failures/ goes): the
  // run's own error first, then that, in one line; still exit 1.
  const std::string unrecordable = tmp_.path() + "/unrecordable";
  fs::create_directories(unrecordable);
  WriteFile(unrecordable + "/failures", "not a folder\n", 0644);
  EXPECT_ONE_ERROR_LINE(
      Cli({"backup", "--repo", unrecordable, "--from-host", "127.0.0.1:" + std::to_string(closed),
           "--from", "mysql-1", "--token-file", token_file}),
      1, "mysqlset backup: error: backup from mysql-1: connect",
      "(and the failure could not be recorded in " + unrecordable);
  EXPECT_ONE_ERROR_LINE(
      Cli({"backup", "--repo", repo_, "--cluster", "mysql", "--peer-host", "127.0.0.1",
           "--http-port", std::to_string(closed), "--members", "1", "--token-file", token_file}),
      1, "mysqlset backup: error: no member of cluster 'mysql' answered",
      "(asked mysql-0 .. mysql-0)");
  EXPECT_ONE_ERROR_LINE(Cli(members_cmd({"--token-file", token_file, "--from", "orders-1"})), 2,
                        "mysqlset backup: error: --from orders-1: not a member", "mysql-8)");
  for (const std::string& line : Lines(Cli(members_cmd({"--token-file", wrong})).output)) {
    EXPECT_EQ(line.find("not-the-token"), std::string::npos) << line;
  }
  if (fs::exists(repo_)) {
    EXPECT_EQ(Backups(repo_).size(), 0u);
  }
  // The runs that reached the repository (the refused tokens, the closed port) left failure
  // records, and none holds a token.
  ASSERT_TRUE(fs::exists(repo_ + "/failures"));
  EXPECT_EQ(Failures(repo_)["failures_since_last_success"], 3);
  for (const auto& e : fs::recursive_directory_iterator(repo_ + "/failures")) {
    if (!e.is_regular_file()) continue;
    const std::string text = ReadAll(e.path().string());
    EXPECT_EQ(text.find("not-the-token"), std::string::npos) << text;
    EXPECT_EQ(text.find(token), std::string::npos) << text;
  }

  // --- members by address: the agents' /v1/status choose the ready replica ---
  // --members 9 (the default) asks mysql-0 .. mysql-8; mysql-2 .. mysql-8 do not exist.
  o = Cli(members_cmd({"--token-file", token_file}), 300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("Backing up cluster 'mysql' from mysql-1 (127.0.0.1:" +
                          std::to_string(backup0 + stride) + ")"),
            std::string::npos)
      << o.output;
  EXPECT_EQ(o.output.find(token), std::string::npos);
  nlohmann::json list = Backups(repo_);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["source_member"], "mysql-1");
  EXPECT_EQ(list[0]["cluster"], "mysql");
  EXPECT_FALSE(list[0]["gtid"].get<std::string>().empty());

  // --- one backup port, named with --from, then proven by --verify ---
  o = Cli({"backup", "--repo", repo_, "--from-host", host0, "--from", "mysql-0", "--token-file",
           token_file, "--cluster", "mysql", "--verify"},
          300);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("from mysql-0 (" + host0 + ")"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("Verified "), std::string::npos) << o.output;
  list = Backups(repo_);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["source_member"], "mysql-0");  // newest first
  EXPECT_EQ(list[0]["verified"], true);
  EXPECT_EQ(list[1]["verified"], false);
  // The verification's throwaway server is gone, and the cluster still serves.
  o = Cli({"sql", "--dir", dir_, "-e", "SELECT COUNT(*) FROM t.x"});
  EXPECT_EQ(o.exit_code, 0) << o.output;
}

}  // namespace
}  // namespace mysqlset::testing
