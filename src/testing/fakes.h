#pragma once
// Hand-written stateful fakes for unit tests of pure logic.

#include <map>
#include <set>

#include "env/clock.h"
#include "env/file_system.h"

namespace mysqlset {

class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override { return now_; }
  int64_t UnixSeconds() const override {
    return 1700000000 +
           std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
  }
  int64_t UnixMillis() const override {
    return 1700000000000 +
           std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch()).count();
  }
  void SleepFor(std::chrono::milliseconds d) override { now_ += d; }
  void Advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::chrono::steady_clock::time_point now_{};
};

// An in-memory filesystem: files and directories keyed by full path.
class MemFileSystem : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) const override;
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

  mode_t ModeOf(const std::string& path) const { return modes_.at(path); }
  // Makes StatFile report `path` as owned by another user (a Kubernetes Secret file).
  void SetOwnedByOther(const std::string& path) { owned_by_other_.insert(path); }
  size_t writes() const { return writes_; }
  const std::map<std::string, std::string>& files() const { return files_; }

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, mode_t> modes_;
  std::set<std::string> dirs_;
  std::set<std::string> owned_by_other_;
  size_t writes_ = 0;
};

}  // namespace mysqlset
