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

}  // namespace
}  // namespace mysqlset
