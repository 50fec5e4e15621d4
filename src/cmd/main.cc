// mysqlset: a replicated MariaDB cluster, as one program. See DESIGN.md.

#include <map>

#include "cmd/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "mysqlset runs a replicated MariaDB cluster: one primary, read replicas cloned from a "
      "live peer.\nPer-member steps (what a Kubernetes pod runs): init, clone, agent, probe.\n"
      "Local cluster on this machine: up, status, scale, down."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mysqlset 0.1.0");
  std::map<CLI::App*, mysqlset::cmd::Action> actions;
  auto add = [&](const char* name, const char* help, auto adder) {
    CLI::App* sub = app.add_subcommand(name, help);
    actions[sub] = adder(*sub);
  };
  add("init", "Write this member's option files (the seed's init-mysql)",
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
  add("down", "Stop a local cluster; --purge also deletes its data",
      mysqlset::cmd::AddDownCommand);
  add("supervise", "", mysqlset::cmd::AddSuperviseCommand);  // empty help: hidden
  // CLI11 reports an unknown first word only as "A subcommand is required"; name it.
  bool known = argc < 2 || argv[1][0] == '-';
  for (const auto& [sub, action] : actions) known = known || sub->get_name() == argv[1];
  if (!known) {
    std::fprintf(stderr, "mysqlset: error: unknown subcommand '%s' (see mysqlset --help)\n",
                 argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      std::fprintf(stderr, "mysqlset: error: %s (see mysqlset --help)\n", e.what());
      return 2;
    }
    return app.exit(e);
  }
  for (auto& [sub, action] : actions) {
    if (sub->parsed()) return action();
  }
  return 2;
}
