#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "httplib.h"
#include "posix/subprocess.h"

namespace mysqlset::testing {

std::string MysqlsetBinary() {
  if (const char* p = std::getenv("MYSQLSET_BIN")) return p;
  return MYSQLSET_BIN_PATH;
}

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool PortOpen(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return open;
}

namespace {
bool CanBind(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Under `ctest -j2 --resource-spec-file tests/integration/ctest-resources.json` each test
// holds one of kPortShares "ports" resources (CTEST_RESOURCE_GROUP_0_PORTS="id:K,slots:1")
// and picks its blocks from share K only, so two tests running side by side never pick the
// same ports between checking them and binding them. Without the spec: one share, all.
constexpr int kPortShares = 2;  // the "ports" ids in ctest-resources.json
struct PortShare {
  int index = 0;
  int count = 1;
};
PortShare ThisTestsPortShare() {
  const char* v = std::getenv("CTEST_RESOURCE_GROUP_0_PORTS");
  int id = -1;
  if (v == nullptr || std::sscanf(v, "id:%d", &id) != 1 || id < 0 || id >= kPortShares) return {};
  return {id, kPortShares};
}
// The `pick`-th block of `blocks` that belongs to this test's share.
int InShare(uint32_t pick, int blocks) {
  static const PortShare share = ThisTestsPortShare();
  return share.index + share.count * static_cast<int>(pick % (blocks / share.count));
}
}  // namespace

uint16_t FreePortBlock(int members, int stride) {
  // A block spans stride*(members-1)+3 ports and blocks start 20 apart: more would reach
  // into the next block, perhaps another test's share.
  if (stride * (members - 1) + 3 > 20) {
    std::fprintf(stderr, "FreePortBlock: %d members at stride %d overlap the next block\n", members,
                 stride);
    std::abort();
  }
  static const bool seeded = (std::srand(static_cast<unsigned>(getpid() ^ time(nullptr))), true);
  (void)seeded;
  for (int attempt = 0; attempt < 200; ++attempt) {
    // 10000..19799: below FreeClusterBasePort's blocks (etcd's ports start at 19990).
    const uint16_t base = static_cast<uint16_t>(10000 + InShare(std::rand(), 490) * 20);
    bool ok = true;
    for (int i = 0; i < members && ok; ++i) {
      for (int j = 0; j < 3 && ok; ++j) ok = CanBind(static_cast<uint16_t>(base + stride * i + j));
    }
    if (ok) return base;
  }
  return 0;
}

uint16_t FreeClusterBasePort(int members) {
  // P-16 .. P+10*(members-1)+2, blocks 100 apart: up to 9 members stay inside one block.
  if (members > 9) {
    std::fprintf(stderr, "FreeClusterBasePort: %d members overlap the next block\n", members);
    std::abort();
  }
  static std::mt19937 rng(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const uint16_t base = static_cast<uint16_t>(20006 + 100 * InShare(rng(), 120));
    // P-16..P-7: the etcd members' client and peer ports; P-6, P-5: HAProxy's endpoints.
    bool free = true;
    for (int p = base - 16; p <= base - 5 && free; ++p) free = CanBind(static_cast<uint16_t>(p));
    for (int i = 0; i < members && free; ++i) {
      for (int j = 0; j < 3 && free; ++j) free = CanBind(static_cast<uint16_t>(base + 10 * i + j));
    }
    if (free) return base;
  }
  return 0;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitFor(const std::function<bool()>& pred, double seconds) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();
}

AgentProcess::AgentProcess(const Member& member, uint16_t base_port, int stride,
                           std::vector<std::string> extra_args)
    : member_(member), base_port_(base_port), stride_(stride), extra_args_(std::move(extra_args)) {
  const int ordinal = std::stoi(member.spec().pod.substr(member.spec().pod.rfind('-') + 1));
  http_port_ = static_cast<uint16_t>(base_port + stride * ordinal + 1);
}

AgentProcess::~AgentProcess() { Stop(); }

bool AgentProcess::Start() {
  std::vector<std::string> argv = {MysqlsetBinary(), "agent",
                                   "--pod-name",     member_.spec().pod,
                                   "--conf-dir",     member_.conf_dir(),
                                   "--data-dir",     member_.data_dir(),
                                   "--secrets-dir",  member_.spec().secrets_dir,
                                   "--peer-host",    "127.0.0.1",
                                   "--port",         std::to_string(base_port_),
                                   "--http-port",    std::to_string(base_port_ + 1),
                                   "--backup-port",  std::to_string(base_port_ + 2),
                                   "--port-stride",  std::to_string(stride_),
                                   "--bind-address", "127.0.0.1",
                                   "--tick-ms",      "300"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  const std::string log = member_.spec().root + "/agent.log";
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  auto child = Subprocess::Spawn(argv, {-1, fd, -1});
  close(fd);
  if (!child.ok()) return false;
  pid_ = child->pid();
  if (WaitFor([&] { return Get("/livez").first == 200; }, 10)) return true;
  // Why, for whoever reads the failure: the agent's own last lines (it may have exited).
  const std::string text = ReadAll(log);
  std::fprintf(stderr,
               "agent %s did not answer /livez within 10 s (pid %d %s); its log ends:\n%s\n",
               member_.spec().pod.c_str(), pid_, ::kill(pid_, 0) == 0 ? "running" : "gone",
               text.substr(text.size() > 3000 ? text.size() - 3000 : 0).c_str());
  return false;
}

void AgentProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::pair<int, std::string> AgentProcess::Get(const std::string& path) const {
  httplib::Client c("127.0.0.1", http_port_);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  auto res = c.Get(path.c_str());
  if (!res) return {-1, ""};
  return {res->status, res->body};
}

TempDir::TempDir() {
  std::string tmpl = "/tmp/mysqlset-test-XXXXXX";
  path_ = mkdtemp(tmpl.data());
}
TempDir::~TempDir() {
  if (!std::getenv("MYSQLSET_KEEP_TMP")) std::filesystem::remove_all(path_);
}

int RunCommand(const std::vector<std::string>& argv, const std::string& log) {
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  auto child = Subprocess::Spawn(argv, {-1, fd, -1});
  close(fd);
  if (!child.ok()) return -1;
  return child->Wait();
}

int RunMysqlset(std::vector<std::string> args, const std::string& scratch, const std::string& log,
                std::string* out) {
  std::filesystem::remove(scratch);
  args.insert(args.begin(), MysqlsetBinary());
  const int rc = RunCommand(args, scratch);
  std::ifstream in(scratch);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(log, std::ios::app) << "$ mysqlset " << args[1] << " ... -> " << rc << "\n" << text;
  if (out) *out = text;
  return rc;
}

Secrets MakeSecrets(const std::string& dir) {
  std::filesystem::create_directories(dir);
  Secrets s;
  auto put = [&](const char* name, std::string& field) {
    field = std::string("pw-") + name + "-" + std::to_string(std::rand() % 1000000) + "X";
    std::ofstream(dir + "/" + name) << field << "\n";
    chmod((dir + "/" + name).c_str(), 0600);
  };
  put(kAdminPasswordFile, s.admin_password);
  put(kReplicationPasswordFile, s.replication_password);
  put(kBackupPasswordFile, s.backup_password);
  put(kMonitorPasswordFile, s.monitor_password);
  put(kBackupTokenFile, s.backup_token);
  put(kAppPasswordFile, s.app_password);
  return s;
}

Member::Member(MemberSpec spec) : spec_(std::move(spec)) {
  if (spec_.port == 0) spec_.port = FreePort();
  if (spec_.config_map_dir.empty()) spec_.config_map_dir = MYSQLSET_SOURCE_DIR "/config";
  if (spec_.secrets_dir.empty()) {
    spec_.secrets_dir = spec_.root + "/secrets";
    MakeSecrets(spec_.secrets_dir);
  }
  std::filesystem::create_directories(spec_.root);
}

Member::~Member() { Stop(); }

Secrets Member::secrets() const {
  auto read = [&](const char* name) {
    std::ifstream in(spec_.secrets_dir + "/" + name);
    std::string v;
    std::getline(in, v);
    return v;
  };
  return {read(kAdminPasswordFile),   read(kReplicationPasswordFile), read(kBackupPasswordFile),
          read(kMonitorPasswordFile), read(kBackupTokenFile),         read(kAppPasswordFile)};
}

int Member::Init() {
  return RunCommand(
      {MysqlsetBinary(), "init", "--pod-name", spec_.pod, "--conf-dir", conf_dir(),
       "--config-map-dir", spec_.config_map_dir, "--data-dir", data_dir(), "--port",
       std::to_string(spec_.port), "--bind-address", "127.0.0.1", "--report-host", "127.0.0.1"},
      log_file());
}

int Member::Clone(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {MysqlsetBinary(), "clone",          "--pod-name", spec_.pod,
                                   "--conf-dir",     conf_dir(),       "--data-dir", data_dir(),
                                   "--secrets-dir",  spec_.secrets_dir};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return RunCommand(argv, log_file());
}

bool Member::Start() {
  const int fd = open(log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  auto child = Subprocess::Spawn(
      {"mariadbd", "--defaults-file=" + conf_dir() + "/my.cnf", "--user=root"}, {-1, fd, -1});
  close(fd);
  if (!child.ok()) return false;
  pid_ = child->pid();
  const Secrets s = secrets();
  for (int i = 0; i < 300; ++i) {
    int code = 0;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    ConnectOptions o;
    o.port = spec_.port;
    o.user = kMonitorUser;
    o.password = s.monitor_password;
    o.connect_timeout_s = 1;
    if (Connection::Open(o).ok()) return true;
    (void)code;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void Member::Kill(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  if (sig == SIGKILL || sig == SIGTERM) {
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void Member::Stop() { Kill(SIGTERM); }

std::unique_ptr<Connection> Member::Connect(const std::string& user, const std::string& password) {
  ConnectOptions o;
  o.port = spec_.port;
  o.user = user;
  o.password = password;
  o.read_timeout_s = 60;
  auto c = Connection::Open(o);
  if (!c.ok()) return nullptr;
  return std::move(c).value();
}

std::unique_ptr<Connection> Member::ConnectAdmin() {
  return Connect(kAdminUser, secrets().admin_password);
}

std::unique_ptr<Connection> ConnectRetrying(uint16_t port, const std::string& user,
                                            const std::string& password, double wait_s) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(wait_s * 1000));
  do {
    ConnectOptions o;
    o.port = port;
    o.user = user;
    o.password = password;
    o.connect_timeout_s = 2;
    auto c = Connection::Open(o);
    if (c.ok()) return std::move(*c);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < until);
  return nullptr;
}

std::string QueryValue(Connection& c, const std::string& sql) {
  auto rows = c.Query(sql);
  if (!rows.ok() || rows->rows.empty() || rows->rows[0].empty() || !rows->rows[0][0]) return "";
  return *rows->rows[0][0];
}

}  // namespace mysqlset::testing

namespace mysqlset::testing {

ConnectionFlood::ConnectionFlood(uint16_t port, int silent, int slow,
                                 std::chrono::milliseconds slow_interval, int max_opens)
    : port_(port),
      silent_(silent),
      slow_(slow),
      slow_interval_(slow_interval),
      max_opens_(max_opens) {}

ConnectionFlood::~ConnectionFlood() { Stop(); }

void ConnectionFlood::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ConnectionFlood::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ConnectionFlood::Run() {
  struct Conn {
    int fd = -1;
    bool slow = false;
    size_t sent = 0;  // bytes of the head sent (slow ones)
  };
  const std::string head = "GET /v1/status HTTP/1.1\r\nHost: flood\r\nX-Flood: slow\r\n\r\n";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  // Non-blocking connects: a full accept queue must not stall the flood (or its Stop).
  auto open_one = [&](Conn& c) {
    c.fd = -1;
    c.sent = 0;
    if (opened_ >= max_opens_) return;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return;
    connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ++opened_;
    ++open_now_;
  };
  auto close_one = [&](Conn& c) {
    if (c.fd < 0) return;
    close(c.fd);
    c.fd = -1;
    --open_now_;
  };
  std::vector<Conn> conns(static_cast<size_t>(silent_ + slow_));
  for (size_t i = 0; i < conns.size() && !stop_; ++i) {
    conns[i].slow = static_cast<int>(i) >= silent_;
    open_one(conns[i]);
  }
  auto next_byte = std::chrono::steady_clock::now();
  std::vector<pollfd> fds(conns.size());
  while (!stop_) {
    for (size_t i = 0; i < conns.size(); ++i) fds[i] = pollfd{conns[i].fd, POLLIN, 0};
    poll(fds.data(), fds.size(), 50);
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = conns[i];
      if (c.fd < 0) {
        open_one(c);
        continue;
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
          ++closed_by_server_;
          close_one(c);
          open_one(c);
        }
      }
    }
    if (std::chrono::steady_clock::now() >= next_byte) {
      next_byte += slow_interval_;
      for (Conn& c : conns) {
        if (!c.slow || c.fd < 0 || c.sent >= head.size()) continue;
        if (send(c.fd, head.data() + c.sent, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++c.sent;
      }
    }
  }
  for (Conn& c : conns) close_one(c);
}

}  // namespace mysqlset::testing
