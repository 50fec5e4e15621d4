#include "backup/archive_status.h"

#include <gtest/gtest.h>

namespace mysqlset::backup {
namespace {

TEST(ArchiveStatusOf, UnknownAndNoneAreNullNeverZero) {
  struct Case {
    const char* name;
    ArchiverStats archive;
    BackupAgeStats age;
    std::optional<int64_t> closed, backup, verified;
    bool catalog_read;
  };
  BackupAgeStats unread;
  unread.read_failures = 3;
  unread.last_error = "rclone: no such remote";
  BackupAgeStats empty_repo;
  empty_repo.known = true;
  BackupAgeStats backed_up;
  backed_up.known = true;
  backed_up.age = {.last_success_unix = 1800000100, .last_verified_unix = 1800000000};
  ArchiverStats archived;
  archived.active = true;
  archived.last_archived_unix = 1800000200;
  const Case cases[] = {
      {"nothing known yet", {}, unread, std::nullopt, std::nullopt, std::nullopt, false},
      {"empty repository", {}, empty_repo, std::nullopt, std::nullopt, std::nullopt, true},
      {"backups and archive", archived, backed_up, 1800000200, 1800000100, 1800000000, true},
  };
  for (const Case& c : cases) {
    const formats::AgentStatus::Archive a = ArchiveStatusOf(c.archive, c.age);
    EXPECT_EQ(a.last_closed_unix, c.closed) << c.name;
    EXPECT_EQ(a.last_backup_unix, c.backup) << c.name;
    EXPECT_EQ(a.last_verified_backup_unix, c.verified) << c.name;
    EXPECT_EQ(a.catalog_read, c.catalog_read) << c.name;
    EXPECT_EQ(a.active, c.archive.active) << c.name;
    EXPECT_EQ(a.catalog_read_failures, c.age.read_failures) << c.name;
    EXPECT_EQ(a.catalog_error, c.age.last_error) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset::backup
