#pragma once
// Text of the option files `mysqlset init` writes. Pure: returns strings; the caller
// writes them atomically.

#include <string>

#include "core/identity.h"

namespace mysqlset {

// The server option file copied from the config-map dir. One for every member: any member
// can become the primary, and the agent, not the file, decides the role.
inline constexpr const char* kServerCnfName = "mysqlset.cnf";

// server-id.cnf: this member's server_id and the address replicas report.
std::string RenderServerIdCnf(const MemberIdentity& id, const std::string& report_host,
                              uint16_t report_port);

struct ServerPaths {
  std::string conf_dir;  // holds server-id.cnf, mysqlset.cnf and my.cnf
  std::string data_dir;  // the data volume; the datadir proper is data_dir + "/mysql"
  std::string bind_address = "0.0.0.0";
  uint16_t port = 3306;
};

// The datadir inside the data volume. Staging and markers sit beside it on the same
// filesystem so installing a clone is one rename.
std::string DatadirOf(const std::string& data_dir);
std::string SocketOf(const std::string& data_dir);
// DATA/tmp: the server's private tmpdir (`mysqlset clone` empties it before each start).
std::string TmpdirOf(const std::string& data_dir);

// my.cnf: the file mariadbd starts with (--defaults-file), including the other two.
std::string RenderMyCnf(const MemberIdentity& id, const ServerPaths& paths);

}  // namespace mysqlset
