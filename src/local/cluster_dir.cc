#include "local/cluster_dir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/secrets.h"
#include "core/identity.h"
#include "core/mycnf.h"
#include "local/embedded_config.h"
#include "posix/subprocess.h"
#include "posix/tail_file.h"

namespace mysqlset::local {

Status PrepareClusterDir(FileSystem& fs, const ClusterPaths& paths, const ClusterSpec& spec) {
  Status st = fs.MakeDirs(paths.dir(), 0755);
  if (!st.ok()) return st.Annotate("create cluster dir (choose a writable --dir)");
  if (access(paths.dir().c_str(), W_OK | X_OK) != 0) {
    return FailedPrecondition("cluster dir {} is not writable: choose another --dir", paths.dir());
  }
  RETURN_IF_ERROR(EnsureSecrets(fs, paths.secrets_dir()));
  RETURN_IF_ERROR(fs.MakeDirs(paths.config_dir(), 0755));
  // A file already there is kept: it may hold the user's own settings.
  const std::string cnf = paths.config_dir() + "/" + kServerCnfName;
  if (!fs.Exists(cnf)) RETURN_IF_ERROR(fs.WriteFileAtomic(cnf, kEmbeddedServerCnf, 0644));
  RETURN_IF_ERROR(fs.MakeDirs(paths.members_dir(), 0755));
  auto secrets = LoadSecrets(fs, paths.secrets_dir());
  if (!secrets.ok()) return secrets.status();
  RETURN_IF_ERROR(fs.WriteFileAtomic(paths.client_cnf(),
                                     RenderClientCnf(kAppUser, secrets->app_password), 0600));
  RETURN_IF_ERROR(fs.WriteFileAtomic(paths.admin_cnf(),
                                     RenderClientCnf(kAdminUser, secrets->admin_password), 0600));
  return SaveSpec(fs, paths, spec);
}

Status CheckSocketPathLengths(const ClusterPaths& paths, const ClusterSpec& spec) {
  // Spaces and quotes are fine (argv has no shell; haproxy.cfg quotes, my.cnf takes the rest
  // of the line); a newline or other control byte would end a line of either, and haproxy
  // expands $NAME in a socket address whatever the quoting.
  for (unsigned char c : paths.dir()) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument(
          "cluster dir '{}' contains a control character; use a --dir "
          "without one",
          Printable(paths.dir()));
    }
  }
  if (paths.dir().find('$') != std::string::npos) {
    return InvalidArgument(
        "cluster dir '{}' contains '$', which haproxy would expand in its "
        "socket path; use a --dir without one",
        Printable(paths.dir()));
  }
  constexpr size_t kMax = sizeof(sockaddr_un::sun_path) - 1;
  const std::string longest_member =
      SocketOf(paths.data_dir(PodName(spec.name, static_cast<uint32_t>(spec.replicas - 1))));
  for (const std::string& p : {longest_member, paths.haproxy_stats_socket()}) {
    if (p.size() > kMax) {
      return InvalidArgument(
          "cluster dir {} is too deep: socket path {} exceeds {} bytes; use a "
          "shorter --dir",
          paths.dir(), p, kMax);
    }
  }
  return Status::Ok();
}

Result<ClusterSpec> LoadSpec(FileSystem& fs, const ClusterPaths& paths) {
  auto text = fs.ReadFile(paths.cluster_json());
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFound("no cluster in {}: run `mysqlset up --dir {}` first", paths.dir(),
                      paths.dir());
    }
    return text.status();
  }
  return SpecFromJson(*text, paths.cluster_json());
}

Status SaveSpec(FileSystem& fs, const ClusterPaths& paths, const ClusterSpec& spec) {
  return fs.WriteFileAtomic(paths.cluster_json(), SpecToJson(spec), 0644);
}

std::optional<pid_t> RunningSupervisor(const ClusterPaths& paths) {
  const int fd = open(paths.supervisor_lock().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  const bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);  // releases our shared lock, if we took it
  if (!held) return std::nullopt;
  pid_t pid = 0;
  std::ifstream(paths.supervisor_pid()) >> pid;
  return pid;
}

Status CheckPortsFree(const std::vector<PortUse>& ports) {
  // "In use" means something listens there. A bind() probe would also trip over TIME_WAIT
  // leftovers of connections to a member that just stopped, which the servers' own
  // SO_REUSEADDR/SO_REUSEPORT binds do not mind.
  for (const PortUse& use : ports) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Internal("socket: {}", std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(use.port);
    inet_pton(AF_INET, kLocalHost, &addr.sin_addr);
    const bool listening = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (listening) {
      return FailedPrecondition(
          "port {} ({}) on {} is in use: stop what listens there or pick "
          "another --base-port",
          use.port, use.what, kLocalHost);
    }
  }
  return Status::Ok();
}

std::vector<pid_t> LeftoverProcesses(const ClusterPaths& paths) {
  std::vector<pid_t> out;
  const std::string members = paths.members_dir() + "/";
  const std::string haproxy = paths.haproxy_cfg();
  const std::string etcd = paths.etcd_dir() + "/";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid == getpid() || !ProcessAlive(pid)) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string arg;
    while (std::getline(in, arg, '\0')) {
      if (arg.find(members) != std::string::npos || arg == haproxy || arg.starts_with(etcd)) {
        out.push_back(pid);
        break;
      }
    }
  }
  return out;
}

Result<pid_t> LaunchSupervisor(const std::string& self_exe, const ClusterPaths& paths) {
  auto launched = Daemonize({.argv = {self_exe, "supervise", "--dir", paths.dir()},
                             .log_file = paths.supervisor_log(),
                             .new_process_group = false,  // its session's group is enough
                             .working_dir = "/",
                             .umask = 022});
  if (!launched.ok()) {
    return Internal("could not start the supervisor: {}", launched.status().message());
  }
  const pid_t daemon_pid = *launched;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto running = RunningSupervisor(paths); running && *running == daemon_pid) {
      return daemon_pid;
    }
    if (!ProcessAlive(daemon_pid)) {
      return FailedPrecondition("the supervisor exited at once; see {}:\n{}",
                                paths.supervisor_log(), TailOfFile(paths.supervisor_log(), 5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return DeadlineExceeded("the supervisor (pid {}) did not take the lock on {} within 15s; see {}",
                          daemon_pid, paths.supervisor_lock(), paths.supervisor_log());
}

Result<SupervisorState> LoadState(FileSystem& fs, const ClusterPaths& paths) {
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(paths.state_json()));
  return formats::FromJson<SupervisorState>(text);
}

bool LooksLikeClusterDir(FileSystem& fs, const ClusterPaths& paths) {
  auto text = fs.ReadFile(paths.cluster_json());
  if (!text.ok() || !SpecFromJson(*text, paths.cluster_json()).ok()) return false;
  return fs.IsDirectory(paths.members_dir()) && fs.IsDirectory(paths.secrets_dir());
}

Status PurgeClusterDir(FileSystem& fs, const ClusterPaths& paths) {
  CHECK(LooksLikeClusterDir(fs, paths));
  // Only what we created; anything else the user put in DIR stays (and keeps DIR).
  for (const std::string& p :
       {paths.members_dir(), paths.secrets_dir(), paths.config_dir(), paths.client_cnf(),
        paths.admin_cnf(), paths.state_json(), paths.haproxy_cfg(), paths.haproxy_stats_socket(),
        paths.haproxy_log(), paths.supervisor_pid(), paths.supervisor_log(),
        paths.supervisor_lock(), paths.cluster_json()}) {
    RETURN_IF_ERROR(fs.RemoveAll(p));
  }
  RETURN_IF_ERROR(fs.RemoveAll(paths.etcd_dir()));
  for (int i = 0; i < kMaxEtcdMembers; ++i) RETURN_IF_ERROR(fs.RemoveAll(paths.etcd_log(i)));
  auto left = fs.ListDir(paths.dir());
  if (left.ok() && left->empty()) rmdir(paths.dir().c_str());
  return Status::Ok();
}

std::string TailOfFile(const std::string& path, int lines) {
  // Only the end of the log is read: 64 KiB hold far more than the few lines asked for.
  const std::string tail = TailFile(path, 64 * 1024);
  std::deque<std::string> last;
  std::istringstream in(tail);
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out.append("  | ").append(l).append("\n");
  return out;
}

int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status CheckNewMemberPortsFree(const ClusterSpec& current, const ClusterSpec& next) {
  std::vector<PortUse> ports;
  for (int i = current.replicas; i < next.replicas; ++i) {
    for (auto& use : MemberPortsOf(next, static_cast<uint32_t>(i))) ports.push_back(use);
  }
  return CheckPortsFree(ports);
}

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "mysqlset";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace mysqlset::local
