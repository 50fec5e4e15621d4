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

// innodb_buffer_pool_size for a container memory limit: the limit less a headroom of a quarter
// of it, at least 512 MiB (connections, sort and join buffers, the binlog cache, mariadbd
// itself), rounded down to the 128 MiB chunk InnoDB allocates in, and never under 128 MiB.
// 2 GiB -> 1.5 GiB, 8 GiB -> 6 GiB, 1 GiB -> 512 MiB, 512 MiB -> 128 MiB. 0 (no limit): 0.
uint64_t BufferPoolBytesFor(uint64_t memory_limit_bytes);

// my.cnf: the file mariadbd starts with (--defaults-file), including the other two. With a
// memory limit, it sets innodb_buffer_pool_size by BufferPoolBytesFor before the includes,
// so a value in mysqlset.cnf still wins.
std::string RenderMyCnf(const MemberIdentity& id, const ServerPaths& paths,
                        uint64_t memory_limit_bytes = 0);

}  // namespace mysqlset
