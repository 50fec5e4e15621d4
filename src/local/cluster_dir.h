#pragma once
// The cluster dir on disk: preparing it for `up`, telling whether a supervisor runs on it,
// starting one, and purging it. Everything the CLI commands share; the supervisor's own
// loop is in supervisor.h.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/status.h"
#include "env/file_system.h"
#include "local/cluster_report.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

// Creates DIR (and checks it is writable), DIR/secrets (EnsureSecrets: existing passwords are
// kept), DIR/config (the embedded defaults; files already there are kept, so local edits
// win), DIR/members, DIR/client.cnf (0600) and DIR/cluster.json. Errors say which path.
Status PrepareClusterDir(FileSystem& fs, const ClusterPaths& paths, const ClusterSpec& spec);

// Checks that unix socket paths under DIR fit the 107-byte limit for `replicas` members, and
// that DIR has no control character (a newline would split haproxy.cfg and my.cnf lines)
// and no '$' (haproxy expands $NAME in socket addresses, quoted or not).
Status CheckSocketPathLengths(const ClusterPaths& paths, const ClusterSpec& spec);

// DIR/cluster.json, or kNotFound with "no cluster in DIR: run mysqlset up".
Result<ClusterSpec> LoadSpec(FileSystem& fs, const ClusterPaths& paths);
Status SaveSpec(FileSystem& fs, const ClusterPaths& paths, const ClusterSpec& spec);

// The live supervisor's pid, or nullopt when none holds DIR's lock.
std::optional<pid_t> RunningSupervisor(const ClusterPaths& paths);

// Tries to bind each port on 127.0.0.1; kFailedPrecondition naming the first in use.
Status CheckPortsFree(const std::vector<PortUse>& ports);

// Starts `self_exe supervise --dir DIR` as a daemon (Daemonize: own session, cwd /, stdout
// and stderr appended to DIR/supervisor.log) and returns its pid once it holds the lock, or
// an error with the tail of its log when it exits first.
Result<pid_t> LaunchSupervisor(const std::string& self_exe, const ClusterPaths& paths);

// DIR/state.json as last written by the supervisor.
Result<SupervisorState> LoadState(FileSystem& fs, const ClusterPaths& paths);

// True when DIR holds a cluster.json that parses and a members/ dir: the test `down --purge`
// applies before deleting anything.
bool LooksLikeClusterDir(FileSystem& fs, const ClusterPaths& paths);

// Deletes what mysqlset created under DIR (members, secrets, config, generated files), then
// DIR itself if empty. REQUIRES: no supervisor runs; LooksLikeClusterDir.
Status PurgeClusterDir(FileSystem& fs, const ClusterPaths& paths);

// Last `lines` lines of a log file ("" if unreadable), for error messages.
std::string TailOfFile(const std::string& path, int lines);

// Processes a previous supervisor of DIR started that still run: mariadbd, agents, clones,
// HAProxy and etcd whose command line names DIR/members/, DIR/haproxy.cfg or DIR/etcd/. After the
// supervisor was SIGKILLed they get SIGTERM (parent-death signal) and take a moment to stop,
// holding the cluster's ports meanwhile.
std::vector<pid_t> LeftoverProcesses(const ClusterPaths& paths);

// The wall clock in Unix milliseconds (heartbeats are compared across processes).
int64_t WallClockMillis();

// Refuses ports that members about to start (ordinals current.replicas .. next.replicas-1)
// need when something already listens there; members already running hold theirs. `up` on
// a running cluster and `scale` both call it.
Status CheckNewMemberPortsFree(const ClusterSpec& current, const ClusterSpec& next);

// The running binary's path (/proc/self/exe), to start children of the same version.
std::string SelfExe();

}  // namespace mysqlset::local
