// Issue #12 on a real local cluster (3 members, 3 etcd members), through the real CLI:
// switchover to mysql-2 and back under a writer that records every acknowledged insert; a
// refused switchover changes nothing; kill -9 of an etcd member, loss of etcd's quorum, and
// kill -9 of the leader's agent. A sampler reads read_only on every member every 50 ms
// throughout: never two writable members. One cluster for the suite, brought down at the end.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/ha_probes.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kMembers = 3;

class RolesCluster {
 public:
  void Start() {
    base_ = FreeClusterBasePort(kMembers);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    const Outcome up = Cli({"up", "--dir", dir_, "--replicas", std::to_string(kMembers),
                            "--etcd-members", "3", "--base-port", std::to_string(base_)},
                           300);
    ASSERT_EQ(up.exit_code, 0) << up.output;
    password_ = ReadAll(dir_ + "/secrets/admin-password");
    while (!password_.empty() && (password_.back() == '\n')) password_.pop_back();
    auto w = Connect(WritePort(), 60);
    ASSERT_NE(w, nullptr) << "no primary behind the write endpoint";
    ASSERT_TRUE(w->Execute("CREATE DATABASE roles").ok());
    ASSERT_TRUE(
        w->Execute("CREATE TABLE roles.t (id BIGINT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB")
            .ok());
    // The writer is an application: the app account has no READ ONLY ADMIN (HA.md), so
    // read_only stops it.
    app_password_ = ReadAll(dir_ + "/secrets/app-password");
    while (!app_password_.empty() && (app_password_.back() == '\n')) app_password_.pop_back();
    std::vector<SampledMember> members;
    for (int i = 0; i < kMembers; ++i) {
      members.push_back({"mysql-" + std::to_string(i), MemberPort(i)});
    }
    sampler_ = std::make_unique<WritableSampler>(members, "admin", password_);
    sampler_->Start();
    writer_ = std::make_unique<AckWriter>(
        "roles.t", [this] { return Connect(WritePort(), 0, "app", app_password_); });
    writer_->Start();
    ASSERT_TRUE(writer_->WaitForProgress(30)) << "the writer makes no progress";
    up_ = true;
  }

  void Finish() {
    if (writer_) writer_->Stop();
    if (sampler_) sampler_->Stop();
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_}, 120);
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str());
    }
  }

  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }

  uint16_t WritePort() const { return static_cast<uint16_t>(base_ - 6); }
  uint16_t MemberPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal); }

  // Retries for up to `wait_s` seconds; nullptr when no connection could be made.
  std::unique_ptr<Connection> Connect(uint16_t port, double wait_s, const std::string& user = "",
                                      const std::string& password = "") {
    return ConnectRetrying(port, user.empty() ? "admin" : user, user.empty() ? password_ : password,
                           wait_s);
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
  // The member named `name` as `status --json` shows it (empty object if absent).
  json MemberStatus(const std::string& name) {
    for (const auto& m : Status().value("members", json::array())) {
      if (m.value("name", "") == name) return m;
    }
    return json::object();
  }
  bool WaitFor(double seconds, const std::function<bool()>& pred) {
    return mysqlset::testing::WaitFor(pred, seconds);
  }

  // Every acknowledged id is on every member, and the table's checksum is the same on all.
  void CheckLedger(const std::string& when) {
    writer_->Pause();
    const std::vector<int64_t> acked = writer_->Acked();
    std::string checksum0;
    for (int i = 0; i < kMembers; ++i) {
      std::set<int64_t> present;
      std::string checksum;
      const bool caught_up = WaitFor(60, [&] {
        auto c = Connect(MemberPort(i), 5);
        if (!c) return false;
        auto rows = c->Query("SELECT id FROM roles.t");
        if (!rows.ok()) return false;
        present.clear();
        for (const auto& r : rows->rows) present.insert(std::stoll(*r[0]));
        for (int64_t id : acked) {
          if (!present.count(id)) return false;
        }
        checksum = QueryValue(*c, "SELECT COUNT(*), SUM(CRC32(CONCAT(id, v))) FROM roles.t");
        return true;
      });
      int64_t missing = 0;
      for (int64_t id : acked) missing += present.count(id) ? 0 : 1;
      EXPECT_TRUE(caught_up) << when << ": mysql-" << i << " lacks " << missing << " of "
                             << acked.size() << " acknowledged ids";
      if (i == 0) checksum0 = checksum;
      EXPECT_EQ(checksum, checksum0) << when << ": mysql-" << i << " differs from mysql-0";
    }
    EXPECT_GT(acked.size(), 0u);
    writer_->Resume();
  }

  void CheckNeverTwoWritable(const std::string& when) {
    const auto v = sampler_->violations();
    std::string all;
    for (const auto& s : v) all += "\n  " + s;
    EXPECT_TRUE(v.empty()) << when << ": more than one member was writable:" << all;
    EXPECT_GT(sampler_->rounds(), 0);
  }

  // The pid of etcd member `i` from state.json, 0 if unknown.
  pid_t EtcdPid(int i) {
    const json s = json::parse(ReadAll(dir_ + "/state.json"), nullptr, false);
    if (s.is_discarded() || !s.contains("etcd")) return 0;
    const auto& e = s["etcd"];
    if (!e.is_array() || static_cast<int>(e.size()) <= i) return 0;
    return e[i].value("pid", 0);
  }
  pid_t AgentPid(const std::string& name) {
    const json s = json::parse(ReadAll(dir_ + "/state.json"), nullptr, false);
    if (s.is_discarded()) return 0;
    for (const auto& m : s.value("members", json::array())) {
      if (m.value("name", "") == name) return m.value("agent_pid", 0);
    }
    return 0;
  }

  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, password_, app_password_;
  bool up_ = false;
  std::unique_ptr<AckWriter> writer_;
  std::unique_ptr<WritableSampler> sampler_;
};

class RolesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new RolesCluster();
    cluster_->Start();
  }
  static void TearDownTestSuite() {
    cluster_->CheckNeverTwoWritable("the whole suite");
    cluster_->Finish();
    delete cluster_;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up_) << "the cluster did not come up"; }
  RolesCluster& c() { return *cluster_; }
  static RolesCluster* cluster_;
};
RolesCluster* RolesTest::cluster_ = nullptr;

TEST_F(RolesTest, SwitchoverToMysql2AndBackLosesNoAcknowledgedWrite) {
  ASSERT_EQ(c().Primary(), "mysql-0");
  const uint64_t epoch = c().Status().value("epoch", uint64_t{0});
  Outcome o = c().Cli({"switchover", "--dir", c().dir_, "--to", "mysql-2"}, 120);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("mysql-0 read-only"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("mysql-2 caught up to"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("mysql-2 is primary"), std::string::npos) << o.output;
  EXPECT_EQ(c().Primary(), "mysql-2");
  EXPECT_GT(c().Status().value("epoch", uint64_t{0}), epoch);
  const json old = c().MemberStatus("mysql-0");
  EXPECT_EQ(old.value("role", ""), "replica") << old.dump();
  EXPECT_TRUE(old.value("ready", false)) << old.dump();
  EXPECT_TRUE(c().writer_->WaitForProgress(30)) << "no writes after the switchover";
  c().CheckLedger("after the switchover to mysql-2");

  o = c().Cli({"switchover", "--dir", c().dir_, "--to", "mysql-0"}, 120);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_EQ(c().Primary(), "mysql-0");
  EXPECT_TRUE(c().writer_->WaitForProgress(30)) << "no writes after the switchover back";
  c().CheckLedger("after the switchover back to mysql-0");
  c().CheckNeverTwoWritable("switchovers");
}

TEST_F(RolesTest, ARefusedSwitchoverChangesNothing) {
  const json before = c().Status();
  const std::string primary = before.value("primary", "");
  ASSERT_FALSE(primary.empty()) << before.dump();
  // An unknown member, and the primary itself.
  for (const std::string& to : {std::string("mysql-9"), primary}) {
    const Outcome o = c().Cli({"switchover", "--dir", c().dir_, "--to", to}, 60);
    EXPECT_EQ(o.exit_code, 1) << o.output;
    EXPECT_EQ(Lines(o.output).size(), 1u) << o.output;
  }
  // A replica whose replication is stopped is not caught up: refused.
  const std::string replica = primary == "mysql-1" ? "mysql-2" : "mysql-1";
  auto r = c().Connect(c().MemberPort(replica == "mysql-1" ? 1 : 2), 10);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->Execute("STOP SLAVE").ok());
  ASSERT_TRUE(c().WaitFor(10, [&] { return !c().MemberStatus(replica).value("ready", true); }));
  const Outcome o = c().Cli({"switchover", "--dir", c().dir_, "--to", replica}, 60);
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_EQ(Lines(o.output).size(), 1u) << o.output;
  EXPECT_EQ(c().Primary(), primary);
  EXPECT_EQ(c().Status().value("epoch", uint64_t{0}), before.value("epoch", uint64_t{0}));
  // The agent restarts replication (it keeps a replica replicating): ready again.
  EXPECT_TRUE(c().WaitFor(30, [&] { return c().MemberStatus(replica).value("ready", false); }));
  EXPECT_TRUE(c().writer_->WaitForProgress(30));
}

TEST_F(RolesTest, KillingOneEtcdMemberChangesNothing) {
  const std::string primary = c().Primary();
  const pid_t etcd = c().EtcdPid(1);
  ASSERT_GT(etcd, 0) << "state.json names no etcd member 1";
  ASSERT_EQ(kill(etcd, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::seconds(5));  // past a lease's TTL
  EXPECT_TRUE(c().writer_->WaitForProgress(10)) << "writes stopped with 2 of 3 etcd members";
  EXPECT_EQ(c().Primary(), primary);
  EXPECT_TRUE(c().WaitFor(30, [&] { return c().EtcdPid(1) != etcd && c().EtcdPid(1) > 0; }))
      << "the supervisor did not restart etcd member 1";
  c().CheckNeverTwoWritable("one etcd member killed");
}

TEST_F(RolesTest, WithoutEtcdQuorumThePrimaryFencesAndThenResumes) {
  const std::string primary = c().Primary();
  ASSERT_FALSE(primary.empty());
  const pid_t a = c().EtcdPid(1), b = c().EtcdPid(2);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  // Frozen, not killed: the supervisor would restart a killed member within a lease's TTL.
  ASSERT_EQ(kill(a, SIGSTOP), 0);
  ASSERT_EQ(kill(b, SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(5));  // ttl 3 s: fenced by now
  const size_t acked = c().writer_->acked_count();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const size_t acked_later = c().writer_->acked_count();
  kill(a, SIGCONT);
  kill(b, SIGCONT);
  EXPECT_EQ(acked_later, acked) << "writes were acknowledged without etcd's quorum";
  EXPECT_TRUE(c().writer_->WaitForProgress(30)) << "writes did not resume with the quorum back";
  EXPECT_EQ(c().Primary(), primary);
  c().CheckLedger("after etcd's quorum came back");
  c().CheckNeverTwoWritable("etcd quorum lost");
}

TEST_F(RolesTest, KillingTheLeadersAgentKeepsOneWritableMember) {
  const std::string primary = c().Primary();
  const pid_t agent = c().AgentPid(primary);
  ASSERT_GT(agent, 0);
  ASSERT_EQ(kill(agent, SIGKILL), 0);
  // The supervisor restarts the agent; the old lease expires; the last leader is elected
  // again (nobody else may campaign while it is registered and the most advanced).
  EXPECT_TRUE(c().writer_->WaitForProgress(60)) << "writes did not resume";
  EXPECT_TRUE(c().WaitFor(30, [&] { return c().Primary() == primary; }));
  c().CheckLedger("after the leader's agent was killed");
  c().CheckNeverTwoWritable("leader's agent killed");
}

}  // namespace
}  // namespace mysqlset::testing
