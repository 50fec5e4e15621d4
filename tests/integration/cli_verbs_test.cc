// Issue #17's verbs on a real 2-member local cluster, through the real CLI: `sql` (write
// endpoint, a member, the read endpoint; credentials from client.cnf), `logs` (supervisor,
// a member's logs, one component, -n, -f), `status --watch` and `status --check`'s exit 3,
// and `--log-format json`; and that docs/status.md names every field of `status --json` and
// `/v1/status` and every metric the agents export. The cluster is always brought down when
// the test ends.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "httplib.h"
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

// The text of docs/status.md under the "## " heading that starts with `heading`.
std::string DocSection(const std::string& doc, const std::string& heading) {
  const size_t at = doc.find("\n## " + heading);
  if (at == std::string::npos) return "";
  const size_t end = doc.find("\n## ", at + 1);
  return doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// A key of a JSON document: its name, `parent.name`, and whether it is a row of the doc's
// tables (a key of the document itself, or of the objects of one of its arrays: `members`).
struct Key {
  std::string name;
  std::string dotted;
  bool row = false;
};

void CollectKeys(const nlohmann::json& j, const std::string& parent, bool row,
                 std::vector<Key>& out) {
  if (j.is_array()) {
    for (const auto& e : j) CollectKeys(e, parent, row, out);
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      out.push_back({key, parent.empty() ? key : parent + "." + key, row});
      CollectKeys(value, key, parent.empty() && value.is_array(), out);
    }
  }
}

// The first cells of the table rows of `section`: where a top-level field is named.
std::string FirstCells(const std::string& section) {
  std::string cells;
  for (const auto& line : Lines(section)) {
    if (line.starts_with("| ")) cells += line.substr(0, line.find(" |", 1)) + "\n";
  }
  return cells;
}

// The fields of `j` that `section` does not name in backquotes: a top-level (or `members`)
// field in the first cell of a row (an object's as `name.field` will do), a nested one
// anywhere.
std::vector<std::string> UndocumentedFields(const nlohmann::json& j, const std::string& section) {
  std::vector<Key> keys;
  CollectKeys(j, "", true, keys);
  const std::string rows = FirstCells(section);
  std::vector<std::string> missing;
  for (const Key& k : keys) {
    const std::string& where = k.row ? rows : section;
    if (where.find("`" + k.name + "`") == std::string::npos &&
        where.find("`" + k.dotted + "`") == std::string::npos &&
        where.find("`" + k.dotted + ".") == std::string::npos &&
        std::find(missing.begin(), missing.end(), k.dotted) == missing.end()) {
      missing.push_back(k.dotted);
    }
  }
  return missing;
}

// The metric families of a Prometheus text page (its "# TYPE" lines) that `section` names
// neither in backquotes nor under a documented prefix (`mysqlset_binlog_archive_*`).
std::vector<std::string> UndocumentedMetrics(const std::string& page, const std::string& section) {
  std::vector<std::string> missing;
  for (const auto& line : Lines(page)) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    bool named = section.find("`" + name + "`") != std::string::npos;
    for (size_t star = section.find("*`"); !named && star != std::string::npos;
         star = section.find("*`", star + 1)) {
      const size_t open = section.rfind('`', star);
      named =
          open != std::string::npos && name.starts_with(section.substr(open + 1, star - open - 1));
    }
    if (!named) missing.push_back(name);
  }
  return missing;
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

  // docs/status.md names every field and metric a running cluster shows (Fields may be added
  // only together with their line there).
  const std::string doc = ReadAll(std::string(MYSQLSET_SOURCE_DIR) + "/docs/status.md");
  ASSERT_FALSE(doc.empty());
  o = Cli({"status", "--dir", dir_, "--json"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const auto status_json = nlohmann::json::parse(o.output, nullptr, false);
  ASSERT_TRUE(status_json.is_object()) << o.output;
  EXPECT_EQ(UndocumentedFields(status_json, DocSection(doc, "`mysqlset status --json`")),
            std::vector<std::string>{})
      << o.output;
  for (int member = 0; member < 2; ++member) {
    httplib::Client agent("127.0.0.1", base_ + 10 * member + 1);
    agent.set_read_timeout(5);
    const auto v1 = agent.Get("/v1/status");
    ASSERT_TRUE(v1 && v1->status == 200) << "member " << member;
    const auto v1_json = nlohmann::json::parse(v1->body, nullptr, false);
    ASSERT_TRUE(v1_json.is_object()) << v1->body;
    EXPECT_EQ(UndocumentedFields(v1_json, DocSection(doc, "`GET /v1/status`")),
              std::vector<std::string>{})
        << v1->body;
    const auto metrics = agent.Get("/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200) << "member " << member;
    EXPECT_EQ(UndocumentedMetrics(metrics->body, DocSection(doc, "`GET /metrics`")),
              std::vector<std::string>{})
        << metrics->body;
  }

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
