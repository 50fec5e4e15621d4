#include "core/repository_spec.h"

#include <gtest/gtest.h>

namespace mysqlset {
namespace {

TEST(RepositorySpecTest, Table) {
  struct Case {
    const char* spec;
    bool new_ok;     // CheckRepositorySpec
    bool stored_ok;  // CheckStoredRepositorySpec
    const char* shown;
  } cases[] = {
      {"/srv/backups", true, true, "/srv/backups"},
      {"rclone:s3:bucket/path", true, true, "rclone:s3:bucket/path"},
      {"rclone:s3:", true, true, "rclone:s3:"},
      {"", false, false, ""},
      {"rclone:", false, false, "rclone:"},
      {"rclone:nocolon", false, false, "rclone:nocolon"},
      // A named remote with settings: refused when given, kept when stored, shown redacted.
      {"rclone:s3,secret_access_key=SECRET:bucket/p", false, true, "rclone:s3,...:bucket/p"},
      {"rclone:s3,secret_access_key=SECRET", false, false, "rclone:s3,..."},
      // On the fly: never taken, shown redacted.
      {"rclone::s3,secret_access_key=SECRET:bucket", false, false, "rclone::s3,...:bucket"},
      {"rclone::local:/tmp/x", false, false, "rclone::local:/tmp/x"},
      // A comma in the path is no setting.
      {"rclone:s3:bucket/a,b", true, true, "rclone:s3:bucket/a,b"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    const Status given = CheckRepositorySpec(c.spec);
    const Status stored = CheckStoredRepositorySpec(c.spec);
    EXPECT_EQ(given.ok(), c.new_ok) << given.message();
    EXPECT_EQ(stored.ok(), c.stored_ok) << stored.message();
    EXPECT_EQ(RedactedRepositorySpec(c.spec), c.shown);
    for (const Status* s : {&given, &stored}) {
      if (s->ok()) continue;
      EXPECT_EQ(s->code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(s->message().find("SECRET"), std::string::npos) << s->message();
      EXPECT_EQ(s->message().find('\n'), std::string::npos) << s->message();
    }
  }
  EXPECT_TRUE(HasConnectionSettings("rclone:s3,k=v:b"));
  EXPECT_FALSE(HasConnectionSettings("rclone:s3:b,k=v"));
  EXPECT_FALSE(HasConnectionSettings("/a,b:c"));
}

}  // namespace
}  // namespace mysqlset
