#pragma once
// Where backups are kept (docs/backup.md): a directory (local disk, NFS, a mounted volume)
// or `rclone:REMOTE:PATH`, any remote Debian's rclone reaches (S3, GCS, Azure, SFTP,
// WebDAV ...), configured in rclone's own config file so no credential is in our argv.
// Keys are '/'-separated paths under the repository's root ("backups/ID/manifest.json").
// Writers put the objects, verify them, and publish the manifest last with PutText, which
// is atomic, so a reader never sees a manifest before the objects it names. Not
// thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "env/file_system.h"
#include "env/process_runner.h"

namespace mysqlset::backup {

class Repository {
 public:
  virtual ~Repository() = default;
  // "/srv/backups" or "rclone:remote:bucket/path": for messages.
  virtual std::string Describe() const = 0;
  // A local dir for work files; for a directory repository one on the same file system
  // (REPO/.incoming), so that PutFile is a rename.
  virtual std::string ScratchDir() const = 0;
  // Stores the local file under `key`, consuming it (the local file may be gone after).
  virtual Status PutFile(const std::string& local_path, const std::string& key) = 0;
  // Stores `text` under `key` atomically: readers see all of it or nothing.
  virtual Status PutText(const std::string& key, const std::string& text) = 0;
  // kNotFound when there is no such object.
  virtual Result<std::string> GetText(const std::string& key) = 0;
  // A local path holding the object's bytes: the object itself (directory) or a copy
  // downloaded into `scratch_dir`.
  virtual Result<std::string> Fetch(const std::string& key, const std::string& scratch_dir) = 0;
  // The SHA-256 (lowercase hex) of the object as stored, read back from the repository.
  virtual Result<std::string> Sha256Of(const std::string& key) = 0;
  // Deletes one object; OK when it is already gone.
  virtual Status Remove(const std::string& key) = 0;
  // Deletes the folder `prefix` and everything under it; OK when it is already gone.
  virtual Status RemoveFolder(const std::string& prefix) = 0;
  // The names of the folders directly under `prefix` ("backups"); none when it is absent.
  virtual Result<std::vector<std::string>> ListFolders(const std::string& prefix) = 0;
};

// "rclone:REMOTE:PATH" -> rclone; anything else is a directory path, created if missing
// when `create` (a backup writes there), else kNotFound naming it (listing or restoring
// from a mistyped path creates nothing). core/repository_spec.h's CheckStoredRepositorySpec
// errors first: a named remote with connection-string settings is opened (an older version
// may have stored one), and Describe() shows it redacted.
Result<std::unique_ptr<Repository>> OpenRepository(const std::string& spec, FileSystem& fs,
                                                   ProcessRunner& runner, bool create = false);

struct FileDigest {
  std::string sha256;  // lowercase hex
  uint64_t bytes = 0;
};
// SHA-256 and size of a local file.
Result<FileDigest> DigestFile(const std::string& path);

}  // namespace mysqlset::backup
