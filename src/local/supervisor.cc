#include "local/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/logging.h"
#include "core/data_state.h"
#include "core/identity.h"
#include "local/agent_client.h"
#include "local/cluster_dir.h"
#include "local/haproxy_config.h"
#include "local/wait_verdict.h"
#include "mariadb/tools.h"

namespace mysqlset::local {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "stopped";
}

std::string Timestamp() {
  char buf[64];
  const time_t now = time(nullptr);
  struct tm tm;
  localtime_r(&now, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Display step of a member, as `up`, `scale` and `status` show it.
std::string StepName(MemberPhase phase, bool ready) {
  switch (phase) {
    case MemberPhase::kServing: return ready ? "ready" : "starting";
    case MemberPhase::kInit: return "init";
    case MemberPhase::kClone: return "clone";
    case MemberPhase::kFailed: return "failed";
    case MemberPhase::kStopped: return "stopped";
  }
  return "?";
}

// "show stat" over HAProxy's admin socket: {backend/server -> status}.
std::map<std::string, std::string> HaproxyServerStates(const std::string& socket_path) {
  std::map<std::string, std::string> out;
  for (const auto& [name, stat] : ReadHaproxyServerStats(socket_path)) out[name] = stat.status;
  return out;
}

}  // namespace

Supervisor::Supervisor(FileSystem& fs, Clock& clock, ClusterPaths paths,
                       SupervisorOptions options)
    : fs_(fs), clock_(clock), paths_(std::move(paths)), options_(std::move(options)) {}

Supervisor::~Supervisor() {
  if (signal_fd_ >= 0) close(signal_fd_);
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status Supervisor::Start() {
  lock_fd_ = open(paths_.supervisor_lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return FailedPrecondition("open {}: {}", paths_.supervisor_lock(), std::strerror(errno));
  }
  // A CLI probing the lock holds it for an instant; retry briefly before concluding that
  // another supervisor owns this dir.
  bool locked = false;
  for (int i = 0; i < 60 && !locked; ++i) {
    locked = flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
    if (!locked) std::this_thread::sleep_for(milliseconds(50));
  }
  if (!locked) {
    pid_t other = 0;
    std::ifstream(paths_.supervisor_pid()) >> other;
    return FailedPrecondition("another supervisor (pid {}) already runs on {}", other,
                              paths_.dir());
  }
  RETURN_IF_ERROR(fs_.WriteFileAtomic(paths_.supervisor_pid(), std::to_string(getpid()) + "\n",
                                      0644));
  auto spec = SpecFromJson(fs_.ReadFile(paths_.cluster_json()).value(), paths_.cluster_json());
  if (!spec.ok()) return spec.status();
  spec_ = *spec;
  // Members scaled down earlier keep their data; list them so status shows them.
  if (auto names = fs_.ListDir(paths_.members_dir()); names.ok()) {
    for (const auto& name : *names) {
      auto id = ParseIdentity(name);
      if (id.ok() && id->set_name == spec_.name) MemberAt(id->ordinal);
    }
  }
  for (int i = 0; i < spec_.replicas; ++i) MemberAt(static_cast<uint32_t>(i));

  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd_ < 0) return Internal("signalfd: {}", std::strerror(errno));
  spdlog::info("supervising cluster {} ({} members, base port {}) in {}", spec_.name,
               spec_.replicas, spec_.base_port, paths_.dir());
  return Status::Ok();
}

Supervisor::Member& Supervisor::MemberAt(uint32_t ordinal) {
  auto [it, inserted] = members_.try_emplace(ordinal);
  if (inserted) {
    it->second.ordinal = ordinal;
    it->second.pod = PodName(spec_.name, ordinal);
  }
  return it->second;
}

int Supervisor::Run() {
  while (!stopping_) {
    RunOnce();
    pollfd p{signal_fd_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(options_.tick.count()));
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGHUP) {
        ReloadSpec();
      } else if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
        spdlog::info("signal {}: stopping the cluster", info.ssi_signo);
        stopping_ = true;
      }
      // SIGCHLD only wakes us; Reap() collects.
    }
  }
  StopAll();
  fs_.RemoveAll(paths_.supervisor_pid()).ok();
  spdlog::info("all members stopped; supervisor exits");
  return 0;
}

void Supervisor::ReloadSpec() {
  auto text = fs_.ReadFile(paths_.cluster_json());
  auto spec = text.ok() ? SpecFromJson(*text, paths_.cluster_json()) : Result<ClusterSpec>(text.status());
  if (!spec.ok()) {
    spdlog::error("SIGHUP: keeping {} members: {}", spec_.replicas, spec.status().message());
    return;
  }
  if (spec->name != spec_.name || spec->base_port != spec_.base_port) {
    spdlog::error("SIGHUP: name and base port cannot change on a running cluster; only "
                  "replicas is applied");
  }
  if (spec->replicas != spec_.replicas) {
    spdlog::info("scaling from {} to {} members", spec_.replicas, spec->replicas);
  }
  spec_.replicas = spec->replicas;
  for (int i = 0; i < spec_.replicas; ++i) MemberAt(static_cast<uint32_t>(i));
}

void Supervisor::RunOnce() {
  observed_ms_ = WallClockMillis();
  Reap();
  ProbeReadiness();
  for (const PlannedAction& a : PlanStep(spec_.replicas, Views())) Execute(a);
  EnsureHaproxy();
  ReadHaproxyStats();
  WriteState();
}

std::vector<MemberView> Supervisor::Views() const {
  const auto now = clock_.Now();
  std::vector<MemberView> out;
  for (const auto& [ord, m] : members_) {
    MemberView v;
    v.ordinal = ord;
    v.phase = m.phase;
    v.ready = m.ready;
    v.mariadbd_running = m.mariadbd.pid > 0;
    v.agent_running = m.agent.pid > 0;
    v.mariadbd_restart_due = m.mariadbd.pid == 0 && now >= m.mariadbd.restart_at;
    v.agent_restart_due = m.agent.pid == 0 && now >= m.agent.restart_at;
    v.retry_due = now >= m.retry_at;
    out.push_back(v);
  }
  return out;
}

void Supervisor::Reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) OnExit(pid, status);
}

void Supervisor::OnExit(pid_t pid, int status) {
  const auto now = clock_.Now();
  const std::string how = DescribeExit(status);
  if (pid == haproxy_.pid) {
    haproxy_.pid = 0;
    haproxy_.last_exit = how;
    haproxy_.restart_at = now + options_.restart_backoff.DelayFor(haproxy_.restarts++);
    haproxy_cfg_.clear();
    haproxy_error_ = fmt::format("haproxy exited ({}); see {}", how, paths_.haproxy_log());
    spdlog::warn("{}", haproxy_error_);
    return;
  }
  for (auto& [ord, m] : members_) {
    if (pid == m.prep.pid) {
      m.prep.pid = 0;
      const bool was_init = m.phase == MemberPhase::kInit;
      const std::string step = was_init ? "init" : "clone";
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (was_init) {
          m.phase = MemberPhase::kClone;
          m.prep.pid = Spawn(CloneArgv(m), paths_.log_file(m.pod, "clone"));
        } else {
          spdlog::info("{}: data ready; starting mariadbd and agent", m.pod);
          m.phase = MemberPhase::kServing;
          m.prep_failures = 0;
          m.mariadbd.restarts = m.agent.restarts = 0;
          m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 0;
          StartMariadbd(m);
          StartAgent(m);
        }
      } else {
        m.phase = MemberPhase::kFailed;
        m.retry_at = now + options_.restart_backoff.DelayFor(m.prep_failures++);
        const std::string log = paths_.log_file(m.pod, step);
        auto text = fs_.ReadFile(log);
        const std::string reason = text.ok() ? LastErrorMessage(*text) : "";
        m.error = fmt::format("{}: {} failed ({}){}{}; see {}", m.pod, step, how,
                              reason.empty() ? "" : ": ", reason, log);
        spdlog::error("{}", m.error);
      }
      return;
    }
    for (auto [child, name] :
         {std::pair<Child*, const char*>{&m.mariadbd, "mariadbd"}, {&m.agent, "agent"}}) {
      if (pid != child->pid) continue;
      child->pid = 0;
      child->last_exit = how;
      m.ready = false;
      if (now - child->started >= options_.backoff_reset) child->restarts = 0;
      child->restart_at = now + options_.restart_backoff.DelayFor(child->restarts);
      ++child->restarts;
      spdlog::warn("{}: {} exited ({}); restart #{} in {} ms", m.pod, name, how, child->restarts,
                   std::chrono::duration_cast<milliseconds>(child->restart_at - now).count());
      // Counted until the member is ready again, so a member that was ready and then keeps
      // crashing is reported like one that never got there; the reason is in its log.
      if (++child->exits_since_ready >= options_.crashloop_threshold) {
        const std::string log = paths_.log_file(m.pod, name);
        auto text = fs_.ReadFile(log);
        const std::string reason = !text.ok()             ? ""
                                   : child == &m.mariadbd ? LastServerError(*text)
                                                          : LastErrorMessage(*text);
        m.error = CrashLoopMessage(m.pod, name, child->exits_since_ready, how, reason, log);
        spdlog::error("{}", m.error);
      }
      return;
    }
  }
  spdlog::debug("reaped unknown child {} ({})", pid, how);
}

void Supervisor::ProbeReadiness() {
  for (auto& [ord, m] : members_) {
    if (m.phase != MemberPhase::kServing || m.agent.pid == 0 || m.mariadbd.pid == 0) {
      m.ready = false;
      continue;
    }
    const MemberAddress a = MemberAddressOf(spec_, ord);
    auto reply = HttpGet(a.host, a.agent_port, "/readyz", milliseconds(500));
    const bool ready = reply.ok() && reply->status == 200;
    if (ready && !m.ready) spdlog::info("{}: ready", m.pod);
    if (!ready && m.ready) spdlog::warn("{}: no longer ready", m.pod);
    m.ready = ready;
    if (ready) {
      m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 0;
      m.error.clear();
    }
    WriteState(/*heartbeat_only=*/true);  // a hung agent costs up to 500 ms each
  }
}

void Supervisor::Execute(const PlannedAction& a) {
  Member& m = MemberAt(a.ordinal);
  switch (a.kind) {
    case ActionKind::kStartMember: StartMember(m); break;
    case ActionKind::kRestartMariadbd: StartMariadbd(m); break;
    case ActionKind::kRestartAgent: StartAgent(m); break;
    case ActionKind::kStopMember: StopMember(m); break;
  }
}

std::vector<std::string> Supervisor::MemberCommand(const Member& m, const char* command) const {
  return {options_.self_exe, command, "--pod-name", m.pod, "--conf-dir", paths_.conf_dir(m.pod),
          "--data-dir", paths_.data_dir(m.pod), "--secrets-dir", paths_.secrets_dir(),
          "--peer-host", kLocalHost, "--port", std::to_string(spec_.base_port), "--http-port",
          std::to_string(spec_.base_port + 1), "--backup-port",
          std::to_string(spec_.base_port + 2), "--port-stride", std::to_string(kPortStride)};
}

std::vector<std::string> Supervisor::CloneArgv(const Member& m) const {
  std::vector<std::string> argv = MemberCommand(m, "clone");
  if (m.ordinal == PrimaryOrdinal()) {
    // Locally the primary can see its peers' volumes even when they are stopped (after
    // `down`, all of them are): one holding data forbids bootstrapping an empty primary.
    // Over the network, only the members this supervisor runs: higher local ports may
    // belong to something else.
    argv.insert(argv.end(), {"--peers-to-ask", std::to_string(spec_.replicas - 1)});
    auto names = fs_.ListDir(paths_.members_dir());
    for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
      if (name != m.pod) argv.insert(argv.end(), {"--peer-data-dir", paths_.data_dir(name)});
    }
  }
  return argv;
}

pid_t Supervisor::Spawn(const std::vector<std::string>& argv, const std::string& log) {
  {
    std::ofstream header(log, std::ios::app);
    header << "--- " << Timestamp() << " supervisor starts: " << fmt::format("{}", fmt::join(argv, " "))
           << "\n";
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    spdlog::error("fork for {}: {}", argv[0], std::strerror(errno));
    return 0;
  }
  if (pid == 0) {
    setpgid(0, 0);
    // If the supervisor dies without stopping us (SIGKILL), stop cleanly instead of living on
    // as an orphan nobody supervises.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    const int devnull = open("/dev/null", O_RDONLY);
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(devnull, 0);
    dup2(out >= 0 ? out : devnull, 1);
    dup2(out >= 0 ? out : devnull, 2);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args;
    for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    const std::string msg = "exec " + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!write(2, msg.data(), msg.size());
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

void Supervisor::StartMember(Member& m) {
  for (const std::string& d :
       {paths_.conf_dir(m.pod), paths_.data_dir(m.pod), paths_.logs_dir(m.pod)}) {
    Status st = fs_.MakeDirs(d, 0755);
    if (!st.ok()) {
      m.phase = MemberPhase::kFailed;
      m.retry_at = clock_.Now() + options_.restart_backoff.DelayFor(m.prep_failures++);
      m.error = fmt::format("{}: {}", m.pod, st.message());
      return;
    }
  }
  const MemberAddress a = MemberAddressOf(spec_, m.ordinal);
  spdlog::info("{}: starting (init, clone, then mariadbd on port {})", m.pod, a.mysql_port);
  m.phase = MemberPhase::kInit;
  m.ready = false;
  m.prep.started = clock_.Now();
  m.prep.pid = Spawn({options_.self_exe, "init", "--pod-name", m.pod, "--conf-dir",
                      paths_.conf_dir(m.pod), "--config-map-dir", paths_.config_dir(),
                      "--data-dir", paths_.data_dir(m.pod), "--port",
                      std::to_string(a.mysql_port), "--bind-address", kLocalHost,
                      "--report-host", kLocalHost},
                     paths_.log_file(m.pod, "init"));
  if (m.prep.pid == 0) {
    m.phase = MemberPhase::kFailed;
    m.retry_at = clock_.Now() + options_.restart_backoff.DelayFor(m.prep_failures++);
  }
}

void Supervisor::StartMariadbd(Member& m) {
  // mariadbd refuses to run as root unless told to; local mode runs as the invoking user.
  const std::vector<std::string> argv =
      tools::ServerArgv(paths_.conf_dir(m.pod) + "/my.cnf", geteuid() == 0);
  m.mariadbd.started = clock_.Now();
  m.mariadbd.pid = Spawn(argv, paths_.log_file(m.pod, "mariadbd"));
  if (m.mariadbd.pid == 0) m.mariadbd.restart_at = clock_.Now() + std::chrono::seconds(5);
}

void Supervisor::StartAgent(Member& m) {
  m.agent.started = clock_.Now();
  std::vector<std::string> argv = MemberCommand(m, "agent");
  argv.insert(argv.end(), {"--bind-address", kLocalHost});
  m.agent.pid = Spawn(argv, paths_.log_file(m.pod, "agent"));
  if (m.agent.pid == 0) m.agent.restart_at = clock_.Now() + std::chrono::seconds(5);
}

void Supervisor::StopPids(std::vector<pid_t> pids, const std::string& what) {
  std::erase(pids, 0);
  if (pids.empty()) return;
  for (pid_t p : pids) kill(-p, SIGTERM);
  const auto deadline = steady_clock::now() + options_.stop_timeout;
  bool killed = false;
  while (!pids.empty()) {
    for (auto it = pids.begin(); it != pids.end();) {
      int status = 0;
      const pid_t r = waitpid(*it, &status, WNOHANG);
      if (r == *it || (r < 0 && errno == ECHILD)) {
        it = pids.erase(it);
      } else {
        ++it;
      }
    }
    if (pids.empty()) break;
    WriteState(/*heartbeat_only=*/true);  // stopping can take up to stop_timeout
    if (!killed && steady_clock::now() >= deadline) {
      spdlog::warn("{}: still running {}s after SIGTERM; sending SIGKILL", what,
                   options_.stop_timeout.count());
      for (pid_t p : pids) kill(-p, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

void Supervisor::StopMember(Member& m) {
  spdlog::info("{}: stopping (data is kept)", m.pod);
  const bool preparing = m.prep.pid > 0;
  // The agent first, so it never acts on a mariadbd that is shutting down.
  StopPids({m.agent.pid}, m.pod + " agent");
  StopPids({m.prep.pid, m.mariadbd.pid}, m.pod);
  m.agent.pid = m.mariadbd.pid = m.prep.pid = 0;
  if (preparing) RemoveStaging(m);
  m.agent.restarts = m.mariadbd.restarts = 0;
  m.agent.exits_since_ready = m.mariadbd.exits_since_ready = 0;
  m.phase = MemberPhase::kStopped;
  m.ready = false;
  m.error.clear();
  m.prep_failures = 0;
  m.haproxy_read_state.clear();
}

void Supervisor::RemoveStaging(const Member& m) {
  // A clone stopped mid-stream (scaled down before it finished) leaves what it received so
  // far. That is not data anyone can use (it is not prepared, has no marker, and the next
  // clone starts it over), so it is removed rather than shown as "data kept". The datadir
  // (DATA/mysql) is never touched here.
  const std::string staging = StagingPathOf(paths_.data_dir(m.pod));
  if (!fs_.Exists(staging)) return;
  Status st = fs_.RemoveAll(staging);
  if (st.ok()) {
    spdlog::info("{}: removed the unfinished clone in {}", m.pod, staging);
  } else {
    spdlog::warn("{}: could not remove the unfinished clone in {}: {}", m.pod, staging,
                 st.message());
  }
  fs_.RemoveAll(paths_.clone_progress(m.pod)).ok();
}

void Supervisor::StopAll() {
  stopping_ = true;
  WriteState();
  if (haproxy_.pid > 0) {
    spdlog::info("stopping haproxy");
    StopPids({haproxy_.pid}, "haproxy");
    haproxy_.pid = 0;
  }
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->second.phase != MemberPhase::kStopped) StopMember(it->second);
    WriteState();
  }
}

void Supervisor::EnsureHaproxy() {
  const std::string cfg =
      RenderHaproxyConfig(spec_, spec_.replicas, paths_.haproxy_stats_socket());
  if (haproxy_.pid > 0) {
    if (cfg == haproxy_cfg_) return;
    Status st = fs_.WriteFileAtomic(paths_.haproxy_cfg(), cfg, 0644);
    if (!st.ok()) {
      haproxy_error_ = st.message();
      return;
    }
    // Master-worker mode: SIGUSR2 makes the master re-read the file and start new workers;
    // old workers finish their sessions. A bad file leaves the old workers serving.
    spdlog::info("haproxy: reloading with {} read servers", spec_.replicas);
    kill(haproxy_.pid, SIGUSR2);
    haproxy_cfg_ = cfg;
    return;
  }
  if (clock_.Now() < haproxy_.restart_at) return;
  Status st = fs_.WriteFileAtomic(paths_.haproxy_cfg(), cfg, 0644);
  if (!st.ok()) {
    haproxy_error_ = st.message();
    return;
  }
  haproxy_.started = clock_.Now();
  haproxy_.pid = Spawn({options_.haproxy, "-W", "-db", "-f", paths_.haproxy_cfg()},
                       paths_.haproxy_log());
  if (haproxy_.pid > 0) {
    haproxy_cfg_ = cfg;
    spdlog::info("haproxy started (pid {}): write {}:{}, read {}:{}", haproxy_.pid, kLocalHost,
                 WritePort(spec_), kLocalHost, ReadPort(spec_));
  }
}

void Supervisor::ReadHaproxyStats() {
  if (haproxy_.pid == 0) return;
  const auto states = HaproxyServerStates(paths_.haproxy_stats_socket());
  if (!states.empty()) haproxy_error_.clear();
  for (auto& [ord, m] : members_) {
    auto it = states.find(spec_.name + "-read/" + m.pod);
    m.haproxy_read_state = it == states.end() ? "" : it->second;
  }
}

void Supervisor::WriteState(bool heartbeat_only) {
  if (heartbeat_only && WallClockMillis() - last_write_ms_ < kHeartbeatInterval.count()) return;
  SupervisorState s;
  s.pid = getpid();
  s.spec = spec_;
  s.stopping = stopping_;
  s.haproxy_pid = haproxy_.pid;
  s.haproxy_error = haproxy_error_;
  bool endpoints_up = haproxy_.pid > 0;
  for (const auto& [ord, m] : members_) {
    SupervisedMember o;
    o.name = m.pod;
    o.ordinal = ord;
    o.step = StepName(m.phase, m.ready);
    o.ready = m.ready;
    o.mariadbd_pid = m.mariadbd.pid;
    o.agent_pid = m.agent.pid;
    o.mariadbd_restarts = m.mariadbd.restarts;
    o.agent_restarts = m.agent.restarts;
    o.error = m.error;
    o.read_endpoint = m.haproxy_read_state;
    if (static_cast<int>(ord) < spec_.replicas && m.haproxy_read_state != "UP") {
      endpoints_up = false;
    }
    s.members.push_back(std::move(o));
  }
  s.converged = !stopping_ && Converged(spec_.replicas, Views()) && endpoints_up;
  const std::string unstamped = StateToJson(s);
  const int64_t now = WallClockMillis();
  if (unstamped == last_state_ && now - last_write_ms_ < kHeartbeatInterval.count()) return;
  s.heartbeat_ms = now;
  s.observed_ms = observed_ms_;
  if (fs_.WriteFileAtomic(paths_.state_json(), StateToJson(s), 0644).ok()) {
    last_state_ = unstamped;
    last_write_ms_ = now;
  }
}

}  // namespace mysqlset::local
