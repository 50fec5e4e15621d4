#pragma once
// ServerKiller for a mariadbd that writes its pid to a file (my.cnf's pid-file,
// DATA/mysqld.pid).

#include <string>

#include "env/server_killer.h"

namespace mysqlset {

class PidFileKiller : public ServerKiller {
 public:
  explicit PidFileKiller(std::string pid_file) : pid_file_(std::move(pid_file)) {}
  // Reads the pid, checks that the process is a mariadbd (a stale file may name a reused
  // pid), and SIGKILLs it.
  Status KillServer() override;

 private:
  std::string pid_file_;
};

}  // namespace mysqlset
