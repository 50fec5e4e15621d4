#pragma once
// The fencing ladder's last step (docs/roles.md): SIGKILL this member's mariadbd when SQL
// could not make it read-only. What restarts it (the local supervisor, the container
// runtime) brings it back read-only from its option file. Real: posix/pid_file_killer.h;
// tests use a fake.

#include "common/status.h"

namespace mysqlset {

class ServerKiller {
 public:
  virtual ~ServerKiller() = default;
  // SIGKILLs the server. OK when it was killed or was not running.
  virtual Status KillServer() = 0;
};

}  // namespace mysqlset
