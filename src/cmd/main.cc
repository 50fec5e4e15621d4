// mysqlset: a replicated MariaDB cluster, as one program. See DESIGN.md.

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "cmd/version.h"
#include "mariadb/tools.h"
#include "posix/posix_env.h"

namespace {

// The line `mariadbd --version` prints, or a note that none was found: the MariaDB a local
// cluster would run (a pod runs its image's). Bounded: a hung binary cannot hang --version.
std::string MariadbVersion() {
  namespace tools = mysqlset::tools;
  mysqlset::PosixProcessRunner runner;
  for (const std::string& binary :
       {std::string(tools::kMariadbd), std::string("/usr/sbin/") + tools::kMariadbd}) {
    mysqlset::ProcessSpec spec;
    spec.argv = {binary, "--version"};
    spec.timeout = std::chrono::seconds(5);
    auto result = runner.Run(spec);
    if (!result.ok() || !result->ok()) continue;
    std::string text = result->output.substr(0, result->output.find('\n'));
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (!text.empty()) return text;
  }
  return "mariadbd not found (install mariadb-server)";
}

std::string VersionText() {
  const std::string git = mysqlset::cmd::kGitRevision;
  return "mysqlset " + std::string(mysqlset::cmd::kVersion) +
         (git.empty() ? " (not built from git)" : " (git " + git + ")") +
         "\nMariaDB: " + MariadbVersion();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mysqlset runs a replicated MariaDB cluster: one primary, read replicas cloned from a "
      "live peer.\nPer-member steps (what a Kubernetes pod runs): init, clone, agent, probe.\n"
      "Local cluster on this machine: up, status, scale, down, sql, logs."};
  app.footer(
      "Local-cluster commands take --dir DIR; its default is $MYSQLSET_DIR, else ./mysqlset-data.\n"
      "Exit codes: 0 ok; 1 failure (one line says why); 2 usage: a bad flag or argument, "
      "nothing done; 3 `status --check`: not every member is ready.");
  app.require_subcommand(1);
  app.set_version_flag("--version", VersionText, "Print mysqlset's version and the MariaDB found");
  std::map<CLI::App*, mysqlset::cmd::Action> actions;
  auto add = [&](const char* name, const char* help, auto adder) {
    CLI::App* sub = app.add_subcommand(name, help);
    actions[sub] = adder(*sub);
    return sub;
  };
  add("init",
      "Write this member's option files (the init-mysql step of the Kubernetes tutorial's "
      "MySQL StatefulSet)",
      mysqlset::cmd::AddInitCommand);
  add("clone", "Make this member's datadir ready: bootstrap the primary or clone a replica",
      mysqlset::cmd::AddCloneCommand);
  add("agent", "Run the member's sidecar: role convergence, probes, status, metrics, backups",
      mysqlset::cmd::AddAgentCommand);
  add("probe", "Exec-style probe: ask the local agent whether mysqld is live or ready",
      mysqlset::cmd::AddProbeCommand);
  add("up", "Start a local cluster (or restart a stopped one) and wait until it is ready",
      mysqlset::cmd::AddUpCommand);
  add("status", "Show each member of a local cluster: role, readiness, GTID, lag",
      mysqlset::cmd::AddStatusCommand);
  add("scale", "Change the number of members of a running local cluster",
      mysqlset::cmd::AddScaleCommand);
  add("down", "Stop a local cluster; --purge also deletes its data", mysqlset::cmd::AddDownCommand);
  add("sql", "Open a MariaDB prompt (or run -e SQL) on the write endpoint, a member or the reads",
      mysqlset::cmd::AddSqlCommand);
  add("logs", "Print (or follow with -f) the logs of a local cluster's member or supervisor",
      mysqlset::cmd::AddLogsCommand);
  add("switchover",
      "Move the primary role to another member (--to NAME, or the most caught-up replica)",
      mysqlset::cmd::AddSwitchoverCommand);
  add("failover",
      "Force a failover to --to NAME when the primary and its sync replica are both lost "
      "(needs --force: acknowledged writes may be lost)",
      mysqlset::cmd::AddFailoverCommand);
  add("backup",
      "Stream a compressed physical backup of a cluster (local, or its members by address) into "
      "a repository",
      mysqlset::cmd::AddBackupCommand);
  add("backups", "List the backups in a repository", mysqlset::cmd::AddBackupsCommand);
  add("restore", "Build a new local cluster from a backup in a repository",
      mysqlset::cmd::AddRestoreCommand);
  // Internal: the daemon `up` starts. Hidden from --help (an empty group hides it).
  add("supervise", "Internal: the local cluster's supervisor daemon, started by `up`",
      mysqlset::cmd::AddSuperviseCommand)
      ->group("");
  // CLI11 reports an unknown first word only as "A subcommand is required"; name it.
  bool known = argc < 2 || argv[1][0] == '-';
  for (const auto& [sub, action] : actions) known = known || sub->get_name() == argv[1];
  if (!known) {
    std::fprintf(stderr, "mysqlset: error: unknown subcommand '%s' (see mysqlset --help)\n",
                 argv[1]);
    return mysqlset::cmd::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // Name the subcommand whose flags were wrong: "status: ... (see mysqlset status --help)".
      std::string sub;
      for (const CLI::App* s : app.get_subcommands()) sub = s->get_name();
      std::fprintf(stderr, "mysqlset: error: %s%s (see mysqlset %s--help)\n",
                   sub.empty() ? "" : (sub + ": ").c_str(), e.what(),
                   sub.empty() ? "" : (sub + " ").c_str());
      return mysqlset::cmd::kExitUsage;
    }
    return app.exit(e);
  }
  for (auto& [sub, action] : actions) {
    if (sub->parsed()) return action();
  }
  return mysqlset::cmd::kExitUsage;
}
