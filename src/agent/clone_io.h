#pragma once
// The clone receiver's I/O besides files, time and one-shot tools, behind small interfaces
// so that its orchestration (clone_receiver.cc) runs in unit tests against fakes: the
// authenticated backup stream from a donor, a process fed through a pipe as the stream
// arrives (mbstream -x), and the free space of the data volume. The real adapters follow
// the interfaces. None is thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/disk_space.h"
#include "env/process_runner.h"
#include "net/backup_client.h"

namespace mysqlset {

// One authenticated backup stream from a donor.
class BackupStream {
 public:
  virtual ~BackupStream() = default;
  virtual const net::BackupHello& hello() const = 0;
  // Streams payload bytes to `on_data` until the trailer; OK only when the stream is complete
  // and verified. on_data's errors abort the stream (see net::BackupClient::Receive).
  virtual Status Receive(const std::function<Status(std::string_view)>& on_data) = 0;
};

// Opens backup streams. Errors as net::BackupClient::Connect's (kPermissionDenied when the
// donor and we do not share the backup token).
class BackupDialer {
 public:
  virtual ~BackupDialer() = default;
  virtual Result<std::unique_ptr<BackupStream>> Connect(
      const net::BackupClientOptions& options) = 0;
};

// A running child that reads what we write to its stdin; its stdout and stderr go to a log.
class PipedProcess {
 public:
  virtual ~PipedProcess() = default;
  // Fails once the child stopped reading (exited or closed its stdin).
  virtual Status Write(std::string_view data) = 0;
  // Closes the child's stdin (EOF) and waits for it to exit.
  virtual ProcessResult Finish() = 0;
  // Closes stdin, kills the child's process group and reaps it.
  virtual void Kill() = 0;
};

class PipedProcessStarter {
 public:
  virtual ~PipedProcessStarter() = default;
  // Starts argv[0] (searched in PATH), appending its output to `log_file`.
  virtual Result<std::unique_ptr<PipedProcess>> Start(const std::vector<std::string>& argv,
                                                      const std::string& log_file) = 0;
};

class DiskSpace {
 public:
  virtual ~DiskSpace() = default;
  // Free bytes for unprivileged writers on the file system holding `path`; nullopt when it
  // cannot be told (the path does not exist).
  virtual std::optional<uint64_t> FreeBytes(const std::string& path) const = 0;
};

// net::BackupClient over TLS.
class NetBackupDialer : public BackupDialer {
 public:
  Result<std::unique_ptr<BackupStream>> Connect(const net::BackupClientOptions& options) override;
};

// posix/subprocess.h's Subprocess with a pipe on stdin. A process neither finished nor
// killed is killed when its handle is destroyed. The caller ignores SIGPIPE.
class PosixPipedProcessStarter : public PipedProcessStarter {
 public:
  Result<std::unique_ptr<PipedProcess>> Start(const std::vector<std::string>& argv,
                                              const std::string& log_file) override;
};

// statvfs(2).
class StatvfsDiskSpace : public DiskSpace {
 public:
  std::optional<uint64_t> FreeBytes(const std::string& path) const override;
  // Free and total bytes of the file system holding `path`; nullopt when it cannot be told.
  static std::optional<VolumeSpace> VolumeOf(const std::string& path);
};

}  // namespace mysqlset
