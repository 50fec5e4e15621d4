// Issue #17's verbs on a real 2-member local cluster, through the real CLI: `sql` (write
// endpoint, a member, the read endpoint; credentials from client.cnf), `logs` (supervisor,
// a member's logs, one component, -n, -f), `status --watch` and `status --check`'s exit 3,
// and `--log-format json`. The cluster is always brought down when the test ends.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

bool WaitFor(std::chrono::seconds limit, const std::function<bool()>& cond) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return cond();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Each line of `text` as JSON; a line that is not JSON fails the test and is left out.
std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const auto& line : Lines(text)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

class CliVerbsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeClusterBasePort(2);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
  }
  void TearDown() override {
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_});
    if (HasFailure()) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str());
    }
  }
  Outcome Cli(std::vector<std::string> args, double timeout_s = 120,
              const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, env, timeout_s);
  }
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_;
};

TEST_F(CliVerbsTest, SqlLogsWatchAndCheckOnARealCluster) {
  const Outcome up = Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port",
                          std::to_string(base_), "--log-format", "json"},
                         300);
  ASSERT_EQ(up.exit_code, 0) << up.output;
  EXPECT_NE(up.output.find("SQL prompt: mysqlset sql --dir " + dir_), std::string::npos)
      << up.output;
  EXPECT_EQ(Cli({"status", "--dir", dir_, "--check"}).exit_code, 0);

  // sql: the write endpoint, as the app account (from client.cnf), then a member and the read
  // endpoint; --admin logs in as admin (from admin.cnf).
  Outcome o = Cli({"sql", "--dir", dir_, "-e",
                   "CREATE DATABASE t; CREATE TABLE t.x (i INT PRIMARY KEY); "
                   "INSERT INTO t.x VALUES (7); SELECT CURRENT_USER(), @@server_id"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("app@%\t100"), std::string::npos) << o.output;
  o = Cli({"sql", "--dir", dir_, "--admin", "-e", "SELECT CURRENT_USER()"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("admin@%"), std::string::npos) << o.output;
  EXPECT_TRUE(WaitFor(std::chrono::seconds(30), [&] {
    o = Cli({"sql", "--dir", dir_, "--member", "mysql-1", "-e",
             "SELECT @@server_id, @@read_only, i FROM t.x"});
    return o.exit_code == 0 && o.output.find("101\t1\t7") != std::string::npos;
  })) << o.output;
  // Issue 13: a write sent to a replica through the users' account fails with the read-only
  // error instead of creating an errant GTID there.
  o = Cli({"sql", "--dir", dir_, "--member", "mysql-1", "-e", "INSERT INTO t.x VALUES (8)"});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("ERROR 1290"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("--read-only"), std::string::npos) << o.output;
  o = Cli({"sql", "--dir", dir_, "--member", "0", "-e", "SELECT @@server_id"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.output.find("100"), std::string::npos) << o.output;
  o = Cli({"sql", "--dir", dir_, "--replica", "-e", "SELECT i FROM t.x"});
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("7"), std::string::npos) << o.output;
  // The client's own exit code and error come through.
  o = Cli({"sql", "--dir", dir_, "-e", "SELECT * FROM nope.nope"});
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("ERROR 1146"), std::string::npos) << o.output;

  // logs: the supervisor's by default, in JSON (up --log-format json) with UTC times.
  o = Cli({"logs", "--dir", dir_});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("supervising cluster mysql"), std::string::npos) << o.output;
  const auto supervisor_lines = JsonLines(o.output);
  EXPECT_GT(supervisor_lines.size(), 2u) << o.output;
  for (const auto& j : supervisor_lines) {
    EXPECT_EQ(j.value("component", ""), "supervisor") << j.dump();
    EXPECT_TRUE(j.value("time", "").ends_with("Z")) << j.dump();
  }
  // The members' agents inherited the format.
  o = Cli({"logs", "--dir", dir_, "mysql-1", "--component", "agent", "-n", "3"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const auto agent_lines = JsonLines(o.output);
  EXPECT_EQ(agent_lines.size(), 3u) << o.output;
  for (const auto& j : agent_lines) EXPECT_EQ(j.value("component", ""), "agent") << j.dump();
  // A member's four logs, each under a header.
  o = Cli({"logs", "--dir", dir_, "mysql-0"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  for (const char* c : {"init", "clone", "mariadbd", "agent"}) {
    EXPECT_NE(o.output.find("==> " + dir_ + "/members/mysql-0/logs/" + c + ".log"),
              std::string::npos)
        << c;
  }
  EXPECT_NE(o.output.find("ready for connections"), std::string::npos);
  // -f prints what is appended later, until interrupted.
  const std::string agent_log = dir_ + "/members/mysql-0/logs/agent.log";
  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::ofstream(agent_log, std::ios::app) << "test marker appended\n";
  });
  o = Cli({"logs", "--dir", dir_, "mysql-0", "--component", "agent", "-n", "1", "-f"}, 4);
  appender.join();
  EXPECT_EQ(o.signal, SIGKILL) << "still following when the test stopped it: " << o.output;
  EXPECT_NE(o.output.find("test marker appended"), std::string::npos) << o.output;

  // status --watch: the table again every interval; --count bounds it.
  o = Cli({"status", "--dir", dir_, "--watch", "--interval", "0.3", "--count", "3", "--check"});
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_EQ(Count(o.output, "cluster mysql: 2 member(s)"), 3u) << o.output;
  EXPECT_EQ(Count(o.output, "(every 0.3s; Ctrl-C to stop)"), 3u) << o.output;
  o = Cli({"status", "--dir", dir_, "--watch", "--interval", "0.3", "--count", "2", "--json"});
  EXPECT_EQ(o.exit_code, 0) << o.output;
  const auto watched = JsonLines(o.output);
  EXPECT_EQ(watched.size(), 2u) << o.output;
  for (const auto& j : watched) EXPECT_EQ(j["members"].size(), 2u) << j.dump();

  // --check exits 3 once the cluster is not fully ready; plain status still exits 0.
  ASSERT_EQ(Cli({"down", "--dir", dir_}, 300).exit_code, 0);
  o = Cli({"status", "--dir", dir_, "--check"});
  EXPECT_EQ(o.exit_code, 3) << o.output;
  EXPECT_NE(o.output.find("mysql-0"), std::string::npos) << o.output;
  EXPECT_EQ(Cli({"status", "--dir", dir_}).exit_code, 0);
  o = Cli({"status", "--dir", dir_, "--watch", "--interval", "0.2", "--count", "1", "--check"});
  EXPECT_EQ(o.exit_code, 3) << o.output;
}

}  // namespace
}  // namespace mysqlset::testing
