#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

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
  return {read(kAdminPasswordFile), read(kReplicationPasswordFile), read(kBackupPasswordFile),
          read(kMonitorPasswordFile), read(kBackupTokenFile)};
}

int Member::Init() {
  return RunCommand({MysqlsetBinary(), "init", "--pod-name", spec_.pod, "--conf-dir", conf_dir(),
                     "--config-map-dir", spec_.config_map_dir, "--data-dir", data_dir(),
                     "--port", std::to_string(spec_.port), "--bind-address", "127.0.0.1",
                     "--report-host", "127.0.0.1"},
                    log_file());
}

int Member::Clone(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {MysqlsetBinary(), "clone",      "--pod-name",  spec_.pod,
                                   "--conf-dir",     conf_dir(),   "--data-dir",  data_dir(),
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

std::string QueryValue(Connection& c, const std::string& sql) {
  auto rows = c.Query(sql);
  if (!rows.ok() || rows->rows.empty() || rows->rows[0].empty() || !rows->rows[0][0]) return "";
  return *rows->rows[0][0];
}

}  // namespace mysqlset::testing
