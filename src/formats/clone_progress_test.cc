#include "formats/clone_progress.h"

#include <gtest/gtest.h>

#include "testing/golden.h"

namespace mysqlset::formats {
namespace {

// The golden file is what keeps DESIGN.md's promise for DATA/.mysqlset-clone-progress.json:
// fields may be added, none removed or renamed. A failing golden test is a compatibility
// decision (an older CLI draws its bar from this file), not a file to regenerate.
TEST(CloneProgressGolden, ToJsonOfAFullProgressIsTheGoldenFile) {
  const CloneProgress p{"mysql-1", "stream", 524288000, 1048576000, 26214400.5, 20.25};
  EXPECT_EQ(ToJson(p), testing::Golden("clone_progress.json"));
}

TEST(CloneProgressGolden, TheGoldenFileRoundTrips) {
  const std::string golden = testing::Golden("clone_progress.json");
  auto p = FromJson<CloneProgress>(golden);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(ToJson(*p), golden);
  EXPECT_EQ(p->eta_seconds, 20.25);
}

TEST(CloneProgress, EveryFieldIsOptional) {
  auto p = FromJson<CloneProgress>(R"({"eta_seconds":null})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->bytes, 0u);
  EXPECT_FALSE(p->eta_seconds);
  CloneProgress unknown_eta;
  EXPECT_NE(ToJson(unknown_eta).find(R"("eta_seconds":null)"), std::string::npos);
}

TEST(CloneProgress, GarbledInputIsAnErrorNotACrash) {
  for (const std::string text :
       {"", "{", "[1]", R"({"bytes":"x"})", R"({"bytes":1.5})", R"({"estimated_bytes":7.7e43})",
        R"({"eta_seconds":"soon"})", R"({"donor":7})", "{\"donor\":\"\xff\"}"}) {
    auto p = FromJson<CloneProgress>(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(p.status().message().find("clone progress"), std::string::npos)
        << p.status().message();
  }
}

TEST(CloneProgress, LivesBesideTheDatadir) {
  EXPECT_EQ(CloneProgressPath("/v"), "/v/.mysqlset-clone-progress.json");
}

}  // namespace
}  // namespace mysqlset::formats
