#pragma once
// One function per subcommand: registers its flags on `app` and returns the action to run
// when the subcommand is chosen. main.cc wires them together.

#include <functional>

#include "CLI/CLI.hpp"

namespace mysqlset::cmd {

using Action = std::function<int()>;

Action AddInitCommand(CLI::App& app);
Action AddCloneCommand(CLI::App& app);
Action AddAgentCommand(CLI::App& app);
Action AddProbeCommand(CLI::App& app);
// Local cluster (up_cmd.cc, status_cmd.cc, scale_cmd.cc, down_cmd.cc).
Action AddUpCommand(CLI::App& app);
Action AddSuperviseCommand(CLI::App& app);  // hidden: the daemon `up` starts
Action AddStatusCommand(CLI::App& app);
Action AddScaleCommand(CLI::App& app);
Action AddDownCommand(CLI::App& app);
// Conveniences for a local cluster (sql_cmd.cc, logs_cmd.cc).
Action AddSqlCommand(CLI::App& app);
Action AddLogsCommand(CLI::App& app);
// Moves the primary role (switchover_cmd.cc): local, or through an agent's URL.
Action AddSwitchoverCommand(CLI::App& app);
// Forces a failover when the cluster waits for lost members (failover_cmd.cc).
Action AddFailoverCommand(CLI::App& app);
// Backups (backup_cmd.cc): take one, list a repository, restore one into a new cluster.
Action AddBackupCommand(CLI::App& app);
Action AddBackupsCommand(CLI::App& app);
Action AddRestoreCommand(CLI::App& app);

}  // namespace mysqlset::cmd
