#include "posix/pid_file_killer.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mysqlset {

Status PidFileKiller::KillServer() {
  std::ifstream in(pid_file_);
  if (!in) return Status::Ok();  // no pid file: mariadbd is not running
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return DataLoss("{} does not hold a pid", pid_file_);
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!comm || !std::getline(comm, name)) return Status::Ok();  // already gone
  if (name != "mariadbd" && name != "mysqld") {
    return FailedPrecondition("{} names pid {}, which is {}, not mariadbd", pid_file_, pid, name);
  }
  if (kill(static_cast<pid_t>(pid), SIGKILL) != 0 && errno != ESRCH) {
    return Internal("kill -9 {} (mariadbd from {}): {}", pid, pid_file_, std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace mysqlset
