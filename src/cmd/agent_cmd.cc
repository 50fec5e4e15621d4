#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <memory>

#include "agent/agent.h"
#include "agent/backup_service.h"
#include "agent/http_endpoints.h"
#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/mycnf.h"
#include "mariadb/mariadb_db.h"
#include "posix/fd_limit.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

std::atomic<bool> stop_requested{false};

void OnSignal(int) { stop_requested = true; }

struct AgentFlags {
  MemberFlags member;
  int64_t lag_threshold = 30;
  int tick_ms = 1000;
  std::string bind_address = "0.0.0.0";
  int backup_concurrency = 1;
};

// Ticks the agent until SIGTERM or SIGINT.
void RunUntilSignalled(Agent& agent, Clock& clock) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  while (!stop_requested) {
    agent.RunOnce();
    // Sleep in short steps so a signal ends the agent promptly.
    const auto until = clock.Now() + agent.NextDelay();
    while (!stop_requested && clock.Now() < until) {
      clock.SleepFor(std::chrono::milliseconds(50));
    }
  }
}

int RunAgent(const AgentFlags& f) {
  SetUpLogging("agent", f.member.log_level);
  // Every connection to the HTTP port holds a descriptor; a flood of 500 idle ones must
  // not exhaust the usual soft limit of 1024 (issue #18).
  if (auto fds = RaiseOpenFileLimit(); !fds.ok()) {
    spdlog::warn("agent: cannot raise the open-file limit: {}", fds.status().message());
  }
  auto id = ParseIdentity(ResolvePodName(f.member), f.member.server_id_offset);
  if (!id.ok()) return ReportError("agent", id.status());
  PosixFileSystem fs;
  RealClock clock;
  auto secrets = LoadSecrets(fs, f.member.secrets_dir);
  if (!secrets.ok()) return ReportError("agent", secrets.status());
  const MemberAddress self = AddressOf(f.member.layout, id->set_name, id->ordinal);

  AgentConfig config;
  config.id = *id;
  config.layout = f.member.layout;
  config.data_dir = Absolute(f.member.data_dir);
  config.policy.max_lag_seconds = f.lag_threshold;
  config.secrets = *secrets;
  config.tick = std::chrono::milliseconds(f.tick_ms);
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr) config.os_user = pw->pw_name;

  // Two connections: the loop acts as admin; probes only ever need the monitor account.
  ConnectOptions admin{"127.0.0.1", self.mysql_port, kAdminUser, secrets->admin_password};
  ConnectOptions monitor{
      "127.0.0.1", self.mysql_port, kMonitorUser, secrets->monitor_password, 2, 2, 2};
  MariaDb admin_db(admin);
  MariaDb monitor_db(monitor);
  Agent agent(config, admin_db, fs, clock);

  BackupServiceOptions backup_options;
  backup_options.bind_address = f.bind_address;
  backup_options.port = self.backup_port;
  backup_options.max_concurrent = f.backup_concurrency;
  backup_options.pod_name = id->pod_name;
  backup_options.datadir = DatadirOf(config.data_dir);
  backup_options.mysql_port = self.mysql_port;
  BackupService backups(backup_options, *secrets);
  if (Status st = backups.Start(); !st.ok()) return ReportError("agent", st);

  AgentHttpServer http({&agent, &monitor_db, &clock, [&backups] { return backups.Stats(); }});
  if (Status st = http.Start(f.bind_address, self.agent_port); !st.ok()) {
    backups.Stop();
    return ReportError("agent", st);
  }
  spdlog::info("{}: agent serving http://{}:{} and backups on port {} ({}), mysqld 127.0.0.1:{}",
               id->pod_name, f.bind_address, self.agent_port, self.backup_port,
               RoleName(agent.role()), self.mysql_port);

  RunUntilSignalled(agent, clock);
  spdlog::info("{}: agent stopping", id->pod_name);
  http.Stop();
  backups.Stop();
  return 0;
}

}  // namespace

Action AddAgentCommand(CLI::App& app) {
  auto f = std::make_shared<AgentFlags>();
  AddPodNameFlag(app, f->member);
  AddDirFlags(app, f->member, /*secrets=*/true);
  AddPeerFlags(app, f->member);
  app.add_option("--lag-threshold", f->lag_threshold,
                 "A replica further behind than this many seconds is not ready")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86400}));
  app.add_option("--tick-ms", f->tick_ms, "Milliseconds between convergence checks")
      ->capture_default_str()
      ->check(CLI::Range(50, 60000));
  app.add_option("--bind-address", f->bind_address, "Address for the HTTP and backup ports")
      ->capture_default_str();
  app.add_option("--backup-concurrency", f->backup_concurrency,
                 "Backups served at once; further requests are refused as busy")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  return [f]() { return RunAgent(*f); };
}

}  // namespace mysqlset::cmd
