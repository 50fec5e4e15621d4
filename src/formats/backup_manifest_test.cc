#include "formats/backup_manifest.h"

#include <gtest/gtest.h>

namespace mysqlset::formats {
namespace {

const std::string kSha(64, 'a');

BackupManifest Full() {
  BackupManifest m;
  m.id = "20261130T110500Z-mysql-1";
  m.cluster = "mysql";
  m.source_member = "mysql-1";
  m.gtid = "0-100-42";
  m.started_at_unix = 1800000000;
  m.finished_at_unix = 1800000010;
  m.stream_bytes = 1 << 20;
  m.objects = {{kXbstreamObject, 12345, kSha}};
  return m;
}

TEST(BackupManifest, RoundTrips) {
  auto r = FromJson<BackupManifest>(ToJson(Full()));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ToJson(*r), ToJson(Full()));
  EXPECT_EQ(r->objects.at(0).sha256, kSha);
  EXPECT_EQ(r->format_version, kBackupFormatVersion);
}

TEST(BackupManifest, GarbledOrUnsafeInputIsOneErrorNotACrash) {
  struct Case {
    std::string text;
    const char* says;
  };
  const std::string ok_object = R"([{"name":"a","bytes":1,"sha256":")" + kSha + R"("}])";
  const Case cases[] = {
      {"not json", "expected a JSON object"},
      {R"({"id":"x","objects":)" + ok_object + "}", "no \"format_version\""},
      {R"({"format_version":2,"id":"x","objects":)" + ok_object + "}", "format_version 2"},
      {R"({"format_version":0,"id":"x","objects":)" + ok_object + "}", "format_version 0"},
      {R"({"format_version":1,"objects":)" + ok_object + "}", "no valid \"id\""},
      {R"({"format_version":1,"id":"../x","objects":)" + ok_object + "}", "no valid \"id\""},
      {R"({"format_version":1,"id":"x","objects":[]})", "no \"objects\""},
      {R"({"format_version":1,"id":"x","objects":[{"name":"a","bytes":1,"sha256":"ab"}]})",
       "object a has no valid sha256"},
      {R"({"format_version":1,"id":"x","objects":[{"name":"../a","bytes":1,"sha256":")" + kSha +
           R"("}]})",
       "an object has no name"},
      {R"({"format_version":1,"id":"x","gtid":"zz","objects":)" + ok_object + "}",
       "not a GTID list"},
      {R"({"format_version":1.5,"id":"x","objects":)" + ok_object + "}", "format_version"},
      {R"({"format_version":1,"id":"x","stream_bytes":"1","objects":)" + ok_object + "}",
       "must be number"},
  };
  for (const auto& c : cases) {
    auto r = FromJson<BackupManifest>(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
}

TEST(BackupManifest, IdsSortByTimeAndKeysNameTheFolder) {
  EXPECT_EQ(BackupIdOf(1800000000, "mysql-1"), "20270115T080000Z-mysql-1");
  EXPECT_LT(BackupIdOf(1800000000, "mysql-2"), BackupIdOf(1800000001, "mysql-1"));
  EXPECT_EQ(BackupKey("ID", kManifestName), "backups/ID/manifest.json");
}

TEST(BackupVerification, RoundTripsAndNeedsTheBackupId) {
  BackupVerification v{"ID", 1800000100, "0-100-42", "restore into /x"};
  auto r = FromJson<BackupVerification>(ToJson(v));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->gtid, "0-100-42");
  EXPECT_EQ(r->verified_at_unix, 1800000100);
  EXPECT_FALSE(FromJson<BackupVerification>(R"({"gtid":""})").ok());
}

TEST(BackupFailure, RoundTripsAndRefusesGarbledOrLaterRecords) {
  BackupFailure f{1,
                  "20270115T080000Z-mysql-1",
                  "mysql",
                  "mysql-1",
                  1800000000123,
                  1800000042000,
                  "backup from mysql-1: zstd stopped reading"};
  auto r = FromJson<BackupFailure>(ToJson(f));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->id, f.id);
  EXPECT_EQ(r->started_at_unix_ms, 1800000000123);
  EXPECT_EQ(r->ended_at_unix_ms, 1800000042000);
  EXPECT_EQ(r->error, f.error);
  EXPECT_EQ(FailureKey("ID"), "failures/ID/failure.json");
  EXPECT_EQ(FailureIdOf(1800000000042, "mysql-1"), "20270115T080000Z-mysql-1.042");
  EXPECT_LT(FailureIdOf(1800000000042, "mysql-1"), FailureIdOf(1800000000100, "mysql-1"));
  // Within one second the text sorts by member; by start time, mysql-1's later run is newer.
  std::vector<std::string> ids = {FailureIdOf(1800000000900, "mysql-0"),
                                  FailureIdOf(1800000000100, "mysql-1"),
                                  FailureIdOf(1800000001000, "mysql-0"), "odd-folder"};
  FailureIdsNewestFirst(ids);
  EXPECT_EQ(
      ids, (std::vector<std::string>{"20270115T080001Z-mysql-0.000", "20270115T080000Z-mysql-0.900",
                                     "20270115T080000Z-mysql-1.100", "odd-folder"}));
  struct Case {
    const char* name;
    const char* text;
  };
  const Case bad[] = {
      {"not JSON", "{"},
      {"no format_version", R"({"id":"a"})"},
      {"a later format", R"({"format_version":99,"id":"a"})"},
      {"no id", R"({"format_version":1})"},
      {"an id that is a path", R"({"format_version":1,"id":"../a"})"},
      {"a float time", R"({"format_version":1,"id":"a","ended_at_unix_ms":1.5})"},
  };
  for (const auto& c : bad) EXPECT_FALSE(FromJson<BackupFailure>(c.text).ok()) << c.name;
}

}  // namespace
}  // namespace mysqlset::formats
