#pragma once
// What `mysqlset sql` and `mysqlset logs` point at, from what the user typed: a member named
// "NAME-N" (or just "N"), the write or read endpoint, a log component. Pure: no I/O.

#include <string>
#include <vector>

#include "common/status.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

// The ordinal of `member` ("mysql-2" or "2") in `spec`; kInvalidArgument naming the members
// that exist when it is not one of them.
Result<uint32_t> MemberOrdinal(const ClusterSpec& spec, const std::string& member);

// Where `sql` connects: the write endpoint by default, member `member` when not empty, the
// read endpoint when `read_endpoint`. REQUIRES: not both.
struct SqlTarget {
  std::string host;
  uint16_t port = 0;
  std::string what;  // "write endpoint", "mysql-1", "read endpoint"
};
Result<SqlTarget> ChooseSqlTarget(const ClusterSpec& spec, const std::string& member,
                                  bool read_endpoint);

// The mariadb client's argv: the credentials come from client.cnf (the app account), or
// admin.cnf when `admin` (--defaults-extra-file must be the first option), never from argv.
// `execute` ("" for a prompt) is -e's SQL.
std::vector<std::string> SqlClientArgv(const ClusterPaths& paths, const SqlTarget& target,
                                       const std::string& execute, bool admin = false);

// The log components of a member, in the order a member runs them.
inline constexpr const char* kMemberLogComponents[] = {"init", "clone", "mariadbd", "agent"};

// The log files `logs` shows: with no member, the supervisor's (component "" or
// "supervisor") or HAProxy's ("haproxy"); with a member, its four logs or the one of
// `component`. kInvalidArgument for an unknown member or component, or a member with
// "supervisor"/"haproxy".
Result<std::vector<std::string>> LogFilesFor(const ClusterSpec& spec, const ClusterPaths& paths,
                                             const std::string& member,
                                             const std::string& component);

}  // namespace mysqlset::local
