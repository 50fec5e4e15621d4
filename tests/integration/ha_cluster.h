#pragma once
// A local cluster for the HA tests (roles_test, failover_test): 3 members and 3 etcd
// members brought up through the real CLI, an application account, a writer that records
// every acknowledged insert into `db`.t through the write endpoint, and a sampler that reads
// read_only on every member every 50 ms (ha_probes.h). CheckLedger: every acknowledged id on
// every member, with equal checksums.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/ha_probes.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {

namespace ha_cluster_detail {
namespace fs = std::filesystem;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

inline constexpr int kMembers = 3;

class HaCluster {
 public:
  // `db`: the database the writer's table `db`.t lives in.
  explicit HaCluster(std::string db) : db_(std::move(db)) {}

  // `semi_sync`: lossless semi-sync and automatic failover, `up`'s default; false passes
  // `--no-semi-sync`.
  void Start(bool semi_sync = true) {
    base_ = FreeClusterBasePort(kMembers);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    std::vector<std::string> args = {"up",
                                     "--dir",
                                     dir_,
                                     "--replicas",
                                     std::to_string(kMembers),
                                     "--etcd-members",
                                     "3",
                                     "--base-port",
                                     std::to_string(base_)};
    if (!semi_sync) args.push_back("--no-semi-sync");
    const Outcome up = Cli(args, 300);
    ASSERT_EQ(up.exit_code, 0) << up.output;
    password_ = ReadAll(dir_ + "/secrets/admin-password");
    while (!password_.empty() && (password_.back() == '\n')) password_.pop_back();
    auto w = Connect(WritePort(), 60);
    ASSERT_NE(w, nullptr) << "no primary behind the write endpoint";
    ASSERT_TRUE(w->Execute("CREATE DATABASE " + db_).ok());
    ASSERT_TRUE(w->Execute("CREATE TABLE " + db_ +
                           ".t (id BIGINT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB")
                    .ok());
    // The writer is an application: the app account has no READ ONLY ADMIN (HA.md), so
    // read_only stops it.
    app_password_ = ReadAll(dir_ + "/secrets/app-password");
    while (!app_password_.empty() && (app_password_.back() == '\n')) app_password_.pop_back();
    std::vector<SampledMember> members;
    for (int i = 0; i < kMembers; ++i) {
      members.push_back({"mysql-" + std::to_string(i), MemberPort(i)});
    }
    ASSERT_TRUE(w->Execute("CREATE TABLE " + db_ +
                           ".writable_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, member "
                           "VARCHAR(32)) ENGINE=InnoDB")
                    .ok());
    sampler_ = std::make_unique<WritableSampler>(
        members, "admin", password_, ProbeWriter{"app", app_password_, db_ + ".writable_probe"});
    sampler_->Start();
    writer_ = std::make_unique<AckWriter>(
        db_ + ".t", [this] { return Connect(WritePort(), 0, "app", app_password_); });
    writer_->Start();
    ASSERT_TRUE(writer_->WaitForProgress(30)) << "the writer makes no progress";
    up_ = true;
  }

  void Finish() {
    if (writer_) writer_->Stop();
    if (sampler_) sampler_->Stop();
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_}, 120);
    // From TearDownTestSuite, HasFailure() no longer sees the suite's failed tests.
    const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
    if (::testing::Test::HasFailure() || (suite != nullptr && suite->Failed())) {
      std::fprintf(stderr, "--- supervisor.log ---\n%s\n",
                   ReadAll(dir_ + "/supervisor.log").c_str());
      // Each agent's decisions, which supervisor.log does not show.
      for (int i = 0; i < kMembers; ++i) {
        const std::string log = dir_ + "/members/mysql-" + std::to_string(i) + "/logs/agent.log";
        std::fprintf(stderr, "--- the last 40 lines of %s ---\n%s\n", log.c_str(),
                     LastLines(ReadAll(log), 40).c_str());
      }
    }
  }

  static std::string LastLines(const std::string& text, int n) {
    size_t pos = text.size();
    while (n-- > 0 && pos > 0) {
      const size_t nl = text.rfind('\n', pos - 1);
      if (nl == std::string::npos) return text;
      pos = nl;
    }
    return text.substr(pos);
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
        auto rows = c->Query("SELECT id FROM " + db_ + ".t");
        if (!rows.ok()) return false;
        present.clear();
        for (const auto& r : rows->rows) present.insert(std::stoll(*r[0]));
        for (int64_t id : acked) {
          if (!present.count(id)) return false;
        }
        checksum = QueryValue(*c, "SELECT COUNT(*), SUM(CRC32(CONCAT(id, v))) FROM " + db_ + ".t");
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
    EXPECT_TRUE(v.empty()) << when << ": more than one member acknowledged writes:" << all;
    // Writable together without both acknowledging (a member frozen whole, in the instant
    // after it resumes): shown, as it is what the sampler saw.
    const auto overlaps = sampler_->overlaps();
    for (; overlaps_shown_ < overlaps.size(); ++overlaps_shown_) {
      std::fprintf(stderr, "%s: %s\n", when.c_str(), overlaps[overlaps_shown_].c_str());
    }
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

  const std::string db_;
  TempDir tmp_;
  uint16_t base_ = 0;
  std::string dir_, password_, app_password_;
  bool up_ = false;
  std::unique_ptr<AckWriter> writer_;
  std::unique_ptr<WritableSampler> sampler_;
  size_t overlaps_shown_ = 0;  // CheckNeverTwoWritable prints each overlap once
};

}  // namespace ha_cluster_detail
using ha_cluster_detail::HaCluster;
using ha_cluster_detail::kMembers;

}  // namespace mysqlset::testing
