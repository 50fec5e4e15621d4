// Issue 13 deliverable 1 on real local clusters: lossless semi-sync. On 3 members the leader
// names one sync replica in the store; that replica acks (slave side on), the primary waits
// (master side on, one client), and an acknowledged insert is in the sync replica's relay log
// the moment it is acknowledged. Freezing the sync replica (SIGSTOP of its mariadbd and its
// agent) makes writes wait until the leader designates the other replica; then they are
// acknowledged again and nothing acknowledged is lost. Killing the sync replica's mariadbd
// under two clients leaves neither stuck. A `--replicas 1` cluster keeps semi-sync off and
// accepts writes.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "core/gtid.h"
#include "etcd/etcd_store.h"
#include "fmt/format.h"
#include "formats/store_records.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/ha_probes.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

class Cluster {
 public:
  // `mysqlset up` with `replicas` members and one etcd member; false on failure.
  void Up(int replicas) {
    replicas_ = replicas;
    base_ = FreeClusterBasePort(replicas);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    const Outcome up =
        Cli({"up", "--dir", dir_, "--replicas", std::to_string(replicas), "--etcd-members", "1",
             "--base-port", std::to_string(base_), "--semi-sync"},
            300);
    ASSERT_EQ(up.exit_code, 0) << up.output;
    password_ = ReadAll(dir_ + "/secrets/admin-password");
    while (!password_.empty() && password_.back() == '\n') password_.pop_back();
    auto store = etcd::OpenEtcdStore(fmt::format("http://127.0.0.1:{}", base_ - 16));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  ~Cluster() {
    if (!dir_.empty() && ReadAll(dir_ + "/cluster.json").size() > 0) {
      Cli({"down", "--dir", dir_}, 120);
    }
  }

  Outcome Cli(std::vector<std::string> args, double timeout_s = 120) {
    args.insert(args.begin(), MysqlsetBinary());
    return RunCmd(args, {}, timeout_s);
  }
  uint16_t WritePort() const { return static_cast<uint16_t>(base_ - 6); }
  uint16_t MemberPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal); }
  std::unique_ptr<Connection> Connect(uint16_t port, double wait_s, const std::string& user = "",
                                      const std::string& password = "") {
    return ConnectRetrying(port, user.empty() ? "admin" : user, user.empty() ? password_ : password,
                           wait_s);
  }
  // A query on member `ordinal`'s server ("" when it does not answer).
  std::string Value(int ordinal, const std::string& sql) {
    auto c = Connect(MemberPort(ordinal), 2);
    return c ? QueryValue(*c, sql) : "";
  }
  std::string SyncKey() {
    auto v = store_->Get(formats::StoreKeys("mysql").Sync());
    if (!v.ok() || !*v) return "<absent>";
    auto r = formats::FromJson<formats::SyncRecord>((*v)->value);
    return r.ok() ? r->name : "<garbled>";
  }
  std::string Primary() {
    const Outcome o = Cli({"status", "--dir", dir_, "--json"}, 30);
    const json s = json::parse(o.output, nullptr, false);
    return !s.is_discarded() && s.contains("primary") && s["primary"].is_string()
               ? s["primary"].get<std::string>()
               : "";
  }
  json MemberState(const std::string& name) {
    const json s = json::parse(ReadAll(dir_ + "/state.json"), nullptr, false);
    if (s.is_discarded()) return json::object();
    for (const auto& m : s.value("members", json::array())) {
      if (m.value("name", "") == name) return m;
    }
    return json::object();
  }
  static int Ordinal(const std::string& name) {
    return std::stoi(name.substr(name.rfind('-') + 1));
  }

  TempDir tmp_;
  int replicas_ = 0;
  uint16_t base_ = 0;
  const std::string& dir() const { return dir_; }
  std::string dir_, password_;
  std::unique_ptr<CoordStore> store_;
};

TEST(SemiSyncTest, OneSyncReplicaAcksAndIsReplacedWhenItIsFrozen) {
  Cluster c;
  ASSERT_NO_FATAL_FAILURE(c.Up(3));
  auto w = c.Connect(c.WritePort(), 60);
  ASSERT_NE(w, nullptr) << "no primary behind the write endpoint";
  ASSERT_TRUE(w->Execute("CREATE DATABASE semi").ok());
  ASSERT_TRUE(
      w->Execute("CREATE TABLE semi.t (id BIGINT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB").ok());
  // The writer is an application: the app account mysqlset creates (no READ ONLY ADMIN).
  std::string app_pw = ReadAll(c.dir() + "/secrets/app-password");
  while (!app_pw.empty() && app_pw.back() == '\n') app_pw.pop_back();
  const std::string primary = c.Primary();
  ASSERT_FALSE(primary.empty());
  const int p = Cluster::Ordinal(primary);

  // 1. One sync replica, named in the store, acks; the primary waits for it.
  std::string sync;
  ASSERT_TRUE(WaitFor(
      [&] {
        sync = c.SyncKey();
        if (sync.rfind("mysql-", 0) != 0 || sync == primary) return false;
        const int s = Cluster::Ordinal(sync);
        return c.Value(s, "SELECT @@global.rpl_semi_sync_slave_enabled") == "1" &&
               c.Value(s,
                       "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                       "VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'") == "ON" &&
               c.Value(p, "SELECT @@global.rpl_semi_sync_master_enabled") == "1" &&
               c.Value(p,
                       "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                       "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'") == "1";
      },
      60))
      << "sync key: " << c.SyncKey();
  const int s = Cluster::Ordinal(sync);
  int other = -1;
  for (int i = 0; i < 3; ++i) {
    if (i != p && i != s) other = i;
  }
  EXPECT_EQ(c.Value(other, "SELECT @@global.rpl_semi_sync_slave_enabled"), "0")
      << "only the designated replica acks";
  EXPECT_EQ(c.Value(s, "SELECT @@global.rpl_semi_sync_master_enabled"), "0");

  // 2. An acknowledged insert is on the sync replica (received) when it is acknowledged.
  ASSERT_TRUE(w->Execute("INSERT INTO semi.t VALUES (-1, 'acked')").ok());
  const GtidList at_ack =
      GtidList::Parse(QueryValue(*w, "SELECT @@global.gtid_binlog_pos")).value();
  {
    auto sc = c.Connect(c.MemberPort(s), 5);
    ASSERT_NE(sc, nullptr);
    auto status = sc->Query("SHOW SLAVE STATUS");
    ASSERT_TRUE(status.ok());
    ASSERT_EQ(status->rows.size(), 1u);
    std::string io_pos;
    for (size_t i = 0; i < status->columns.size(); ++i) {
      if (status->columns[i] == "Gtid_IO_Pos") io_pos = status->rows[0][i].value_or("");
    }
    EXPECT_TRUE(GtidList::Parse(io_pos).value().Covers(at_ack))
        << "the sync replica received " << io_pos << ", the primary acknowledged "
        << at_ack.ToString();
  }

  // 3. Freeze the sync replica's member: writes wait, then go on with the other replica.
  AckWriter writer("semi.t", [&] { return c.Connect(c.WritePort(), 0, "app", app_pw); });
  writer.Start();
  ASSERT_TRUE(writer.WaitForProgress(30)) << "the writer makes no progress";
  const json frozen = c.MemberState(sync);
  const pid_t agent = frozen.value("agent_pid", 0), mariadbd = frozen.value("mariadbd_pid", 0);
  ASSERT_GT(agent, 0);
  ASSERT_GT(mariadbd, 0);
  ASSERT_EQ(kill(agent, SIGSTOP), 0);
  ASSERT_EQ(kill(mariadbd, SIGSTOP), 0);
  const auto frozen_at = steady_clock::now();
  // Its member key lives 3 s: meanwhile nobody else may ack, so commits wait.
  std::this_thread::sleep_for(milliseconds(1500));
  const std::string waiting = c.Value(p,
                                      "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                      "WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_WAIT_SESSIONS'");
  const size_t acked_before = writer.acked_count();
  EXPECT_TRUE(WaitFor([&] { return c.SyncKey() == "mysql-" + std::to_string(other); }, 30))
      << "the leader did not designate mysql-" << other << "; sync key: " << c.SyncKey();
  EXPECT_TRUE(WaitFor([&] { return writer.acked_count() > acked_before; }, 30))
      << "writes are not acknowledged with the other replica";
  const double resumed_s = std::chrono::duration<double>(steady_clock::now() - frozen_at).count();
  std::fprintf(stderr,
               "writes waiting 1.5 s after the freeze: %s; acknowledged again %.1f s after\n",
               waiting.c_str(), resumed_s);
  EXPECT_NE(waiting, "0") << "writes were acknowledged while no designated replica could ack";
  EXPECT_EQ(c.Value(other, "SELECT @@global.rpl_semi_sync_slave_enabled"), "1");

  // 4. Thawed, the old one stops acking (the key names the other) and catches up; nothing
  // acknowledged is lost anywhere.
  ASSERT_EQ(kill(mariadbd, SIGCONT), 0);
  ASSERT_EQ(kill(agent, SIGCONT), 0);
  EXPECT_TRUE(WaitFor(
      [&] { return c.Value(s, "SELECT @@global.rpl_semi_sync_slave_enabled") == "0"; }, 30));
  EXPECT_TRUE(WaitFor(
      [&] {
        return c.Value(p,
                       "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                       "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'") == "1";
      },
      30));
  ASSERT_TRUE(writer.WaitForProgress(30));

  // 5. Two clients, and the sync replica's mariadbd killed (-9): its restart purges the relay
  // log, and the other replica, which received the waiting commits asynchronously, may never
  // ack them while a second commit holds the binlog (docs/roles.md "Semi-sync", stuck
  // commits). Both clients must progress again; a released commit's client sees its
  // connection lost (outcome unknown), never an acknowledgement without a copy.
  ASSERT_TRUE(w->Execute("CREATE TABLE semi.t2 (id BIGINT PRIMARY KEY, v VARCHAR(32)) "
                         "ENGINE=InnoDB")
                  .ok());
  AckWriter writer2("semi.t2", [&] { return c.Connect(c.WritePort(), 0, "app", app_pw); });
  writer2.Start();
  ASSERT_TRUE(writer2.WaitForProgress(30)) << "the second writer makes no progress";
  ASSERT_EQ(c.SyncKey(), "mysql-" + std::to_string(other));
  const pid_t killed = c.MemberState("mysql-" + std::to_string(other)).value("mariadbd_pid", 0);
  ASSERT_GT(killed, 0);
  ASSERT_EQ(kill(killed, SIGKILL), 0);
  const auto killed_at = steady_clock::now();
  const size_t acked1 = writer.acked_count(), acked2 = writer2.acked_count();
  const bool progressed =
      WaitFor([&] { return writer.acked_count() > acked1 && writer2.acked_count() > acked2; }, 90);
  const double progressed_s =
      std::chrono::duration<double>(steady_clock::now() - killed_at).count();
  const std::string primary_log = ReadAll(c.dir() + "/members/" + primary + "/logs/agent.log");
  const bool released = primary_log.find("stuck commits released") != std::string::npos;
  std::fprintf(stderr,
               "sync replica killed: both writers acknowledged again %.1f s after (stuck commits "
               "released: %s; outcomes unknown: %zu)\n",
               progressed_s, released ? "yes" : "no",
               writer.Unknown().size() + writer2.Unknown().size());
  EXPECT_TRUE(progressed) << "a writer is stuck after the sync replica's mariadbd was killed; "
                          << "primary's agent log tail:\n"
                          << primary_log.substr(
                                 primary_log.size() > 4000 ? primary_log.size() - 4000 : 0);
  writer.Stop();
  writer2.Stop();
  const std::vector<int64_t> acked = writer.Acked();
  EXPECT_GT(acked.size(), 0u);
  std::string checksum0;
  for (int i = 0; i < 3; ++i) {
    std::set<int64_t> present;
    std::string checksum;
    const auto has_all = [&](Connection& mc, const std::string& table,
                             const std::vector<int64_t>& ids) {
      auto rows = mc.Query("SELECT id FROM " + table);
      if (!rows.ok()) return false;
      present.clear();
      for (const auto& r : rows->rows) present.insert(std::stoll(*r[0]));
      for (int64_t id : ids) {
        if (!present.count(id)) return false;
      }
      return true;
    };
    const bool all = WaitFor(
        [&] {
          auto mc = c.Connect(c.MemberPort(i), 5);
          if (!mc) return false;
          if (!has_all(*mc, "semi.t2", writer2.Acked())) return false;
          if (!has_all(*mc, "semi.t", acked) || !present.count(-1)) return false;
          checksum = QueryValue(*mc,
                                "SELECT CONCAT_WS(' / ', (SELECT CONCAT(COUNT(*), ':', "
                                "SUM(CRC32(CONCAT(id, v)))) FROM semi.t), (SELECT "
                                "CONCAT(COUNT(*), ':', SUM(CRC32(CONCAT(id, v)))) FROM semi.t2))");
          return true;
        },
        90);
    EXPECT_TRUE(all) << "mysql-" << i << " lacks acknowledged rows";
    if (i == 0) checksum0 = checksum;
    EXPECT_EQ(checksum, checksum0) << "mysql-" << i << " differs from mysql-0";
  }
}

TEST(SemiSyncTest, ASingleMemberClusterKeepsSemiSyncOffAndAcceptsWrites) {
  Cluster c;
  ASSERT_NO_FATAL_FAILURE(c.Up(1));
  auto w = c.Connect(c.WritePort(), 60);
  ASSERT_NE(w, nullptr) << "no primary behind the write endpoint";
  // A statement that would wait for ever with semi-sync on and nobody to ack.
  ASSERT_TRUE(w->Execute("SET SESSION max_statement_time = 20").ok());
  ASSERT_TRUE(w->Execute("CREATE DATABASE single").ok());
  ASSERT_TRUE(w->Execute("CREATE TABLE single.t (id INT PRIMARY KEY) ENGINE=InnoDB").ok());
  ASSERT_TRUE(w->Execute("INSERT INTO single.t VALUES (1)").ok());
  EXPECT_EQ(QueryValue(*w, "SELECT @@global.rpl_semi_sync_master_enabled"), "0");
  EXPECT_EQ(c.SyncKey(), "<absent>");
}

}  // namespace
}  // namespace mysqlset::testing
