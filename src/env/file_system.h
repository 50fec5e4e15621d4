#pragma once
// The file operations mysqlset needs, behind an interface (leveldb's Env) so that unit
// tests can use an in-memory one. Thread-compatible.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mysqlset {

// What StatFile reports: enough to judge who may read a file.
struct FileInfo {
  mode_t mode = 0;            // permission bits (07777)
  bool owned_by_self = true;  // the owner is this process's effective uid
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
  // Writes to a temp file beside `path`, fsyncs, renames over `path`: readers see the old
  // or the new contents, never a mix. `mode` applies from creation (0600 for secrets).
  virtual Status WriteFileAtomic(const std::string& path, const std::string& contents,
                                 mode_t mode = 0644) = 0;
  virtual bool Exists(const std::string& path) const = 0;
  virtual bool IsDirectory(const std::string& path) const = 0;
  virtual Status MakeDirs(const std::string& path, mode_t mode = 0755) = 0;
  // Atomic within one filesystem; replaces an empty directory or a file at `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveAll(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) const = 0;
  // Bytes in the regular files under `path` (itself when it is a file); symlinks are not
  // followed. Errors when `path` cannot be read.
  virtual Result<uint64_t> TreeBytes(const std::string& path) const = 0;
  // Mode and ownership of what `path` names, following symlinks (a Kubernetes Secret's keys
  // are symlinks into ..data/; the target's mode is what counts).
  virtual Result<FileInfo> StatFile(const std::string& path) const = 0;
  // The last `max_bytes` of a (log) file, whole lines: when the file is longer, the line cut
  // at the start is dropped unless it is all there is. "" when it cannot be read: an error
  // message loses its detail, never its point. This default reads the whole file; the real
  // file system reads only the tail (posix/tail_file.h).
  virtual std::string ReadTail(const std::string& path, size_t max_bytes) const {
    auto text = ReadFile(path);
    if (!text.ok()) return "";
    if (text->size() <= max_bytes) return *text;
    std::string tail = text->substr(text->size() - max_bytes);
    const size_t eol = tail.find('\n');
    if (eol != std::string::npos && eol + 1 < tail.size()) tail.erase(0, eol + 1);
    return tail;
  }
};

}  // namespace mysqlset
