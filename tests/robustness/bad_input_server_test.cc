// Bad input that needs a real server: an agent with wrong passwords, the agent's HTTP
// endpoints, and the real agent's backup port (what tests/integration/clone_test.cc does not
// already cover: no AUTH line, disconnects mid-handshake and mid-stream). One real mariadbd
// (mysql-0, bootstrapped by the real `mysqlset clone`) is shared by the suite.
// See docs/robustness.md.

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"
#include "httplib.h"
#include "net/backup_client.h"
#include "net/backup_protocol.h"
#include "net/socket.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class BadInputServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    base_ = FreePortBlock(1);
    ASSERT_NE(base_, 0);
    member_ = new Member(MemberSpec{tmp_->path() + "/m0", "mysql-0", "", "", base_});
    ASSERT_EQ(member_->Init(), 0);
    ASSERT_EQ(member_->Clone(), 0);
    ASSERT_TRUE(member_->Start());
  }
  static void TearDownTestSuite() {
    delete member_;
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_NE(member_, nullptr);
    ASSERT_TRUE(member_->running());
  }

  // An agent for mysql-0 reading secrets from `secrets_dir` (the member's own if empty).
  std::unique_ptr<AgentProcess> StartAgent(const std::string& secrets_dir = "") {
    std::string dir = secrets_dir.empty() ? member_->spec().secrets_dir : secrets_dir;
    views_.push_back(
        std::make_unique<Member>(MemberSpec{member_->spec().root, "mysql-0", dir, "", base_}));
    // No store answers on port 9: these cases are about secrets and probes, not roles.
    auto agent = std::make_unique<AgentProcess>(
        *views_.back(), base_, 10, std::vector<std::string>{"--etcd", "http://127.0.0.1:9"});
    EXPECT_TRUE(agent->Start()) << AgentLog();
    return agent;
  }
  static std::string AgentLog() { return ReadFileOrEmpty(member_->spec().root + "/agent.log"); }
  static nlohmann::json Status(const AgentProcess& a) {
    return nlohmann::json::parse(a.Get("/v1/status").second, nullptr, false);
  }
  static bool Alive(const AgentProcess& a) { return a.pid() > 0 && kill(a.pid(), 0) == 0; }
  void ExpectNoSecret(const std::string& text, const Secrets& extra = {}) {
    for (const auto& s : SecretValuesOf(member_->secrets())) {
      EXPECT_EQ(text.find(s), std::string::npos) << "secret leaked";
    }
    for (const auto& s : SecretValuesOf(extra)) {
      if (!s.empty()) {
        EXPECT_EQ(text.find(s), std::string::npos) << "secret leaked";
      }
    }
  }
  // A copy of the member's secrets dir with `file` holding `value`.
  std::string SecretsWith(const std::string& name, const char* file, const std::string& value) {
    const std::string dir = tmp_->path() + "/" + name;
    fs::create_directories(dir);
    fs::copy(member_->spec().secrets_dir, dir,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::ofstream(dir + "/" + file) << value << "\n";
    return dir;
  }

  static TempDir* tmp_;
  static uint16_t base_;
  static Member* member_;
  std::vector<std::unique_ptr<Member>> views_;  // Member objects for agents; never started
};

TempDir* BadInputServerTest::tmp_ = nullptr;
uint16_t BadInputServerTest::base_ = 0;
Member* BadInputServerTest::member_ = nullptr;

// --- wrong passwords --------------------------------------------------------------------

TEST_F(BadInputServerTest, WrongAdminPasswordIsNotReadyWithAClearReason) {
  const std::string wrong = "Wrong-admin-pw-31337";
  auto agent = StartAgent(SecretsWith("wrong-admin", "admin-password", wrong));
  ASSERT_TRUE(WaitFor(
      [&] { return agent->Get("/readyz").second.find("Access denied") != std::string::npos; }, 15))
      << agent->Get("/readyz").second;
  const auto readyz = agent->Get("/readyz");
  EXPECT_EQ(readyz.first, 503);
  EXPECT_NE(readyz.second.find("mysqld is not answering"), std::string::npos) << readyz.second;
  EXPECT_NE(readyz.second.find("'admin'"), std::string::npos) << readyz.second;
  // The monitor account still works: liveness is about mysqld, and it is up.
  EXPECT_EQ(agent->Get("/healthz").first, 200);
  const auto status = Status(*agent);
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["ready"], false);
  EXPECT_EQ(status["mysql_reachable"], false);
  // Several ticks later: still running, still refusing, no restart storm in the log.
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_TRUE(Alive(*agent));
  const std::string all = agent->Get("/readyz").second + Status(*agent).dump() +
                          agent->Get("/metrics").second + AgentLog();
  ExpectNoSecret(all);
  EXPECT_EQ(all.find(wrong), std::string::npos);
  agent->Stop();
}

TEST_F(BadInputServerTest, WrongMonitorPasswordFailsLivenessWithAClearReason) {
  const std::string wrong = "Wrong-monitor-pw-4242";
  auto agent = StartAgent(SecretsWith("wrong-monitor", "monitor-password", wrong));
  const auto healthz = agent->Get("/healthz");
  EXPECT_EQ(healthz.first, 503);
  EXPECT_NE(healthz.second.find("Access denied"), std::string::npos) << healthz.second;
  EXPECT_NE(healthz.second.find("'monitor'"), std::string::npos) << healthz.second;
  EXPECT_EQ(agent->Get("/livez").first, 200);  // the agent itself is fine
  EXPECT_TRUE(Alive(*agent));
  const std::string all = healthz.second + Status(*agent).dump() + AgentLog();
  ExpectNoSecret(all);
  EXPECT_EQ(all.find(wrong), std::string::npos);
  agent->Stop();
}

// --- HTTP endpoints ---------------------------------------------------------------------

TEST_F(BadInputServerTest, HttpUnknownPathsAndHugeOrGarbledRequestsAreRejected) {
  auto agent = StartAgent();
  const uint16_t port = agent->http_port();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);

  for (const char* path : {"/", "/nope", "/v1/status/../../etc/passwd", "/metrics%00", "/v2/status",
                           "/readyz?x=1&x=2"}) {
    SCOPED_TRACE(path);
    auto res = c.Get(path);
    ASSERT_TRUE(res);
    if (std::string(path).starts_with("/readyz")) continue;  // a query string is ignored
    EXPECT_EQ(res->status, 404);
    EXPECT_NE(res->body.find("unknown path"), std::string::npos);
  }
  {
    auto res = c.Post("/v1/status", "x", "text/plain");  // wrong method
    ASSERT_TRUE(res);
    EXPECT_GE(res->status, 400);
  }
  {
    auto res = c.Post("/v1/status", std::string(1 << 20, 'x'), "text/plain");  // 1 MiB body
    EXPECT_TRUE(!res || res->status == 413 || res->status == 404 || res->status == 400)
        << (res ? res->status : -1);
  }
  {
    httplib::Headers h = {{"X-Big", std::string(64 * 1024, 'a')}};  // 64 KiB header
    auto res = c.Get("/v1/status", h);
    EXPECT_TRUE(!res || res->status >= 400) << (res ? res->status : -1);
  }
  // Raw garbage and an endless request line.
  for (const std::string& bytes :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS hello
        std::string("GET /livez HTTP/1.1\r\n") + std::string(200000, 'h'),
        std::string("BREW /coffee HTCPCP/1.0\r\n\r\n")}) {
    auto fd = net::ConnectTcp("127.0.0.1", port, milliseconds(1000));
    ASSERT_TRUE(fd.ok());
    (void)net::SendAll(fd->get(), bytes, milliseconds(2000));
    std::string reply;
    while (true) {
      auto s = net::ReadSome(fd->get(), 4096, milliseconds(6000));
      if (!s.ok() || s->empty()) break;
      reply += *s;
    }
    EXPECT_EQ(reply.find("200 OK"), std::string::npos) << reply;
  }
  // After all that: alive and serving, nothing leaked.
  EXPECT_TRUE(Alive(*agent));
  EXPECT_EQ(agent->Get("/livez").first, 200);
  EXPECT_TRUE(Status(*agent).is_object());
  ExpectNoSecret(AgentLog());
  agent->Stop();
}

// Regression (issue #8): cpp-httplib's default pool of 8 threads let eight silent
// connections starve /livez and /readyz for many seconds, longer than a kubelet probe waits.
TEST_F(BadInputServerTest, SlowHttpClientsDoNotStarveProbes) {
  auto agent = StartAgent();
  const uint16_t port = agent->http_port();
  // Slow clients: many connections trickling a request never finished. Probes from
  // others must still be answered within a kubelet's default 1 s probe timeout.
  std::vector<Fd> slow;
  for (int i = 0; i < 24; ++i) {
    auto fd = net::ConnectTcp("127.0.0.1", port, milliseconds(3000));
    ASSERT_TRUE(fd.ok()) << i << ": " << fd.status().message();
    (void)net::SendAll(fd->get(), "GET /livez HTTP/1.1\r\nX-a: ", milliseconds(500));
    slow.push_back(std::move(*fd));
  }
  std::this_thread::sleep_for(milliseconds(300));
  httplib::Client probe("127.0.0.1", port);
  probe.set_connection_timeout(1, 0);
  probe.set_read_timeout(1, 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto live = probe.Get("/livez");
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(live && live->status == 200)
      << "a probe waited behind slow clients (" << took << " s)";
  slow.clear();

  EXPECT_TRUE(Alive(*agent));
  agent->Stop();
}

// --- the real agent's backup port ---------------------------------------------------------

int MariabackupsFor(uint16_t mysql_port) {
  int n = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmd = ReadFileOrEmpty(std::string("/proc/") + e->d_name + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find("mariabackup") != std::string::npos &&
        cmd.find("--port=" + std::to_string(mysql_port)) != std::string::npos) {
      ++n;
    }
  }
  closedir(d);
  return n;
}

TEST_F(BadInputServerTest, BackupPortWithoutAuthOrClientGoneMidStreamKeepsServing) {
  auto agent = StartAgent();
  const uint16_t port = static_cast<uint16_t>(base_ + 2);
  const std::string token = member_->secrets().backup_token;
  auto connect = [&] {
    auto fd = net::ConnectTcp("127.0.0.1", port, milliseconds(2000));
    EXPECT_TRUE(fd.ok());
    return std::move(fd).value();
  };
  auto read_all = [](int fd) {
    std::string out;
    while (true) {
      auto s = net::ReadSome(fd, 4096, milliseconds(5000));
      if (!s.ok() || s->empty()) break;
      out += *s;
    }
    return out;
  };

  // 1. A client that never authenticates (a version-1 client, or anything not TLS with the
  //    token): closed with no line and no data.
  {
    Fd fd = connect();
    (void)net::SendAll(fd.get(), "HELLO\n", milliseconds(1000));
    const std::string reply = read_all(fd.get());
    EXPECT_EQ(reply.find("OK "), std::string::npos) << reply;
    EXPECT_EQ(reply.find("ERR "), std::string::npos) << reply;
    EXPECT_EQ(reply.find("mysql-0"), std::string::npos) << reply;
  }
  // 2. Disconnects during the handshake: at once, and half-way through a ClientHello.
  for (const std::string_view partial :
       {std::string_view(""), std::string_view("\x16\x03\x01\x01")}) {
    Fd fd = connect();
    if (!partial.empty()) (void)net::SendAll(fd.get(), partial, milliseconds(1000));
  }
  // 3. An authenticated client that disconnects after the first bytes: the backup is counted
  //    failed, mariabackup is stopped, and the slot is free for the next client.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    net::BackupClientOptions co;
    co.host = "127.0.0.1";
    co.port = port;
    co.token = token;
    {
      auto client = net::BackupClient::Connect(co);
      ASSERT_TRUE(client.ok()) << client.status().ToString();  // not busy: the slot is free
      EXPECT_EQ(client->hello().donor_pod, "mysql-0");
      const mysqlset::Status st =
          client->Receive([](std::string_view) { return Internal("gone"); });
      ASSERT_EQ(st.code(), StatusCode::kInternal) << st.ToString();  // got the first bytes
    }                                                                // gone mid-stream
    ASSERT_TRUE(WaitFor(
        [&] {
          auto s = Status(*agent);
          return s.is_object() && s["backup"]["active"] == 0 && s["backup"]["failed"] == round + 1;
        },
        60))
        << Status(*agent).dump();
    EXPECT_TRUE(WaitFor([&] { return MariabackupsFor(member_->port()) == 0; }, 30));
  }
  const auto s = Status(*agent);
  EXPECT_GE(s["backup"]["refused_auth"].get<int>(), 1) << s.dump();
  EXPECT_EQ(s["backup"]["served_ok"], 0) << s.dump();
  EXPECT_TRUE(Alive(*agent));
  EXPECT_EQ(agent->Get("/livez").first, 200);
  ExpectNoSecret(AgentLog());
  agent->Stop();
}

// --- ports in use ------------------------------------------------------------------------

TEST_F(BadInputServerTest, AgentRefusesToStartWhenItsPortsAreTaken) {
  auto agent = StartAgent();
  // A second agent for the same member: its ports are the first one's.
  const Outcome o = RunCmd({MysqlsetBinary(), "agent",
                            "--pod-name",     "mysql-0",
                            "--data-dir",     member_->data_dir(),
                            "--secrets-dir",  member_->spec().secrets_dir,
                            "--etcd",         "http://127.0.0.1:9",
                            "--peer-host",    "127.0.0.1",
                            "--port",         std::to_string(base_),
                            "--http-port",    std::to_string(base_ + 1),
                            "--backup-port",  std::to_string(base_ + 2),
                            "--bind-address", "127.0.0.1"},
                           {}, 20);
  EXPECT_NE(o.exit_code, 0) << o.output;
  EXPECT_EQ(o.signal, 0) << o.output;
  const auto lines = Lines(o.output);
  ASSERT_EQ(lines.size(), 1u) << o.output;
  EXPECT_TRUE(lines[0].starts_with("mysqlset agent: error:")) << o.output;
  EXPECT_NE(lines[0].find(std::to_string(base_ + 2)), std::string::npos) << o.output;
  ExpectNoSecret(o.output);
  // The first agent is unharmed.
  EXPECT_TRUE(Alive(*agent));
  EXPECT_EQ(agent->Get("/livez").first, 200);
  agent->Stop();
}

}  // namespace
}  // namespace mysqlset::testing
