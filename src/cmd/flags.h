#pragma once
// Flags shared by the per-member subcommands (init, clone, agent), and the pod-name rule:
// --pod-name, else $POD_NAME, else the hostname.

#include <string>

#include "CLI/CLI.hpp"
#include "core/identity.h"
#include "core/topology.h"

namespace mysqlset::cmd {

struct MemberFlags {
  std::string pod_name;
  std::string conf_dir = "/etc/mysql/conf.d";
  std::string data_dir = "/var/lib/mysql";
  std::string secrets_dir = "/etc/mysqlset/secrets";
  uint64_t server_id_offset = kDefaultServerIdOffset;
  PeerLayout layout;
  std::string log_level = "info";
};

void AddPodNameFlag(CLI::App& app, MemberFlags& f);
// --log-level (into `level`, checked against kLogLevels) and --log-format (text or json, also
// from $MYSQLSET_LOG_FORMAT; sets the format SetUpLogging uses).
void AddLogFlags(CLI::App& app, std::string& level);
// --dir of the local-cluster commands; $MYSQLSET_DIR is its default, else ./mysqlset-data.
CLI::Option* AddClusterDirFlag(CLI::App& app, std::string& dir);
void AddDirFlags(CLI::App& app, MemberFlags& f, bool secrets);
void AddPeerFlags(CLI::App& app, MemberFlags& f);

// The pod name after applying the fallback to the hostname.
std::string ResolvePodName(const MemberFlags& f);

// Absolute form of a path flag: generated files must not depend on the cwd.
std::string Absolute(const std::string& path);

// Makes a path flag absolute as it is parsed (the edge), so that no child process, staging
// dir or generated file ever sees a relative path. Returns `option`.
CLI::Option* MakeAbsolute(CLI::Option* option);

// Exit codes of every subcommand (README, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;     // bad flags or arguments; nothing was done
inline constexpr int kExitNotReady = 3;  // `status --check`: not every member is ready

// Prints "mysqlset <cmd>: error: <message>" and returns the exit code for the status.
int ReportError(std::string_view command, const Status& status);

}  // namespace mysqlset::cmd
