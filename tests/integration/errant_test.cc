// Issue 13, errant GTIDs, on a real local 3-member cluster through the real CLI:
// - prevented: through the app account (the one client.cnf holds) an INSERT on a replica, or
//   through the read endpoint, fails with MariaDB's read-only error; a cluster that lacks
//   the app account (made before it existed) gets it from its primary's agent;
// - detected: an errant transaction injected through admin on mysql-1 in the primary's
//   domain, and on mysql-2 in domain 7, even after the primary writes past them: status and
//   /readyz name the GTIDs, both replicas leave the read endpoint, /metrics counts them, and
//   a switchover to either is refused;
// - healed: 30 s later each re-clones itself, its errant datadir kept under DATA/.
// One cluster for the suite, brought down at the end.

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr int kMembers = 3;

std::string Secret(const std::string& path) {
  std::string v = ReadAll(path);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

class ErrantCluster {
 public:
  void Start() {
    base_ = FreeClusterBasePort(kMembers);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    const Outcome up = Cli({"up", "--dir", dir_, "--replicas", std::to_string(kMembers),
                            "--base-port", std::to_string(base_)},
                           300);
    ASSERT_EQ(up.exit_code, 0) << up.output;
    admin_password_ = Secret(dir_ + "/secrets/admin-password");
    app_password_ = Secret(dir_ + "/secrets/app-password");
    auto w = App(WritePort(), 60);
    ASSERT_NE(w, nullptr) << "no primary behind the write endpoint";
    ASSERT_TRUE(w->Execute("CREATE DATABASE errant").ok());
    ASSERT_TRUE(w->Execute("CREATE TABLE errant.t (id BIGINT PRIMARY KEY, v VARCHAR(32))").ok());
    ASSERT_TRUE(w->Execute("INSERT INTO errant.t VALUES (1, 'from the primary')").ok());
    for (int i = 1; i < kMembers; ++i) {
      ASSERT_TRUE(WaitFor(60,
                          [&] {
                            auto c = Admin(MemberPort(i), 5);
                            return c && QueryValue(*c, "SELECT COUNT(*) FROM errant.t") == "1";
                          }))
          << "mysql-" << i << " did not replicate the table";
    }
    up_ = true;
  }

  void Finish() {
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_}, 120);
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str());
      for (int i = 0; i < kMembers; ++i) {
        const std::string log = dir_ + "/members/mysql-" + std::to_string(i) + "/logs/agent.log";
        std::fprintf(stderr, "--- %s (errant lines) ---\n", log.c_str());
        std::istringstream in(ReadAll(log));
        for (std::string line; std::getline(in, line);) {
          if (line.find("errant") != std::string::npos) std::fprintf(stderr, "%s\n", line.c_str());
        }
      }
    }
  }

  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }

  uint16_t WritePort() const { return static_cast<uint16_t>(base_ - 6); }
  uint16_t ReadPort() const { return static_cast<uint16_t>(base_ - 5); }
  uint16_t MemberPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal); }
  uint16_t AgentPort(int ordinal) const { return static_cast<uint16_t>(MemberPort(ordinal) + 1); }

  std::unique_ptr<Connection> App(uint16_t port, double wait_s) {
    return ConnectRetrying(port, "app", app_password_, wait_s);
  }
  std::unique_ptr<Connection> Admin(uint16_t port, double wait_s) {
    return ConnectRetrying(port, "admin", admin_password_, wait_s);
  }
  json Status() {
    const Outcome o = Cli({"status", "--dir", dir_, "--json"}, 30);
    auto j = json::parse(o.output, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }
  std::string Primary() {
    const json s = Status();
    return s.contains("primary") && s["primary"].is_string() ? s["primary"].get<std::string>() : "";
  }
  json MemberStatus(const std::string& name) {
    for (const auto& m : Status().value("members", json::array())) {
      if (m.value("name", "") == name) return m;
    }
    return json::object();
  }
  net::HttpReply Get(int ordinal, const std::string& path) {
    auto r = net::HttpGet("127.0.0.1", AgentPort(ordinal), path, milliseconds(3000));
    return r.ok() ? *r : net::HttpReply{};
  }
  bool WaitFor(double seconds, const std::function<bool()>& pred) {
    return mysqlset::testing::WaitFor(pred, seconds);
  }

  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, admin_password_, app_password_;
  bool up_ = false;
};

class ErrantTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new ErrantCluster();
    cluster_->Start();
  }
  static void TearDownTestSuite() {
    cluster_->Finish();
    delete cluster_;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up_) << "the cluster did not come up"; }
  ErrantCluster& c() { return *cluster_; }
  static ErrantCluster* cluster_;
};
ErrantCluster* ErrantTest::cluster_ = nullptr;

// Issue 13: through admin@% (READ ONLY ADMIN) this INSERT succeeded silently and created the
// errant GTID 0-101-N. Through the app account it fails, on the member and through the read
// endpoint, and nothing is written.
TEST_F(ErrantTest, TheAppAccountCannotWriteOnAReplica) {
  ASSERT_EQ(c().Primary(), "mysql-0");
  for (uint16_t port : {c().MemberPort(1), c().ReadPort()}) {
    auto app = c().App(port, 30);
    ASSERT_NE(app, nullptr) << port;
    EXPECT_EQ(QueryValue(*app, "SELECT @@read_only"), "1");
    const auto st = app->Execute("INSERT INTO errant.t VALUES (2, 'on a replica')");
    ASSERT_FALSE(st.ok()) << "port " << port;
    EXPECT_NE(st.message().find("(error 1290)"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("--read-only"), std::string::npos) << st.message();
  }
  auto replica = c().Admin(c().MemberPort(1), 10);
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(QueryValue(*replica, "SELECT COUNT(*) FROM errant.t"), "1");
  // It writes on the primary, with the privileges an application needs.
  auto w = c().App(c().WritePort(), 10);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->Execute("INSERT INTO errant.t VALUES (3, 'through the write endpoint')").ok());
  EXPECT_TRUE(w->Execute("CREATE TABLE errant.app_made (i INT PRIMARY KEY)").ok());
  EXPECT_TRUE(w->Execute("DROP TABLE errant.app_made").ok());
  EXPECT_FALSE(w->Execute("SET GLOBAL read_only = 1").ok()) << "no administration";
}

// A cluster made before the app account existed: the primary's agent creates it.
TEST_F(ErrantTest, AMissingAppAccountIsCreatedByThePrimarysAgent) {
  auto admin = c().Admin(c().WritePort(), 10);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(admin->Execute("DROP USER app@'%'").ok());
  EXPECT_TRUE(c().WaitFor(30, [&] {
    return c().App(c().WritePort(), 0) != nullptr && c().App(c().MemberPort(2), 0) != nullptr;
  })) << "the app account was not created again (and replicated)";
}

TEST_F(ErrantTest, ErrantTransactionsInTwoDomainsAreDetectedAndNeverPromoted) {
  ASSERT_EQ(c().Primary(), "mysql-0");
  // Through admin (READ ONLY ADMIN): what a user with the wrong account would do.
  auto m1 = c().Admin(c().MemberPort(1), 10);
  auto m2 = c().Admin(c().MemberPort(2), 10);
  ASSERT_TRUE(m1 && m2);
  ASSERT_TRUE(m1->Execute("INSERT INTO errant.t VALUES (101, 'errant on mysql-1')").ok());
  const std::string gtid1 = QueryValue(*m1, "SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(m2->Execute("SET SESSION gtid_domain_id = 7").ok());
  ASSERT_TRUE(m2->Execute("INSERT INTO errant.t VALUES (102, 'errant on mysql-2')").ok());
  const std::string gtid2 = QueryValue(*m2, "SELECT @@gtid_binlog_pos");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(gtid1, match, std::regex(R"(0-101-\d+)"))) << gtid1;
  const std::string errant1 = match.str();
  ASSERT_NE(gtid2.find("7-102-1"), std::string::npos) << gtid2;
  const std::string errant2 = "7-102-1";

  // The primary writes on, past mysql-1's errant sequence number.
  auto w = c().App(c().WritePort(), 10);
  ASSERT_NE(w, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        w->Execute("INSERT INTO errant.t VALUES (" + std::to_string(200 + i) + ", 'p')").ok());
  }

  auto flagged = [&](const std::string& name, const std::string& gtid) {
    const json m = c().MemberStatus(name);
    if (m.value("ready", true)) return false;
    for (const auto& r : m.value("reasons", json::array())) {
      if (r.is_string() && r.get<std::string>().find("errant GTIDs " + gtid) != std::string::npos)
        return true;
    }
    return false;
  };
  EXPECT_TRUE(c().WaitFor(30, [&] { return flagged("mysql-1", errant1); }))
      << c().MemberStatus("mysql-1").dump();
  EXPECT_TRUE(c().WaitFor(30, [&] { return flagged("mysql-2", errant2); }))
      << c().MemberStatus("mysql-2").dump();

  // /readyz and /replica name them; the read endpoint drops both replicas.
  for (const auto& [ordinal, gtid] : {std::pair{1, errant1}, std::pair{2, errant2}}) {
    for (const char* path : {"/readyz", "/replica"}) {
      const net::HttpReply r = c().Get(ordinal, path);
      EXPECT_EQ(r.status, 503) << path << " " << r.body;
      EXPECT_NE(r.body.find("errant GTIDs " + gtid +
                            " (transactions the primary mysql-0 never "
                            "had): re-clone this member"),
                std::string::npos)
          << path << " " << r.body;
    }
    const net::HttpReply metrics = c().Get(ordinal, "/metrics");
    EXPECT_NE(metrics.body.find("mysqlset_errant_gtids{cluster=\"mysql\"} 1"), std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find("mysqlset_errant_detections_total{cluster=\"mysql\"} 1"),
              std::string::npos)
        << metrics.body;
  }
  EXPECT_NE(c().Get(0, "/metrics").body.find("mysqlset_errant_gtids{cluster=\"mysql\"} 0"),
            std::string::npos);
  EXPECT_TRUE(c().WaitFor(30, [&] {
    const json s = c().Status();
    for (const auto& m : s.value("members", json::array())) {
      if (m.value("name", "") != "mysql-0" && m.value("read_endpoint", "") == "UP") return false;
    }
    return true;
  })) << c().Status().dump();

  // Never promoted: a switchover to either is refused, and so is one without a target.
  // (mysql-1's SQL thread also stopped at the primary's next write: error 1950.)
  const Outcome to1 = c().Cli({"switchover", "--dir", c().dir_, "--to", "mysql-1"}, 60);
  EXPECT_EQ(to1.exit_code, 1) << to1.output;
  EXPECT_NE(to1.output.find("switchover refused"), std::string::npos) << to1.output;
  const Outcome to2 = c().Cli({"switchover", "--dir", c().dir_, "--to", "mysql-2"}, 60);
  EXPECT_EQ(to2.exit_code, 1) << to2.output;
  // From its own check once its record carries it ("errant GTIDs: 7-102-1"), or, a tick
  // earlier, from the records' positions ("errant GTIDs: 0-100-N,7-102-1 vs ...").
  EXPECT_NE(to2.output.find("mysql-2 holds transactions the primary mysql-0 lacks (errant GTIDs: "),
            std::string::npos)
      << to2.output;
  EXPECT_NE(to2.output.find("7-102-1"), std::string::npos) << to2.output;
  const Outcome any = c().Cli({"switchover", "--dir", c().dir_}, 60);
  EXPECT_EQ(any.exit_code, 1) << any.output;
  EXPECT_EQ(c().Primary(), "mysql-0");
  auto primary = c().Admin(c().WritePort(), 10);
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(QueryValue(*primary, "SELECT COUNT(*) FROM errant.t WHERE id IN (101, 102)"), "0");
  EXPECT_EQ(QueryValue(*primary, "SELECT @@server_id"), "100");
}

// Then the heal (core/reclone.h): after 30 s errant, each replica's agent asks for a re-clone;
// the supervisor stops its mariadbd and reruns init and clone, which keeps the errant datadir
// under DATA/ and clones the primary's history. Runs after the test above.
TEST_F(ErrantTest, ErrantReplicasAreReClonedWithTheirDatadirKept) {
  ASSERT_EQ(c().Primary(), "mysql-0");
  for (int ordinal : {1, 2}) {
    const std::string name = "mysql-" + std::to_string(ordinal);
    const std::string data = c().dir_ + "/members/" + name + "/data";
    const bool healed = c().WaitFor(150, [&] {
      const json m = c().MemberStatus(name);
      return m.value("ready", false) && m.value("role", "") == "replica" &&
             m.value("errant_gtids", "x").empty();
    });
    EXPECT_TRUE(healed) << c().MemberStatus(name).dump();
    bool kept = false;
    for (const auto& e : std::filesystem::directory_iterator(data)) {
      kept |= e.path().filename().string().rfind("mysql.discarded.", 0) == 0 &&
              std::filesystem::exists(e.path() / "ibdata1");
    }
    EXPECT_TRUE(kept) << name << ": no datadir kept under " << data;
    EXPECT_FALSE(std::filesystem::exists(data + "/.mysqlset-reclone")) << name;
    auto m = c().Admin(c().MemberPort(ordinal), 10);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(QueryValue(*m, "SELECT COUNT(*) FROM errant.t WHERE id IN (101, 102)"), "0") << name;
    EXPECT_EQ(QueryValue(*m, "SELECT COUNT(*) FROM errant.t WHERE id BETWEEN 200 AND 204"), "5")
        << name;
  }
  EXPECT_NE(ReadAll(c().dir_ + "/supervisor.log").find("asked for a re-clone"), std::string::npos);
  // It replicates again: a new write reaches both.
  auto w = c().App(c().WritePort(), 10);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Execute("INSERT INTO errant.t VALUES (300, 'after the heal')").ok());
  for (int ordinal : {1, 2}) {
    EXPECT_TRUE(c().WaitFor(
        30,
        [&] {
          auto m = c().Admin(c().MemberPort(ordinal), 5);
          return m && QueryValue(*m, "SELECT COUNT(*) FROM errant.t WHERE id = 300") == "1";
        }))
        << "mysql-" << ordinal;
  }
}

}  // namespace
}  // namespace mysqlset::testing
