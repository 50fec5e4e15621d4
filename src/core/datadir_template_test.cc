#include "core/datadir_template.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

constexpr const char* kVersion =
    "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)\n";
const std::vector<std::string> kOptions = {"--skip-test-db", "--innodb-log-file-size=4M"};
const std::string kA(64, 'a');
const std::string kB(64, 'b');

TEST(TemplateKeyTest, VersionThenAHashOfTheBuildAndOptions) {
  auto key = TemplateKey(kVersion, kOptions);
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_TRUE(key->starts_with("10.11.19-MariaDB-0+deb12u1-")) << *key;
  EXPECT_EQ(key->size(), std::string("10.11.19-MariaDB-0+deb12u1-").size() + 16);
  EXPECT_EQ(*key, *TemplateKey(kVersion, kOptions)) << "stable";
  struct Case {
    const char* name;
    std::string version;
    std::vector<std::string> options;
  };
  for (const Case& c : std::vector<Case>{
           {"another build of the same version",
            "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on aarch64 (Debian 12)",
            kOptions},
           {"another version",
            "mariadbd  Ver 10.11.20-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)",
            kOptions},
           {"other options", kVersion, {"--skip-test-db"}},
           {"options joined differently", kVersion, {"--skip-test-db--innodb-log-file-size=4M"}},
       }) {
    auto other = TemplateKey(c.version, c.options);
    ASSERT_TRUE(other.ok()) << c.name;
    EXPECT_NE(*other, *key) << c.name;
  }
}

TEST(TemplateKeyTest, NoVersionNoCache) {
  for (const char* text : {"", "mariadbd: command not found", "mariadbd  Ver  for linux",
                           "mariadbd  Ver 10.11/../../x for linux"}) {
    auto key = TemplateKey(text, kOptions);
    EXPECT_FALSE(key.ok()) << text;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TemplateManifest Manifest() { return {"K", {{"ibdata1", 12, kA}, {"mysql/user.MAD", 0, kB}}}; }

TEST(TemplateManifestTest, RoundTrips) {
  const std::string text = RenderManifest(Manifest());
  EXPECT_EQ(text, "mysqlset-datadir-template 1\nkey K\nfile " + kA + " 12 ibdata1\nfile " + kB +
                      " 0 mysql/user.MAD\n");
  auto back = ParseManifest(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->key, "K");
  EXPECT_EQ(back->files, Manifest().files);
}

TEST(TemplateManifestTest, GarbledTextIsDataLoss) {
  const std::string head = "mysqlset-datadir-template 1\nkey K\n";
  struct Case {
    const char* name;
    std::string text;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"empty", "", "no key"},
           {"another header", "mysqlset-datadir-template 2\nkey K\n", "line 1"},
           {"no key", "mysqlset-datadir-template 1\nfile x\n", "line 2"},
           {"no files", head, "no files"},
           {"truncated", head + "file " + kA + " 12 ibdata1", "unterminated"},
           {"short digest", head + "file abc 12 ibdata1\n", "line 3"},
           {"upper-case digest", head + "file " + std::string(64, 'A') + " 1 x\n", "line 3"},
           {"bad size", head + "file " + kA + " 1x2 ibdata1\n", "bad size"},
           {"no path", head + "file " + kA + " 12\n", "line 3"},
           {"absolute path", head + "file " + kA + " 1 /etc/passwd\n", "leaves"},
           {"dot-dot", head + "file " + kA + " 1 mysql/../../x\n", "leaves"},
           {"empty part", head + "file " + kA + " 1 mysql//x\n", "leaves"},
           {"twice", head + "file " + kA + " 1 x\nfile " + kB + " 1 x\n", "twice"},
       }) {
    auto m = ParseManifest(c.text);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.status().code(), StatusCode::kDataLoss) << c.name;
    EXPECT_NE(m.status().message().find(c.error), std::string::npos)
        << c.name << ": " << m.status().message();
  }
}

TEST(TemplateVerifyTest, OnlyTheExactFilesPass) {
  const TemplateManifest m = Manifest();
  EXPECT_TRUE(VerifyTemplate(m, "K", {{"mysql/user.MAD", 0, kB}, {"ibdata1", 12, kA}}).ok())
      << "any order";
  struct Case {
    const char* name;
    std::string key;
    std::vector<TemplateFile> found;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"another key", "L", m.files, "not L"},
           {"a file missing", "K", {{"ibdata1", 12, kA}}, "lacks mysql/user.MAD"},
           {"an extra file", "K", {m.files[0], m.files[1], {"zz", 1, kA}}, "has zz"},
           {"truncated", "K", {{"ibdata1", 11, kA}, m.files[1]}, "11 bytes, not 12"},
           {"changed", "K", {{"ibdata1", 12, kB}, m.files[1]}, "checksum"},
           {"empty", "K", {}, "lacks"},
       }) {
    Status st = VerifyTemplate(m, c.key, c.found);
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << c.name;
    EXPECT_NE(st.message().find(c.error), std::string::npos) << c.name << ": " << st.message();
  }
}

}  // namespace
}  // namespace mysqlset
