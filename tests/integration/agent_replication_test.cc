// The agent against two real mariadbd and a real etcd: a primary (the member that takes the
// leader key first), and a replica made from a mariabackup of it. Shows the agent configures
// GTID replication from the backup's position, that readiness tells the truth when the
// primary dies or replication breaks, and recovery; and that a leader's agent killed -9 and
// restarted leads again while the other member never becomes writable (docs/roles.md).

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/gtid.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/etcd_harness.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

// Makes `replica`'s datadir from a mariabackup of `primary`, the way a clone leaves it:
// prepared datadir, clone record with the backup's GTID, completion marker last, and the
// server's empty tmpdir (my.cnf's tmpdir, which the clone step makes).
void MakeReplicaFromBackup(Member& primary, Member& replica) {
  const std::string backup = replica.spec().root + "/backup";
  const std::string opts = replica.spec().root + "/backup.cnf";
  {
    std::ofstream o(opts);
    o << "[mariabackup]\nuser=backup\npassword=" << primary.secrets().backup_password << "\n";
  }
  fs::permissions(opts, fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(RunCommand({"mariabackup", "--defaults-extra-file=" + opts, "--backup",
                        "--target-dir=" + backup, "--host=127.0.0.1",
                        "--port=" + std::to_string(primary.port())},
                       replica.log_file()),
            0);
  ASSERT_EQ(RunCommand({"mariabackup", "--prepare", "--target-dir=" + backup}, replica.log_file()),
            0);
  std::string info = ReadAll(backup + "/xtrabackup_binlog_info");
  if (info.empty()) info = ReadAll(backup + "/mariadb_backup_binlog_info");
  ASSERT_FALSE(info.empty());
  const std::string gtid =
      info.substr(info.rfind('\t') + 1, info.find_last_not_of("\n") - info.rfind('\t'));
  fs::create_directories(replica.data_dir());
  fs::rename(backup, replica.data_dir() + "/mysql");
  std::ofstream(replica.data_dir() + "/.mysqlset-clone.json")
      << nlohmann::json{{"donor", "mysql-0"}, {"gtid", gtid}, {"bytes", 1}, {"seconds", 1}}.dump();
  std::ofstream(replica.data_dir() + "/.mysqlset-complete") << "{}";
  fs::create_directories(replica.data_dir() + "/tmp");
}

class AgentReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreePortBlock(2);
    ASSERT_NE(base_, 0);
    secrets_dir_ = tmp_.path() + "/secrets";
    MakeSecrets(secrets_dir_);
    etcd_ = StartEtcd(tmp_.path() + "/etcd");
    ASSERT_NE(etcd_, nullptr) << EtcdLogTail(tmp_.path() + "/etcd");
    primary_ = std::make_unique<Member>(
        MemberSpec{tmp_.path() + "/m0", "mysql-0", secrets_dir_, "", base_});
    replica_ = std::make_unique<Member>(
        MemberSpec{tmp_.path() + "/m1", "mysql-1", secrets_dir_, "", uint16_t(base_ + 10)});
    ASSERT_EQ(primary_->Init(), 0);
    ASSERT_EQ(primary_->Clone(), 0);
    ASSERT_TRUE(primary_->Start());
    primary_agent_ = MakeAgent(*primary_);
    ASSERT_TRUE(primary_agent_->Start());
    ASSERT_TRUE(WaitFor([&] { return primary_agent_->Get("/readyz").first == 200; }, 20))
        << primary_agent_->Get("/readyz").second;
    admin0_ = primary_->ConnectAdmin();
    ASSERT_NE(admin0_, nullptr);
    ASSERT_TRUE(admin0_->Execute("CREATE DATABASE app").ok());
    ASSERT_TRUE(admin0_->Execute("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))").ok());
    ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (1, 'before backup')").ok());

    ASSERT_EQ(replica_->Init(), 0);
    MakeReplicaFromBackup(*primary_, *replica_);
    // Written after the backup: replication must bring it.
    ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (2, 'after backup')").ok());
    ASSERT_TRUE(replica_->Start());
    replica_agent_ = MakeAgent(*replica_);
    ASSERT_TRUE(replica_agent_->Start());
  }

  // Every agent gets a short stale-read bound (issue 13): tests see both sides of it quickly.
  std::unique_ptr<AgentProcess> MakeAgent(const Member& m) {
    return std::make_unique<AgentProcess>(
        m, base_, 10,
        std::vector<std::string>{"--etcd", etcd_->endpoint(), "--max-stale-read-seconds",
                                 std::to_string(kStaleReadSeconds)});
  }
  static constexpr int kStaleReadSeconds = 5;

  bool ReplicaReady() { return replica_agent_->Get("/readyz").first == 200; }
  std::string ReplicaCount() {
    auto c = replica_->ConnectAdmin();
    return c ? QueryValue(*c, "SELECT COUNT(*) FROM app.t") : "";
  }
  nlohmann::json ReplicaStatusJson() {
    return nlohmann::json::parse(replica_agent_->Get("/v1/status").second, nullptr, false);
  }

  TempDir tmp_;
  std::unique_ptr<EtcdProcess> etcd_;  // declared before the agents: stopped after them
  uint16_t base_ = 0;
  std::string secrets_dir_;
  std::unique_ptr<Member> primary_, replica_;
  std::unique_ptr<AgentProcess> primary_agent_, replica_agent_;
  std::unique_ptr<Connection> admin0_;
};

TEST_F(AgentReplicationTest, ReplicatesSurvivesPrimaryOutageAndReportsSqlErrors) {
  // 1. The agent configures GTID replication from the backup's position.
  ASSERT_TRUE(WaitFor([&] { return ReplicaReady(); }, 30)) << replica_agent_->Get("/readyz").second;
  ASSERT_TRUE(WaitFor([&] { return ReplicaCount() == "2"; }, 10));
  ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (3, 'replicated')").ok());
  ASSERT_TRUE(WaitFor([&] { return ReplicaCount() == "3"; }, 10));
  auto st = ReplicaStatusJson();
  EXPECT_EQ(st["role"], "replica");
  EXPECT_EQ(st["replication"]["using_gtid"], "slave_pos");
  EXPECT_EQ(st["read_only"], true);
  EXPECT_EQ(st["replication"]["source"], "127.0.0.1:" + std::to_string(base_));
  auto rc = replica_->ConnectAdmin();
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(QueryValue(*rc, "SELECT @@read_only"), "1");

  // 2. Primary stops: the caught-up replica serves possibly stale reads for the bound (issue
  //    13), then is not ready and says why; it is still live.
  admin0_.reset();
  const auto stopped_at = std::chrono::steady_clock::now();
  primary_->Stop();
  std::string stale;
  EXPECT_TRUE(WaitFor(
      [&] {
        const auto r = replica_agent_->Get("/readyz");
        stale = r.second;
        return r.first == 200 && r.second.find("serving possibly stale reads") != std::string::npos;
      },
      10))
      << stale;
  EXPECT_EQ(replica_agent_->Get("/replica").first, 200);
  ASSERT_TRUE(WaitFor([&] { return !ReplicaReady(); }, 15));
  // The bound counts from the last tick (300 ms) that saw the IO thread run.
  EXPECT_GE(std::chrono::steady_clock::now() - stopped_at,
            std::chrono::seconds(kStaleReadSeconds - 1));
  const auto ready = replica_agent_->Get("/readyz");
  EXPECT_EQ(ready.first, 503);
  EXPECT_NE(ready.second.find("IO"), std::string::npos) << ready.second;
  EXPECT_NE(ready.second.find("over the 5 s stale-read limit"), std::string::npos) << ready.second;
  EXPECT_EQ(replica_agent_->Get("/healthz").first, 200);
  EXPECT_EQ(primary_agent_->Get("/healthz").first, 503);
  EXPECT_EQ(primary_agent_->Get("/livez").first, 200);

  // 3. Primary back: replica recovers and replicates new writes.
  ASSERT_TRUE(primary_->Start());
  admin0_ = primary_->ConnectAdmin();
  ASSERT_NE(admin0_, nullptr);
  ASSERT_TRUE(WaitFor([&] { return primary_agent_->Get("/readyz").first == 200; }, 20));
  ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (4, 'after restart')").ok());
  ASSERT_TRUE(WaitFor([&] { return ReplicaCount() == "4" && ReplicaReady(); }, 40))
      << replica_agent_->Get("/readyz").second;

  // 4. A row that exists only on the replica makes the next event fail: not ready, the
  //    error is reported, and the agent never skips it.
  ASSERT_TRUE(rc->Execute("SET SESSION sql_log_bin = 0").ok());
  ASSERT_TRUE(rc->Execute("INSERT INTO app.t VALUES (5, 'replica only')").ok());
  ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (5, 'conflict')").ok());
  ASSERT_TRUE(WaitFor([&] { return !ReplicaReady(); }, 15));
  EXPECT_NE(replica_agent_->Get("/readyz").second.find("SQL error 1062"), std::string::npos)
      << replica_agent_->Get("/readyz").second;
  ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (6, 'queued')").ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_FALSE(ReplicaReady());
  EXPECT_EQ(QueryValue(*rc, "SELECT v FROM app.t WHERE id = 5"), "replica only");
  EXPECT_EQ(QueryValue(*rc, "SELECT COUNT(*) FROM app.t WHERE id = 6"), "0") << "event was skipped";
  st = ReplicaStatusJson();
  EXPECT_NE(st["replication_error"].get<std::string>().find("1062"), std::string::npos);
  const std::string metrics = replica_agent_->Get("/metrics").second;
  EXPECT_NE(metrics.find("mysqlset_replication_errors_total{cluster=\"mysql\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("mysqlset_ready{cluster=\"mysql\"} 0"), std::string::npos);

  // An operator fixes it by hand; the agent then resumes and the replica catches up.
  ASSERT_TRUE(rc->Execute("DELETE FROM app.t WHERE id = 5").ok());
  ASSERT_TRUE(rc->Execute("START SLAVE").ok());
  ASSERT_TRUE(WaitFor([&] { return ReplicaCount() == "6" && ReplicaReady(); }, 20));
}

// Issue 18, finding 5: after `STOP SLAVE; RESET SLAVE ALL` by hand on a replica far past its
// clone's GTID, the agent took it for "first start after clone" and set gtid_slave_pos back
// to the clone's GTID (error 1950, re-clone). Now replication resumes from the server's own
// position, runs without error, new rows arrive, and gtid_slave_pos never goes backwards.
// Then again with gtid_slave_pos emptied too: the binlog still says where the data is.
TEST_F(AgentReplicationTest, ResetSlaveAllByHandNeverMovesGtidSlavePosBackwards) {
  ASSERT_TRUE(WaitFor([&] { return ReplicaReady(); }, 30)) << replica_agent_->Get("/readyz").second;
  for (int i = 10; i < 60; ++i) {
    ASSERT_TRUE(admin0_->Execute("INSERT INTO app.t VALUES (" + std::to_string(i) + ", 'x')").ok());
  }
  ASSERT_TRUE(WaitFor([&] { return ReplicaCount() == "52"; }, 20));
  const auto clone = nlohmann::json::parse(ReadAll(replica_->data_dir() + "/.mysqlset-clone.json"));
  const uint64_t clone_seq = GtidList::Parse(clone["gtid"].get<std::string>())->SeqOf(0);
  auto rc = replica_->ConnectAdmin();
  ASSERT_NE(rc, nullptr);
  auto slave_seq = [&]() -> uint64_t {
    auto c = replica_->ConnectAdmin();
    if (!c) return UINT64_MAX;  // not answering: no sample
    return GtidList::Parse(QueryValue(*c, "SELECT @@global.gtid_slave_pos"))->SeqOf(0);
  };
  int next_id = 60;
  for (const bool empty_slave_pos : {false, true}) {
    SCOPED_TRACE(empty_slave_pos ? "gtid_slave_pos emptied too" : "RESET SLAVE ALL");
    const uint64_t before = slave_seq();
    ASSERT_GT(before, clone_seq + 40) << "the replica must be far past its clone's GTID";
    ASSERT_TRUE(rc->Execute("STOP SLAVE").ok());
    ASSERT_TRUE(rc->Execute("RESET SLAVE ALL").ok());
    if (empty_slave_pos) {
      // gtid_strict_mode refuses a gtid_slave_pos behind the binlog; an operator lifts it.
      ASSERT_TRUE(rc->Execute("SET GLOBAL gtid_strict_mode = 0").ok());
      ASSERT_TRUE(rc->Execute("SET GLOBAL gtid_slave_pos = ''").ok());
      ASSERT_TRUE(rc->Execute("SET GLOBAL gtid_strict_mode = 1").ok());
    }
    const uint64_t floor = empty_slave_pos ? 0 : before;
    for (int i = 0; i < 5; ++i, ++next_id) {
      ASSERT_TRUE(
          admin0_
              ->Execute("INSERT INTO app.t VALUES (" + std::to_string(next_id) + ", 'after reset')")
              .ok());
    }
    uint64_t lowest = UINT64_MAX;
    const bool caught_up = WaitFor(
        [&] {
          lowest = std::min(lowest, slave_seq());
          return ReplicaCount() == std::to_string(next_id - 8) && ReplicaReady();
        },
        30);
    EXPECT_TRUE(caught_up) << replica_agent_->Get("/readyz").second;
    EXPECT_GE(lowest, floor) << "gtid_slave_pos went backwards";
    EXPECT_GT(slave_seq(), before) << "new transactions applied";
    const auto st = ReplicaStatusJson();
    EXPECT_EQ(st["replication"]["using_gtid"], "slave_pos") << st.dump();
    EXPECT_TRUE(st["replication_error"].is_null() || st["replication_error"] == "") << st.dump();
    EXPECT_EQ(QueryValue(*rc, "SELECT COUNT(*) FROM app.t WHERE v = 'after reset'"),
              std::to_string(next_id - 60));
  }
  const std::string log = ReadAll(replica_->spec().root + "/agent.log");
  EXPECT_EQ(log.find("1950"), std::string::npos) << "out-of-order GTID error in the agent log";
}

// Issue #18 review: datadirs bootstrapped before install-db's unix_socket superusers were
// dropped at bootstrap still had root@localhost (ALL PRIVILEGES, no password for any process
// of that OS user). The primary's agent drops it, the DROP replicates, replication keeps
// running, and accounts that are not install-db's stay.
TEST_F(AgentReplicationTest, ClusterBootstrappedBeforeTheFixLosesItsSocketSuperusers) {
  ASSERT_TRUE(WaitFor([&] { return ReplicaReady(); }, 30)) << replica_agent_->Get("/readyz").second;
  // As mariadb-install-db creates it (mysql_system_tables_data.sql).
  ASSERT_TRUE(admin0_
                  ->Execute("CREATE USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password "
                            "USING 'invalid' OR unix_socket")
                  .ok());
  ASSERT_TRUE(
      admin0_->Execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION").ok());
  // Not install-db's: a user's own accounts, socket-authenticated or not, are never touched.
  ASSERT_TRUE(admin0_->Execute("CREATE USER 'ops'@'localhost' IDENTIFIED VIA unix_socket").ok());
  ASSERT_TRUE(admin0_->Execute("CREATE USER 'root'@'10.0.0.1' IDENTIFIED BY 'pw-of-a-user'").ok());
  auto count = [](Connection& c, const std::string& user, const std::string& host) {
    return QueryValue(c, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = '" + user +
                             "' AND Host = '" + host + "'");
  };
  auto rc = replica_->ConnectAdmin();
  ASSERT_NE(rc, nullptr);
  EXPECT_TRUE(WaitFor([&] { return count(*admin0_, "root", "localhost") == "0"; }, 20))
      << "the primary's agent never dropped root@localhost";
  EXPECT_TRUE(WaitFor([&] { return count(*rc, "root", "localhost") == "0"; }, 20))
      << "the DROP did not replicate";
  for (Connection* c : {admin0_.get(), rc.get()}) {
    EXPECT_EQ(count(*c, "ops", "localhost"), "1");
    EXPECT_EQ(count(*c, "root", "10.0.0.1"), "1");
  }
  EXPECT_TRUE(WaitFor([&] { return ReplicaReady(); }, 10)) << replica_agent_->Get("/readyz").second;
  EXPECT_NE(ReadAll(primary_->spec().root + "/agent.log").find("dropped passwordless unix_socket"),
            std::string::npos);
}

TEST_F(AgentReplicationTest, SecretsStayOutOfStatusMetricsAndArgv) {
  ASSERT_TRUE(WaitFor([&] { return ReplicaReady(); }, 30));
  const std::string status = replica_agent_->Get("/v1/status").second;
  const std::string metrics = replica_agent_->Get("/metrics").second;
  const std::string cmdline =
      ReadAll("/proc/" + std::to_string(replica_agent_->pid()) + "/cmdline");
  const std::string logs = ReadAll(replica_->spec().root + "/agent.log");
  for (const auto& secret : SecretValues(replica_->secrets())) {
    EXPECT_EQ(status.find(secret), std::string::npos);
    EXPECT_EQ(metrics.find(secret), std::string::npos);
    EXPECT_EQ(cmdline.find(secret), std::string::npos);
    EXPECT_EQ(logs.find(secret), std::string::npos);
  }
}

// Samples @@read_only on each member every 50 ms on connections of its own, until stopped.
class ReadOnlySampler {
 public:
  explicit ReadOnlySampler(std::vector<Member*> members) : members_(std::move(members)) {
    writable_samples_.resize(members_.size());
    thread_ = std::thread([this] { Run(); });
  }
  ~ReadOnlySampler() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int writable_samples(size_t i) const { return writable_samples_[i]; }
  int both_writable() const { return both_writable_; }
  int rounds() const { return rounds_; }

 private:
  void Run() {
    std::vector<std::unique_ptr<Connection>> conns(members_.size());
    for (int round = 0; !stop_ && round < 20 * 120; ++round) {  // two minutes at most
      int writable = 0;
      for (size_t i = 0; i < members_.size(); ++i) {
        if (!conns[i]) conns[i] = members_[i]->ConnectAdmin();
        const std::string ro = conns[i] ? QueryValue(*conns[i], "SELECT @@global.read_only") : "";
        if (ro.empty()) conns[i].reset();  // down or restarting: reconnect next round
        if (ro == "0") {
          ++writable_samples_[i];
          ++writable;
        }
      }
      if (writable > 1) ++both_writable_;
      ++rounds_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::vector<Member*> members_;
  std::vector<int> writable_samples_;
  std::atomic<int> both_writable_{0}, rounds_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Issue 12: kill -9 of the leader's agent. Its mariadbd stays writable (nobody fences it),
// the leader key expires with the agent's lease, and the replica waits for the last leader
// instead of taking over (automatic failover is issue 13's). The restarted agent cannot renew
// the old lease, so it fences its server until the old key expires, then is elected again.
TEST_F(AgentReplicationTest, LeaderAgentKilledAndRestartedLeadsAgainAndTheReplicaNeverWrites) {
  ASSERT_TRUE(WaitFor([&] { return ReplicaReady(); }, 30)) << replica_agent_->Get("/readyz").second;
  EXPECT_EQ(primary_agent_->Get("/primary").first, 200) << primary_agent_->Get("/primary").second;
  EXPECT_EQ(primary_agent_->Get("/replica").first, 503);
  EXPECT_EQ(replica_agent_->Get("/primary").first, 503);
  EXPECT_EQ(replica_agent_->Get("/replica").first, 200) << replica_agent_->Get("/replica").second;
  const auto before = nlohmann::json::parse(primary_agent_->Get("/v1/status").second);
  EXPECT_EQ(before["leader"], "mysql-0");
  EXPECT_EQ(before["decision"], "lead");
  const uint64_t epoch = before["epoch"].get<uint64_t>();
  EXPECT_GE(epoch, 1u);

  ReadOnlySampler sampler({primary_.get(), replica_.get()});
  ASSERT_EQ(kill(primary_agent_->pid(), SIGKILL), 0);
  primary_agent_->Stop();  // reaps it
  // Past the lease's TTL (3 s): the leader key is gone; the replica waits for mysql-0.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto st = ReplicaStatusJson();
        return st.is_object() && st["leader"] == "" && st["decision"] == "wait";
      },
      10))
      << replica_agent_->Get("/v1/status").second;
  std::this_thread::sleep_for(std::chrono::seconds(2));

  primary_agent_ = MakeAgent(*primary_);
  ASSERT_TRUE(primary_agent_->Start());
  ASSERT_TRUE(WaitFor([&] { return primary_agent_->Get("/primary").first == 200; }, 20))
      << primary_agent_->Get("/primary").second;
  EXPECT_TRUE(WaitFor([&] { return ReplicaReady(); }, 20)) << replica_agent_->Get("/readyz").second;
  sampler.Stop();

  EXPECT_GT(sampler.rounds(), 40);
  EXPECT_EQ(sampler.writable_samples(1), 0) << "the replica was writable";
  EXPECT_EQ(sampler.both_writable(), 0);
  EXPECT_GT(sampler.writable_samples(0), 0);
  const auto after = nlohmann::json::parse(primary_agent_->Get("/v1/status").second);
  EXPECT_EQ(after["leader"], "mysql-0");
  EXPECT_EQ(after["epoch"].get<uint64_t>(), epoch + 1) << "elected again: a new epoch";
  auto admin = primary_->ConnectAdmin();  // the fence killed the admin sessions of before
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(admin->Execute("INSERT INTO app.t VALUES (50, 'after the restart')").ok());
  EXPECT_TRUE(WaitFor([&] { return ReplicaCount() == "3"; }, 20)) << ReplicaCount();
}

}  // namespace
}  // namespace mysqlset::testing
