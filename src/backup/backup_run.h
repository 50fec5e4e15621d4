#pragma once
// `mysqlset backup`'s work: stream a physical backup from one member's backup port (the
// authenticated TLS stream clones use, net/backup_protocol.h) through `zstd` into a work
// file, checking the xbstream as it passes (every chunk and its CRC-32, as mbstream would;
// it also yields the backup's GTID: xbstream_check.h) and decompressing zstd's output as it
// is written (`zstd -t`, against the frame's checksum of the bytes checked); store it in the
// repository, verify it there (its SHA-256 read back), and publish the manifest LAST. Killed
// or failed at any point, no manifest names the backup, so it is never listed
// (docs/backup.md); failed (not killed) after the repository is open, it leaves a failure
// record, failures/<ID>/failure.json, that the backup metrics count. Not thread-safe.

#include <chrono>
#include <functional>
#include <string>

#include "agent/clone_io.h"
#include "backup/repository.h"
#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_runner.h"
#include "formats/backup_manifest.h"

namespace mysqlset::backup {

struct BackupSource {
  std::string name;  // "mysql-1"
  std::string host;
  uint16_t port = 0;  // its backup port
};

struct BackupRunOptions {
  std::string cluster;
  BackupSource source;
  std::string backup_token;  // secret
  int zstd_level = 3;
  std::chrono::milliseconds progress_interval{2000};
  // Called every progress_interval with a line such as
  // "mysql-1: 412.0 MiB of ~1.0 GiB, 48.2 MiB/s, ETA 13 s".
  std::function<void(const std::string&)> on_progress;
  // Called once, when the source has accepted the stream (before any data): a source that
  // cannot be reached or refuses the token ends the run before it, with only the error.
  std::function<void()> on_connected;
};

struct BackupRunEnv {
  FileSystem& fs;
  Clock& clock;
  BackupDialer& dialer;
  PipedProcessStarter& pipes;  // zstd, fed as the stream arrives; the verification's zstd -t
  Repository& repo;
};

// Returns the published manifest. Errors name the step and the source, and say so when the
// failure record could not be written.
Result<formats::BackupManifest> RunBackup(BackupRunEnv& env, const BackupRunOptions& options);

// Decompresses the zstd-compressed xbstream `object` into `dir` (created), through
// `bash -c 'zstd -dc | mbstream -x'` (pipefail); the paths reach the shell as arguments, never as
// code.
Status UnpackObject(ProcessRunner& runner, const std::string& object, const std::string& dir,
                    const std::string& log_file);

}  // namespace mysqlset::backup
