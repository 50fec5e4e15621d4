#include "core/backup_age.h"

#include <algorithm>

namespace mysqlset {

BackupAge BackupAgeOf(const std::vector<BackupEntry>& entries) {
  BackupAge age;
  for (const BackupEntry& e : entries) {
    age.last_success_unix = std::max(age.last_success_unix, e.finished_at_unix);
    if (e.verified) age.last_verified_unix = std::max(age.last_verified_unix, e.finished_at_unix);
  }
  return age;
}

}  // namespace mysqlset
