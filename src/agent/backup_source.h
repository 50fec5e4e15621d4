#pragma once
// The donor's producer: runs `mariabackup --backup --stream=xbstream` against the local
// mariadbd and hands its stdout to the backup stream as it is produced. The backup
// account's password reaches mariabackup only through a 0600 option file in a private
// temp dir (removed afterwards), never argv. Thread-safe: each Produce() call is an
// independent backup.

#include <cstdint>
#include <string>
#include <vector>

#include "net/backup_server.h"

namespace mysqlset {

struct BackupSourceOptions {
  std::string datadir;  // the live datadir (DATA/mysql)
  uint16_t mysql_port = 3306;
  std::string tmp_dir;          // parent of the private temp dirs; empty: $TMPDIR or /tmp
  std::string backup_password;  // secret
  std::vector<std::string> secret_values;  // scrubbed from any text sent or logged
};

class BackupSource : public net::BackupProducer {
 public:
  explicit BackupSource(BackupSourceOptions options) : options_(std::move(options)) {}

  // Sum of regular file sizes under the datadir: the ETA's denominator.
  uint64_t EstimateBytes() override;
  // Kills mariabackup (its whole process group) as soon as the client is gone. On failure
  // the status carries the last lines of mariabackup's stderr, secrets removed.
  Status Produce(const std::function<bool(std::string_view)>& send,
                 const std::function<bool()>& client_gone) override;

  // mariabackup's argv for a backup (exposed for tests): option file first.
  static std::vector<std::string> BackupArgv(const BackupSourceOptions& options,
                                             const std::string& option_file,
                                             const std::string& target_dir);
  // Option file text: [mariabackup] user, password, host, port.
  static std::string OptionFileText(const BackupSourceOptions& options);

 private:
  BackupSourceOptions options_;
};

// The last `n` non-empty lines of `text`, joined with " | ", with every secret replaced.
std::string TailLines(const std::string& text, size_t n, const std::vector<std::string>& secrets);

}  // namespace mysqlset
