#pragma once
// Reads the secrets dir (a mounted Kubernetes Secret, or DIR/secrets locally).

#include <string>

#include "core/accounts.h"
#include "env/file_system.h"

namespace mysqlset {

// Each file must exist, hold a non-empty value (one trailing newline is dropped) and pass
// CheckSecretFileMode (not readable by others; group-readable only when owned by another
// user, as a Kubernetes Secret with fsGroup). Errors name the file, never its contents.
Result<Secrets> LoadSecrets(const FileSystem& fs, const std::string& dir);
// One of those files (`mysqlset switchover --token-file`), with the same checks.
Result<std::string> ReadSecretFile(const FileSystem& fs, const std::string& dir, const char* name);

// Fresh random passwords that nothing else knows, and `backup_token`: for a throwaway server
// (`mysqlset backup --verify` with a token file and no cluster dir: the scratch restore gives
// mysqlset's accounts passwords, and is removed).
Secrets ThrowawaySecrets(std::string backup_token);

// Generates fresh random secrets and writes them with mode 0600 (local mode). Existing
// files are kept, so re-running never changes a password a server already has.
Status EnsureSecrets(FileSystem& fs, const std::string& dir);

}  // namespace mysqlset
