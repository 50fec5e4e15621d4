#pragma once
// haproxy.cfg for a local cluster's two endpoints. Pure.
//   write endpoint (base-6): TCP to the primary (the one topology.h names).
//   read endpoint (base-5): TCP, round robin over every current member; a member serves
//     only while its agent's /readyz answers 200 (checked every second, out after 2
//     failures, back after 2 successes), so a dead or lagging replica leaves quickly.
// Admin/stats on a unix socket under the cluster dir; no TCP stats port.

#include <string>

#include "local/cluster_spec.h"

namespace mysqlset::local {

// `word` as one haproxy.cfg word: in double quotes, with \ " and $ escaped, so a path with a
// space stays one argument. REQUIRES: no newline; for a socket address also no '$', which
// haproxy 2.6 expands there even when escaped (CheckSocketPathLengths refuses both in --dir).
std::string HaproxyQuote(const std::string& word);

// `members` = the current desired size (ordinals 0..members-1 are listed as servers).
std::string RenderHaproxyConfig(const ClusterSpec& spec, int members,
                                const std::string& stats_socket);

}  // namespace mysqlset::local
