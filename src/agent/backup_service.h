#pragma once
// The donor side of cloning, hosted by the agent: a BackupServer on the backup port whose
// backups come from mariabackup (BackupSource). Only peers proving the shared backup token
// get data; at most `max_concurrent` backups run at once. Thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "agent/backup_source.h"
#include "core/accounts.h"
#include "net/backup_server.h"

namespace mysqlset {

struct BackupServiceOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 3307;  // 0: any free port (tests)
  int max_concurrent = 1;
  std::string pod_name;
  std::string datadir;
  uint16_t mysql_port = 3306;
  std::string tmp_dir;  // for option files; empty: $TMPDIR or /tmp
};

class BackupService {
 public:
  BackupService(BackupServiceOptions options, Secrets secrets);
  ~BackupService();
  // Binds and starts serving. Error (kUnavailable) when the port is in use.
  Status Start();
  // Stops accepting, aborts running backups, joins threads. Idempotent.
  void Stop();
  BackupStats Stats() const;
  uint16_t port() const;

 private:
  BackupServiceOptions options_;
  std::unique_ptr<BackupSource> source_;
  std::unique_ptr<net::BackupServer> server_;
};

}  // namespace mysqlset
