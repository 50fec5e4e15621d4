#pragma once
// The real Clock, FileSystem and ProcessRunner.

#include "env/clock.h"
#include "env/file_system.h"
#include "env/process_runner.h"

namespace mysqlset {

class RealClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override;
  int64_t UnixSeconds() const override;
  int64_t UnixMillis() const override;
  void SleepFor(std::chrono::milliseconds d) override;
};

class PosixFileSystem : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) const override;
  std::string ReadTail(const std::string& path, size_t max_bytes) const override;
  Status WriteFileAtomic(const std::string& path, const std::string& contents,
                         mode_t mode) override;
  bool Exists(const std::string& path) const override;
  bool IsDirectory(const std::string& path) const override;
  Status MakeDirs(const std::string& path, mode_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RemoveAll(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) const override;
  Result<uint64_t> TreeBytes(const std::string& path) const override;
  Result<FileInfo> StatFile(const std::string& path) const override;
};

class PosixProcessRunner : public ProcessRunner {
 public:
  Result<ProcessResult> Run(const ProcessSpec& spec) override;
};

}  // namespace mysqlset
