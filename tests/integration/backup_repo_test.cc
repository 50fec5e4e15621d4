// Issue 15: the repository contract (backup/repository.h) and the catalog (backups and
// failure records), for both kinds:
// a directory, and `rclone:REMOTE:PATH` against a real `rclone serve webdav` on loopback
// (never a mock). Seconds: no database involved.

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "backup/catalog.h"
#include "backup/repository.h"
#include "gtest/gtest.h"
#include "posix/posix_env.h"
#include "posix/subprocess.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

formats::BackupManifest ManifestFor(const std::string& id, const std::string& sha, uint64_t n) {
  formats::BackupManifest m;
  m.id = id;
  m.cluster = "mysql";
  m.source_member = "mysql-1";
  m.gtid = "0-100-5";
  m.finished_at_unix = 1800000000;
  m.objects = {{formats::kXbstreamObject, n, sha}};
  return m;
}

// Runs the contract on `spec`; `root` is where its bytes land on this machine.
void CheckContract(const std::string& spec, const std::string& scratch) {
  PosixFileSystem pfs;
  PosixProcessRunner runner;
  auto repo = backup::OpenRepository(spec, pfs, runner, /*create=*/true);
  ASSERT_TRUE(repo.ok()) << repo.status().message();
  auto empty = (*repo)->ListFolders(formats::kBackupsPrefix);
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ((*repo)->GetText("backups/none/manifest.json").status().code(), StatusCode::kNotFound);

  // An object, then its manifest: listed. Another object without one: not listed.
  fs::create_directories(scratch);
  const std::string local = scratch + "/obj";
  { std::ofstream(local, std::ios::binary) << std::string(300000, 'x') << "tail"; }
  auto digest = backup::DigestFile(local);
  ASSERT_TRUE(digest.ok());
  for (const char* id : {"A", "B"}) {
    if (std::string(id) == "B") {
      std::ofstream(local, std::ios::binary) << "half";
    }
    ASSERT_TRUE((*repo)->PutFile(local, formats::BackupKey(id, formats::kXbstreamObject)).ok());
  }
  auto stored = (*repo)->Sha256Of(formats::BackupKey("A", formats::kXbstreamObject));
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(*stored, digest->sha256);
  auto fetched = (*repo)->Fetch(formats::BackupKey("A", formats::kXbstreamObject), scratch + "/f");
  ASSERT_TRUE(fetched.ok()) << fetched.status().message();
  auto again = backup::DigestFile(*fetched);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sha256, digest->sha256);
  EXPECT_EQ(again->bytes, digest->bytes);

  const auto m = ManifestFor("A", digest->sha256, digest->bytes);
  ASSERT_TRUE((*repo)->PutText(formats::BackupKey("A", formats::kManifestName), ToJson(m)).ok());
  auto folders = (*repo)->ListFolders(formats::kBackupsPrefix);
  ASSERT_TRUE(folders.ok());
  EXPECT_EQ(folders->size(), 2u);
  auto list = backup::ListBackups(**repo);
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 1u);  // B has no manifest: an unfinished upload
  EXPECT_EQ((*list)[0].manifest.id, "A");
  EXPECT_FALSE((*list)[0].verification.has_value());

  formats::BackupVerification v{"A", 1800000100, "0-100-5", "test"};
  ASSERT_TRUE((*repo)->PutText(formats::BackupKey("A", formats::kVerifiedName), ToJson(v)).ok());
  list = backup::ListBackups(**repo);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  ASSERT_TRUE((*list)[0].verification.has_value());
  EXPECT_EQ((*list)[0].verification->verified_at_unix, 1800000100);

  // Pruning removes the manifest first, then the folder; pruning again is a no-op.
  for (int i = 0; i < 2; ++i) {
    Status st = backup::PruneBackup(**repo, "A");
    ASSERT_TRUE(st.ok()) << "prune " << i << ": " << st.message();
  }
  list = backup::ListBackups(**repo);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  folders = (*repo)->ListFolders(formats::kBackupsPrefix);
  ASSERT_TRUE(folders.ok());
  EXPECT_EQ(*folders, std::vector<std::string>{"B"});

  // Failure records: none yet (no failures/ at all); then the newest `limit`, newest first;
  // pruned by folder, again a no-op.
  auto failed = backup::ListFailures(**repo);
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_TRUE(failed->empty());
  for (int64_t ms : {1800000000001, 1800000005002, 1800000009003}) {
    formats::BackupFailure f{
        1, formats::FailureIdOf(ms, "mysql-1"), "mysql", "mysql-1", ms, ms + 100, "stream broke"};
    ASSERT_TRUE((*repo)->PutText(formats::FailureKey(f.id), ToJson(f)).ok());
  }
  failed = backup::ListFailures(**repo, 2);
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].started_at_unix_ms, 1800000009003);
  EXPECT_EQ((*failed)[1].started_at_unix_ms, 1800000005002);
  for (int i = 0; i < 2; ++i) {
    Status st = backup::PruneFailure(**repo, (*failed)[0].id);
    ASSERT_TRUE(st.ok()) << "prune failure " << i << ": " << st.message();
  }
  failed = backup::ListFailures(**repo);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].started_at_unix_ms, 1800000005002);
}

TEST(BackupRepoTest, DirectoryRepository) {
  TempDir tmp;
  CheckContract(tmp.path() + "/repo", tmp.path() + "/scratch");
  EXPECT_TRUE(fs::exists(tmp.path() + "/repo/backups/B/data.xbstream.zst"));
  EXPECT_EQ(fs::status(tmp.path() + "/repo/backups/B/data.xbstream.zst").permissions() &
                fs::perms::others_all,
            fs::perms::none);
  EXPECT_FALSE(fs::exists(tmp.path() + "/repo/backups/A"));
}

TEST(BackupRepoTest, RcloneRepositoryOnARealWebdavServer) {
  TempDir tmp;
  const std::string served = tmp.path() + "/served";
  fs::create_directories(served);
  const uint16_t port = FreePort();
  auto server = Subprocess::Spawn(
      {"rclone", "serve", "webdav", served, "--addr", "127.0.0.1:" + std::to_string(port)},
      SpawnFds{});
  ASSERT_TRUE(server.ok()) << server.status().message();
  ASSERT_TRUE(WaitFor([&] { return PortOpen(port); }, 20)) << "rclone serve webdav never listened";
  const std::string conf = tmp.path() + "/rclone.conf";
  {
    std::ofstream(conf) << "[loop]\ntype = webdav\nurl = http://127.0.0.1:" << port
                        << "/\nvendor = other\n";
  }
  setenv("RCLONE_CONFIG", conf.c_str(), 1);
  CheckContract("rclone:loop:repo", tmp.path() + "/scratch");
  unsetenv("RCLONE_CONFIG");
  EXPECT_TRUE(fs::exists(served + "/repo/backups/B/data.xbstream.zst"));
  EXPECT_FALSE(fs::exists(served + "/repo/backups/A"));
  server->Kill(SIGTERM);
  server->Wait();
}

TEST(BackupRepoTest, BadRepositorySpecsAreOneClearError) {
  PosixFileSystem pfs;
  PosixProcessRunner runner;
  for (const char* spec : {"rclone:", "rclone:nocolon", ""}) {
    auto repo = backup::OpenRepository(spec, pfs, runner);
    EXPECT_EQ(repo.status().code(), StatusCode::kInvalidArgument) << spec;
  }
  // An on-the-fly rclone remote is refused with a line that repeats none of its settings. A
  // named remote with settings (which `up` no longer takes, but an older version may have
  // stored) opens, and is only ever described redacted.
  auto on_the_fly = backup::OpenRepository("rclone::s3,secret_access_key=SECRETKEY:b", pfs, runner);
  EXPECT_EQ(on_the_fly.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(on_the_fly.status().message().find("SECRETKEY"), std::string::npos)
      << on_the_fly.status().message();
  auto stored = backup::OpenRepository("rclone:s3,secret_access_key=SECRETKEY:b/p", pfs, runner);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ((*stored)->Describe(), "rclone:s3,...:b/p");
  // Only a backup creates a directory repository; listing a mistyped path creates nothing.
  TempDir tmp;
  auto missing = backup::OpenRepository(tmp.path() + "/typo", pfs, runner);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/typo"));
}

}  // namespace
}  // namespace mysqlset::testing
