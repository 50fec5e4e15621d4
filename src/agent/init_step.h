#pragma once
// `mysqlset init`: the seed's init-mysql. Writes server-id.cnf, the role's cnf copied from
// the config-map dir, and my.cnf, each atomically. Validates everything before writing
// anything, so a bad input leaves the conf dir as it was. Running it twice gives
// identical files.

#include <string>

#include "core/identity.h"
#include "core/mycnf.h"
#include "env/file_system.h"

namespace mysqlset {

struct InitOptions {
  std::string pod_name;
  uint64_t server_id_offset = kDefaultServerIdOffset;
  std::string config_map_dir;
  std::string report_host;  // empty: "{pod}.{service}"
  std::string service;      // empty: the set name
  ServerPaths paths;
  // The mariadbd container's memory limit (`--memory-limit`, from the downward API); 0: none,
  // and innodb_buffer_pool_size stays as mysqlset.cnf or MariaDB's default has it.
  uint64_t memory_limit_bytes = 0;
};

// Returns the identity on success, for the caller's log line.
Result<MemberIdentity> RunInit(FileSystem& fs, const InitOptions& options);

// Checks a role cnf's text: non-empty, has a [mariadbd]/[mysqld]/[server] group before any
// option, and every line is a comment, a group, an option or a !include.
Status ValidateCnfText(const std::string& text, const std::string& where);

}  // namespace mysqlset
