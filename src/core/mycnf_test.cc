#include "core/mycnf.h"

#include "gtest/gtest.h"
#include "testing/golden.h"

namespace mysqlset {
namespace {

using ::mysqlset::testing::Golden;

TEST(MyCnfTest, ServerIdCnfMatchesGolden) {
  auto id = ParseIdentity("mysql-2");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(RenderServerIdCnf(*id, "mysql-2.mysql", 3306), Golden("server-id.mysql-2.cnf"));
}

TEST(MyCnfTest, MyCnfMatchesGolden) {
  ServerPaths p{"/etc/mysql/conf.d", "/var/lib/mysql", "0.0.0.0", 3306};
  EXPECT_EQ(RenderMyCnf(*ParseIdentity("mysql-0"), p), Golden("my.mysql-0.cnf"));
  EXPECT_EQ(RenderMyCnf(*ParseIdentity("mysql-1"), p), Golden("my.mysql-1.cnf"));
}

// The buffer pool rule (docs/kubernetes.md "Memory"), one row per limit.
TEST(MyCnfTest, BufferPoolFromTheMemoryLimit) {
  constexpr uint64_t kMiB = 1024 * 1024;
  constexpr uint64_t kGiB = 1024 * kMiB;
  const struct {
    uint64_t limit, pool;
  } cases[] = {
      {0, 0},                                // no limit: leave MariaDB's default
      {256 * kMiB, 128 * kMiB},              // never under one 128 MiB chunk
      {512 * kMiB, 128 * kMiB},              // the 512 MiB headroom leaves nothing: the floor
      {1 * kGiB, 512 * kMiB},                // 512 MiB headroom
      {2 * kGiB, 1536 * kMiB},               // the base's limit: 75 %
      {2 * kGiB + 100 * kMiB, 1536 * kMiB},  // rounded down to the 128 MiB chunk
      {8 * kGiB, 6 * kGiB},                  // a quarter as headroom
      {64 * kGiB, 48 * kGiB},
  };
  for (const auto& c : cases) EXPECT_EQ(BufferPoolBytesFor(c.limit), c.pool) << c.limit;
}

TEST(MyCnfTest, MyCnfSetsTheBufferPoolBeforeTheIncludes) {
  ServerPaths p{"/etc/mysql/conf.d", "/var/lib/mysql", "0.0.0.0", 3306};
  const std::string text = RenderMyCnf(*ParseIdentity("mysql-0"), p, 2ULL << 30);
  const size_t pool = text.find("\ninnodb_buffer_pool_size=1610612736\n");
  ASSERT_NE(pool, std::string::npos) << text;
  // mysqlset.cnf comes later, so a buffer pool size set there wins.
  EXPECT_LT(pool, text.find("!include /etc/mysql/conf.d/mysqlset.cnf"));
  EXPECT_EQ(RenderMyCnf(*ParseIdentity("mysql-0"), p, 0), Golden("my.mysql-0.cnf"));
}

}  // namespace
}  // namespace mysqlset
