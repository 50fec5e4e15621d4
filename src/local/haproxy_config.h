#pragma once
// haproxy.cfg for a local cluster's two endpoints. Pure. Routing follows the roles held in
// the store (docs/roles.md): HAProxy asks every member's agent, never a fixed ordinal.
//   write endpoint (base-6): TCP to whichever member's agent answers GET /primary with 200
//     (it holds the leader lease and its server is writable); checked every 500 ms, in
//     after 1 success, so a switchover's new primary takes writes within half a second.
//   read endpoint (base-5): TCP, round robin over the members whose agent answers
//     GET /replica with 200 (a healthy replica under the lag limit; checked every second,
//     out after 2 failures, back after 2 successes), so a dead or lagging replica leaves
//     quickly.
// Both cut the sessions of a member marked down (on-marked-down shutdown-sessions): the
// clients of a demoted primary are disconnected at once rather than left on a read-only
// server.
// Admin/stats on a unix socket under the cluster dir; no TCP stats port.
// RenderHaproxyConfig and ParseHaproxyShowStat are pure; ReadHaproxyServerStats asks the
// admin socket.

#include <map>
#include <string>

#include "local/cluster_spec.h"

namespace mysqlset::local {

// `word` as one haproxy.cfg word: in double quotes, with \ " and $ escaped, so a path with a
// space stays one argument. REQUIRES: no newline; for a socket address also no '$', which
// haproxy 2.6 expands there even when escaped (CheckSocketPathLengths refuses both in --dir).
std::string HaproxyQuote(const std::string& word);
// Where the servers' health is saved across a reload: beside the admin socket.
std::string HaproxyStateFile(const std::string& stats_socket);
// One command over the admin socket at `socket_path` (300 ms timeouts); its answer, "" when
// HAProxy does not answer.
std::string HaproxyAdminCommand(const std::string& socket_path, const std::string& command);

// `members` = the current desired size (ordinals 0..members-1 are listed as servers).
std::string RenderHaproxyConfig(const ClusterSpec& spec, int members,
                                const std::string& stats_socket);

// One server's line of "show stat".
struct HaproxyServerStat {
  std::string status;      // "UP", "DOWN", "MAINT", "no check", ...
  long failed_checks = 0;  // chkfail
  long went_down = 0;      // chkdown: UP -> DOWN transitions
};

// "show stat" CSV -> {"backend/server" -> stat}; the frontend and backend summary lines
// (svname FRONTEND/BACKEND) are included as such.
std::map<std::string, HaproxyServerStat> ParseHaproxyShowStat(const std::string& csv);

// "show stat" over the admin socket at `socket_path` (300 ms timeouts); empty when HAProxy
// does not answer.
std::map<std::string, HaproxyServerStat> ReadHaproxyServerStats(const std::string& socket_path);

}  // namespace mysqlset::local
