// The local cluster end to end, through the real CLI: the seed's walkthrough.
//   up (3 members) -> write through the write endpoint -> reads are served by all three ->
//   kill -9 a replica's mariadbd: it leaves the read endpoint, is restarted and rejoins ->
//   scale 5: new members clone and have the rows -> scale 2: data dirs kept -> scale 3:
//   mysql-2 rejoins from its kept data without a clone -> down, up: all data still there ->
//   down --purge.
// The cluster is always brought down when the test ends, pass or fail.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

constexpr int kRows = 50;

bool WaitFor(std::chrono::seconds limit, const std::function<bool()>& cond) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return cond();
}

class LocalClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = FreeClusterBasePort(5);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    log_ = tmp_.path() + "/cli.log";
  }
  void TearDown() override {
    // Whatever happened, leave nothing running.
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_});
    if (HasFailure()) {
      std::fprintf(stderr, "--- CLI output ---\n%s\n--- supervisor.log ---\n%s\n",
                   ReadAll(log_).c_str(), ReadAll(dir_ + "/supervisor.log").c_str());
    }
  }

  // Runs `mysqlset ARGS`; returns the exit code; output in `out` (and in the test's log).
  int Cli(std::vector<std::string> args, std::string* out = nullptr) {
    return RunMysqlset(std::move(args), tmp_.path() + "/last.log", log_, out);
  }

  nlohmann::json Status() {
    std::string out;
    if (Cli({"status", "--dir", dir_, "--json"}, &out) != 0) return nullptr;
    try {
      return nlohmann::json::parse(out);
    } catch (...) {
      return nullptr;
    }
  }

  std::string AdminPassword() {
    std::string pw = ReadAll(dir_ + "/secrets/admin-password");
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    return pw;
  }

  std::unique_ptr<Connection> ConnectPort(uint16_t port) {
    ConnectOptions o;
    o.port = port;
    o.user = "admin";
    o.password = AdminPassword();
    o.connect_timeout_s = 2;
    auto c = Connection::Open(o);
    if (!c.ok()) return nullptr;
    return std::move(c).value();
  }
  uint16_t WritePort() const { return static_cast<uint16_t>(base_ - 6); }
  uint16_t ReadPort() const { return static_cast<uint16_t>(base_ - 5); }
  uint16_t MemberPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal); }

  // Rows in app.t as seen directly on member `ordinal` ("" when unreachable).
  std::string RowsOn(int ordinal) {
    auto c = ConnectPort(MemberPort(ordinal));
    return c ? QueryValue(*c, "SELECT COUNT(*) FROM app.t") : "";
  }
  bool EventuallyHasRows(int ordinal, int rows) {
    return WaitFor(std::chrono::seconds(30),
                   [&] { return RowsOn(ordinal) == std::to_string(rows); });
  }

  // server_ids answering `n` fresh connections on the read endpoint.
  std::multiset<std::string> ReadServerIds(int n) {
    std::multiset<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto c = ConnectPort(ReadPort());
      ids.insert(c ? QueryValue(*c, "SELECT @@server_id") : "error");
    }
    return ids;
  }

  void Insert(int from, int to) {
    auto w = ConnectPort(WritePort());
    ASSERT_NE(w, nullptr) << "cannot connect to the write endpoint";
    for (int i = from; i < to; ++i) {
      ASSERT_TRUE(w->Execute("INSERT INTO app.t VALUES (" + std::to_string(i) + ", 'row')").ok());
    }
  }

  TempDir tmp_;
  std::string dir_;
  std::string log_;
  uint16_t base_ = 0;
};

TEST_F(LocalClusterTest, SeedWalkthrough) {
  const std::string base = std::to_string(base_);
  // --- up: three members, OrderedReady, returns when all are ready.
  auto t0 = steady_clock::now();
  std::string out;
  ASSERT_EQ(Cli({"up", "--dir", dir_, "--replicas", "3", "--base-port", base, "--timeout", "240"},
                &out),
            0)
      << out;
  const double up3 = std::chrono::duration<double>(steady_clock::now() - t0).count();
  std::fprintf(stderr, "[timing] up with 3 members: %.1fs\n", up3);
  EXPECT_NE(out.find("--defaults-extra-file=" + dir_ + "/client.cnf"), std::string::npos) << out;
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/client.cnf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto status = Status();
  ASSERT_TRUE(status.is_object());
  ASSERT_EQ(status["members"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& m = status["members"][i];
    EXPECT_EQ(m["name"], "mysql-" + std::to_string(i));
    EXPECT_EQ(m["ready"], true) << m.dump();
    EXPECT_EQ(m["role"], i == 0 ? "primary" : "replica");
    EXPECT_EQ(m["port"], MemberPort(i));
    EXPECT_EQ(m["server_id"], 100 + i);
  }
  EXPECT_EQ(status["endpoints"]["primary"], "127.0.0.1:" + std::to_string(WritePort()));
  EXPECT_EQ(status["endpoints"]["read"], "127.0.0.1:" + std::to_string(ReadPort()));

  // --- writes through the write endpoint land on the primary.
  {
    auto w = ConnectPort(WritePort());
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(QueryValue(*w, "SELECT @@server_id"), "100");
    ASSERT_TRUE(w->Execute("CREATE DATABASE app").ok());
    ASSERT_TRUE(w->Execute("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))").ok());
  }
  Insert(0, kRows);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(EventuallyHasRows(i, kRows)) << "mysql-" << i;

  // --- reads through the read endpoint are served by all three members.
  auto ids = ReadServerIds(12);
  for (const char* id : {"100", "101", "102"}) EXPECT_GE(ids.count(id), 1u) << id;
  EXPECT_EQ(ids.count("error"), 0u);

  // --- kill -9 a replica's mariadbd: out of the read endpoint, restarted, back with its data.
  const pid_t victim = status["members"][1]["pid"].get<pid_t>();
  ASSERT_GT(victim, 0);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  bool left = WaitFor(std::chrono::seconds(20), [&] {
    auto s = Status();
    return s.is_object() && s["members"][1]["read_endpoint"] != "UP";
  });
  EXPECT_TRUE(left) << "mysql-1 never left the read endpoint";
  // Meanwhile reads keep working on the others.
  auto during = ReadServerIds(4);
  EXPECT_EQ(during.count("error"), 0u);
  Insert(kRows, kRows + 10);  // written while mysql-1 is down
  bool back = WaitFor(std::chrono::seconds(120), [&] {
    auto s = Status();
    return s.is_object() && s["members"][1]["ready"] == true &&
           s["members"][1]["read_endpoint"] == "UP" && s["members"][1]["pid"] != victim;
  });
  ASSERT_TRUE(back) << "mysql-1 did not come back: " << Status().dump();
  EXPECT_TRUE(EventuallyHasRows(1, kRows + 10));
  EXPECT_TRUE(WaitFor(std::chrono::seconds(10), [&] { return ReadServerIds(6).count("101") > 0; }));

  // --- scale to 5: the new members clone from a ready donor and have every row.
  t0 = steady_clock::now();
  ASSERT_EQ(Cli({"scale", "5", "--dir", dir_, "--timeout", "240"}, &out), 0) << out;
  std::fprintf(stderr, "[timing] scale 3 -> 5: %.1fs\n",
               std::chrono::duration<double>(steady_clock::now() - t0).count());
  for (int i = 3; i < 5; ++i) {
    EXPECT_TRUE(EventuallyHasRows(i, kRows + 10)) << "mysql-" << i;
    EXPECT_TRUE(fs::exists(dir_ + "/members/mysql-" + std::to_string(i) + "/logs/clone.log"));
  }
  ids = ReadServerIds(15);
  for (const char* id : {"100", "101", "102", "103", "104"}) EXPECT_GE(ids.count(id), 1u) << id;

  // --- scale to 2: members 2..4 stop, highest first; their data stays.
  const std::string marker2 = dir_ + "/members/mysql-2/data/.mysqlset-complete";
  ASSERT_TRUE(fs::exists(marker2));
  const std::string marker_before = ReadAll(marker2);
  const auto marker_mtime = fs::last_write_time(marker2);
  ASSERT_EQ(Cli({"scale", "2", "--dir", dir_, "--timeout", "120"}, &out), 0) << out;
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(ConnectPort(MemberPort(i)), nullptr) << "mysql-" << i << " still serves";
    EXPECT_TRUE(fs::exists(dir_ + "/members/mysql-" + std::to_string(i) + "/data/mysql"));
  }
  status = Status();
  EXPECT_EQ(status["members"].size(), 2u);
  ids = ReadServerIds(6);
  EXPECT_EQ(ids.count("102") + ids.count("103") + ids.count("104"), 0u);
  Insert(kRows + 10, kRows + 20);  // mysql-2 must catch up on these from its kept data

  // --- scale to 3: mysql-2 restarts from its kept data, without a clone.
  ASSERT_EQ(Cli({"scale", "3", "--dir", dir_, "--timeout", "120"}, &out), 0) << out;
  EXPECT_EQ(ReadAll(marker2), marker_before) << "mysql-2 was re-cloned";
  EXPECT_EQ(fs::last_write_time(marker2), marker_mtime) << "mysql-2 was re-cloned";
  EXPECT_TRUE(EventuallyHasRows(2, kRows + 20));

  // --- down, then up again: every row is still there.
  ASSERT_EQ(Cli({"down", "--dir", dir_}, &out), 0) << out;
  EXPECT_EQ(ConnectPort(MemberPort(0)), nullptr);
  EXPECT_EQ(ConnectPort(WritePort()), nullptr);
  EXPECT_FALSE(fs::exists(dir_ + "/supervisor.pid"));
  t0 = steady_clock::now();
  ASSERT_EQ(Cli({"up", "--dir", dir_, "--timeout", "240"}, &out), 0) << out;
  std::fprintf(stderr, "[timing] up of an existing 3-member cluster: %.1fs\n",
               std::chrono::duration<double>(steady_clock::now() - t0).count());
  {
    auto w = ConnectPort(WritePort());
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(QueryValue(*w, "SELECT COUNT(*) FROM app.t"), std::to_string(kRows + 20));
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(EventuallyHasRows(i, kRows + 20)) << "mysql-" << i;

  // --- the primary's volume lost while replicas keep theirs: the seed bootstrapped an empty
  // primary (an empty database for writes, every replica broken). Asked over the network, as
  // on Kubernetes while the replicas run: refused, naming the peer that holds the data.
  const std::string lost = tmp_.path() + "/lost-0";
  const int refused = Cli({"clone", "--pod-name", "mysql-0", "--data-dir", lost + "/data",
                           "--conf-dir", lost + "/conf", "--secrets-dir", dir_ + "/secrets",
                           "--peer-host", "127.0.0.1", "--port", base, "--http-port",
                           std::to_string(base_ + 1), "--backup-port", std::to_string(base_ + 2),
                           "--port-stride", "10", "--peers-to-ask", "2"},
                          &out);
  EXPECT_EQ(refused, 1) << out;
  EXPECT_NE(out.find("mysqlset clone: error: mysql-0 has no data, but mysql-"), std::string::npos)
      << out;
  EXPECT_NE(out.find("holds data up to GTID 0-100-"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(lost + "/data/mysql")) << "an empty primary was bootstrapped";

  // Locally, with every member stopped: the peers' volumes on disk tell the same. `up` fails
  // with the reason; the replicas' data is untouched; the volume restored, all rows are back.
  ASSERT_EQ(Cli({"down", "--dir", dir_}, &out), 0) << out;
  const std::string data0 = dir_ + "/members/mysql-0/data";
  fs::rename(data0, data0 + ".lost");
  const std::string marker1 = ReadAll(dir_ + "/members/mysql-1/data/.mysqlset-complete");
  EXPECT_EQ(Cli({"up", "--dir", dir_, "--timeout", "120"}, &out), 1) << out;
  EXPECT_NE(out.find("mysql-0: clone failed (exit 1): mysql-0 has no data, but " + dir_ +
                     "/members/mysql-"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("holds a complete datadir"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(data0 + "/mysql")) << "an empty primary was bootstrapped";
  EXPECT_EQ(ReadAll(dir_ + "/members/mysql-1/data/.mysqlset-complete"), marker1);
  ASSERT_EQ(Cli({"down", "--dir", dir_}, &out), 0) << out;
  fs::remove_all(data0);
  fs::rename(data0 + ".lost", data0);
  ASSERT_EQ(Cli({"up", "--dir", dir_, "--timeout", "240"}, &out), 0) << out;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(EventuallyHasRows(i, kRows + 20)) << "mysql-" << i;

  // --- down --purge: everything stopped and deleted.
  ASSERT_EQ(Cli({"down", "--dir", dir_, "--purge"}, &out), 0) << out;
  EXPECT_FALSE(fs::exists(dir_ + "/members"));
  EXPECT_FALSE(fs::exists(dir_ + "/cluster.json"));
}

// Bad input: one clear line, a non-zero exit, and nothing created or lost.
TEST_F(LocalClusterTest, BadInputIsRefusedWithOneLine) {
  std::string out;
  EXPECT_NE(Cli({"up", "--dir", dir_, "--replicas", "0", "--base-port", std::to_string(base_)},
                &out),
            0);
  EXPECT_NE(out.find("replicas must be between 1"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_));
  EXPECT_NE(Cli({"up", "--dir", dir_, "--replicas", "x"}, &out), 0);
  EXPECT_FALSE(fs::exists(dir_));
  EXPECT_NE(Cli({"scale", "abc", "--dir", dir_}, &out), 0);
  EXPECT_NE(out.find("whole number"), std::string::npos) << out;
  EXPECT_NE(Cli({"status", "--dir", dir_}, &out), 0);
  EXPECT_NE(out.find("no cluster in"), std::string::npos) << out;

  // A port of the layout in use: refused before anything is written.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(base_ + 11));  // mysql-1's agent
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  EXPECT_NE(Cli({"up", "--dir", dir_, "--base-port", std::to_string(base_)}, &out), 0);
  close(fd);
  EXPECT_NE(out.find(std::to_string(base_ + 11) + " (mysql-1 agent)"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_));

  // An unwritable dir.
  EXPECT_NE(Cli({"up", "--dir", "/proc/mysqlset-cannot-write", "--base-port",
                 std::to_string(base_)},
                &out),
            0);
  EXPECT_NE(out.find("mysqlset up: error:"), std::string::npos) << out;

  // down --purge refuses a dir that is not a cluster dir and deletes nothing.
  fs::create_directories(tmp_.path() + "/other");
  std::ofstream(tmp_.path() + "/other/keep.txt") << "x";
  EXPECT_NE(Cli({"down", "--dir", tmp_.path() + "/other", "--purge"}, &out), 0);
  EXPECT_TRUE(fs::exists(tmp_.path() + "/other/keep.txt"));
}

// Over a whole lifecycle (up, a clone on scale-up, status, down, up again) no secret value
// appears in any process's arguments, in any log or state file under DIR, or in status
// output; every secret file and client.cnf is mode 0600.
// Issue #18: a --dir with a space broke mariadb-install-db (`chown root /tmp/a` on a split
// path) and haproxy.cfg ("unknown keyword 'with'"), and the supervisor retried for ever.
// Now such a dir just works, bootstrap, clone and both endpoints included. A control
// character (which would end a line of haproxy.cfg or my.cnf) and '$' (which haproxy
// expands in socket addresses, quoted or not) are refused with one line.
TEST_F(LocalClusterTest, DirWithASpaceJustWorks) {
  dir_ = tmp_.path() + "/with space 'and quotes\"/cluster";
  std::string out;
  ASSERT_EQ(Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port", std::to_string(base_),
                 "--timeout", "240"},
                &out),
            0)
      << out;
  {
    auto w = ConnectPort(WritePort());
    ASSERT_NE(w, nullptr) << "cannot connect to the write endpoint";
    ASSERT_TRUE(w->Execute("CREATE DATABASE app").ok());
    ASSERT_TRUE(w->Execute("CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT)").ok());
  }
  Insert(0, 3);
  EXPECT_TRUE(EventuallyHasRows(1, 3)) << "the replica cloned and replicates";
  auto r = ConnectPort(ReadPort());
  ASSERT_NE(r, nullptr) << "cannot connect to the read endpoint";
  EXPECT_EQ(ReadAll(dir_ + "/haproxy.cfg").find("unknown keyword"), std::string::npos);
  ASSERT_EQ(Cli({"down", "--dir", dir_}, &out), 0) << out;

  const std::string bad = tmp_.path() + "/new\nline";
  EXPECT_NE(Cli({"up", "--dir", bad, "--base-port", std::to_string(base_)}, &out), 0);
  EXPECT_NE(out.find("cluster dir '" + tmp_.path() +
                     "/new\\x0aline' contains a control "
                     "character; use a --dir without one"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(bad));
  const std::string dollar = tmp_.path() + "/$HOME";
  EXPECT_NE(Cli({"up", "--dir", dollar, "--base-port", std::to_string(base_)}, &out), 0);
  EXPECT_NE(out.find("cluster dir '" + dollar + "' contains '$', which haproxy would expand"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(dollar));
}

TEST_F(LocalClusterTest, SecretsNeverLeakOverALifecycle) {
  const std::string base = std::to_string(base_);
  ASSERT_EQ(Cli({"up", "--dir", dir_, "--replicas", "2", "--base-port", base}), 0);
  std::vector<std::string> secrets;
  for (const auto& e : fs::directory_iterator(dir_ + "/secrets")) {
    std::string v = ReadAll(e.path());
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    ASSERT_GE(v.size(), 8u);
    secrets.push_back(v);
    EXPECT_EQ(fs::status(e.path()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << e.path();
  }
  ASSERT_EQ(secrets.size(), 5u);
  EXPECT_EQ(fs::status(dir_ + "/client.cnf").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // Sample every process's argv while the cluster clones, restarts and stops.
  std::atomic<bool> stop{false};
  std::atomic<int> samples{0};
  std::set<std::string> leaks;
  std::mutex leaks_mu;
  std::thread sampler([&] {
    while (!stop) {
      for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string cmdline = ReadAll(e.path().string() + "/cmdline");
        for (const auto& secret : secrets) {
          if (cmdline.find(secret) != std::string::npos) {
            std::lock_guard<std::mutex> lock(leaks_mu);
            leaks.insert("argv of pid " + name);
          }
        }
      }
      ++samples;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::string out;
  EXPECT_EQ(Cli({"scale", "3", "--dir", dir_}, &out), 0) << out;
  std::string status_text;
  EXPECT_EQ(Cli({"status", "--dir", dir_, "--json"}, &status_text), 0);
  EXPECT_EQ(Cli({"down", "--dir", dir_}), 0);
  EXPECT_EQ(Cli({"up", "--dir", dir_}, &out), 0) << out;
  stop = true;
  sampler.join();
  EXPECT_GT(samples.load(), 5);
  EXPECT_TRUE(leaks.empty()) << *leaks.begin();

  // Every file mysqlset writes outside the secrets and the datadirs: logs, state, configs.
  const std::string cli_log = ReadAll(log_);
  for (const auto& secret : secrets) {
    EXPECT_EQ(status_text.find(secret), std::string::npos) << "secret in status --json";
    EXPECT_EQ(cli_log.find(secret), std::string::npos) << "secret in CLI output";
  }
  int scanned = 0;
  for (auto it = fs::recursive_directory_iterator(dir_); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string path = it->path().string();
    const std::string name = it->path().filename().string();
    if (name == "secrets" || name == "mysql" || name == "mysql.discarded" ||
        name == "mysql.staging") {
      it.disable_recursion_pending();  // the secrets themselves and the databases
      continue;
    }
    if (!it->is_regular_file() || name == "client.cnf" || name.ends_with(".sock")) continue;
    const std::string text = ReadAll(path);
    ++scanned;
    for (const auto& secret : secrets) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret in " << path;
    }
  }
  EXPECT_GT(scanned, 10) << "the scan must have read the logs";
}

}  // namespace
}  // namespace mysqlset::testing
