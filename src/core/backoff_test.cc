#include "core/backoff.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsThenCaps) {
  Backoff b{milliseconds(500), milliseconds(4000), 2.0};
  EXPECT_EQ(b.DelayFor(0), milliseconds(500));
  EXPECT_EQ(b.DelayFor(1), milliseconds(1000));
  EXPECT_EQ(b.DelayFor(3), milliseconds(4000));
  EXPECT_EQ(b.DelayFor(1000000), milliseconds(4000));
}

}  // namespace
}  // namespace mysqlset
