#include "backup/archive_status.h"

namespace mysqlset::backup {
namespace {

std::optional<int64_t> KnownTime(int64_t t) {
  return t > 0 ? std::optional<int64_t>(t) : std::nullopt;
}

}  // namespace

formats::AgentStatus::Archive ArchiveStatusOf(const ArchiverStats& archive,
                                              const BackupAgeStats& age) {
  formats::AgentStatus::Archive a;
  a.active = archive.active;
  a.last_closed_unix = KnownTime(archive.last_archived_unix);
  a.archived_gtid = archive.archived_gtid;
  a.segments_archived = archive.segments_archived;
  a.failures = archive.failures;
  a.last_error = archive.last_error;
  a.gap = archive.gap;
  a.catalog_read = age.known;
  // Before the first good read the times are unknown; after it, 0 means the repository
  // holds none: null either way, and catalog_read tells the two apart.
  if (age.known) {
    a.last_backup_unix = KnownTime(age.age.last_success_unix);
    a.last_verified_backup_unix = KnownTime(age.age.last_verified_unix);
  }
  a.catalog_read_failures = age.read_failures;
  a.catalog_error = age.last_error;
  return a;
}

}  // namespace mysqlset::backup
