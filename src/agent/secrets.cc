#include "agent/secrets.h"

#include <openssl/rand.h>

namespace mysqlset {

Result<std::string> ReadSecretFile(const FileSystem& fs, const std::string& dir, const char* name) {
  const std::string path = dir + "/" + name;
  auto content = fs.ReadFile(path);
  if (!content.ok()) {
    return Status(content.status().code(),
                  fmt::format("secret file {} is missing or unreadable: create it (mode 0600) or "
                              "mount the Secret with key '{}'",
                              path, name));
  }
  std::string v = std::move(content).value();
  if (!v.empty() && v.back() == '\n') v.pop_back();
  if (!v.empty() && v.back() == '\r') v.pop_back();
  if (v.empty() || v.find_first_not_of(" \t") == std::string::npos) {
    return InvalidArgument("secret file {} is empty: put a password in it", path);
  }
  if (v.find('\n') != std::string::npos || v.find('\0') != std::string::npos) {
    return InvalidArgument("secret file {} holds more than one line: keep one value per file",
                           path);
  }
  ASSIGN_OR_RETURN(FileInfo info, fs.StatFile(path));
  RETURN_IF_ERROR(CheckSecretFileMode(path, info.mode, info.owned_by_self));
  return v;
}

namespace {

std::string RandomToken() {
  unsigned char raw[24];
  CHECK(RAND_bytes(raw, sizeof raw) == 1);
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (unsigned char c : raw) out += kAlphabet[c % 62];
  return out;
}

}  // namespace

Secrets ThrowawaySecrets(std::string backup_token) {
  Secrets s;
  s.admin_password = RandomToken();
  s.replication_password = RandomToken();
  s.backup_password = RandomToken();
  s.monitor_password = RandomToken();
  s.app_password = RandomToken();
  s.backup_token = std::move(backup_token);
  return s;
}

Result<Secrets> LoadSecrets(const FileSystem& fs, const std::string& dir) {
  Secrets s;
  ASSIGN_OR_RETURN(s.admin_password, ReadSecretFile(fs, dir, kAdminPasswordFile));
  ASSIGN_OR_RETURN(s.replication_password, ReadSecretFile(fs, dir, kReplicationPasswordFile));
  ASSIGN_OR_RETURN(s.backup_password, ReadSecretFile(fs, dir, kBackupPasswordFile));
  ASSIGN_OR_RETURN(s.monitor_password, ReadSecretFile(fs, dir, kMonitorPasswordFile));
  ASSIGN_OR_RETURN(s.backup_token, ReadSecretFile(fs, dir, kBackupTokenFile));
  ASSIGN_OR_RETURN(s.app_password, ReadSecretFile(fs, dir, kAppPasswordFile));
  return s;
}

Status EnsureSecrets(FileSystem& fs, const std::string& dir) {
  RETURN_IF_ERROR(fs.MakeDirs(dir, 0700));
  for (const char* name : {kAdminPasswordFile, kReplicationPasswordFile, kBackupPasswordFile,
                           kMonitorPasswordFile, kBackupTokenFile, kAppPasswordFile}) {
    const std::string path = dir + "/" + name;
    if (fs.Exists(path)) continue;
    RETURN_IF_ERROR(fs.WriteFileAtomic(path, RandomToken() + "\n", 0600));
  }
  return Status::Ok();
}

}  // namespace mysqlset
