// BootstrapFreshDatadir's failure path and its mariadb-install-db command line, with a
// scripted process runner (the real tools run in tests/integration/bootstrap_test.cc).

#include <algorithm>

#include "agent/data_step.h"
#include "agent/datadir_template.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

class ScriptedRunner : public ProcessRunner {
 public:
  std::vector<ProcessResult> results;  // one per call, in order
  std::vector<ProcessSpec> calls;
  Result<ProcessResult> Run(const ProcessSpec& spec) override {
    calls.push_back(spec);
    return results.at(calls.size() - 1);
  }
};

bool Has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

// A relative --data-dir made mariadb-install-db print 30 lines, all of which ended up in the
// error, and left mysql.staging and mysql.staging.tmp behind.
TEST(BootstrapFreshDatadirTest, FailureIsOneLineAndLeavesNoStaging) {
  MemFileSystem fs;
  FakeClock clock;
  ScriptedRunner runner;
  std::string output;
  for (int i = 1; i <= 30; ++i) output += "install-db line " + std::to_string(i) + "\n";
  output += "password was pw-admin\n";
  runner.results = {ProcessResult{1, 0, output}};
  Secrets secrets{"pw-admin", "pw-repl", "pw-backup", "pw-monitor", "tok"};
  BootstrapOptions o;
  o.data_dir = "/v";
  const Status st = BootstrapFreshDatadir(fs, runner, clock, o, secrets);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("mariadb-install-db failed (exit 1, signal 0): install-db line 29 | "
                              "install-db line 30 | password was ***"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find("line 28"), std::string::npos);
  EXPECT_FALSE(fs.Exists("/v/mysql.staging"));
  EXPECT_FALSE(fs.Exists("/v/mysql.staging.tmp"));
  EXPECT_FALSE(fs.Exists("/v/mysql"));
  EXPECT_FALSE(fs.Exists("/v/.mysqlset-complete"));
}

// A --dir with a space: mariadb-install-db expands its extra options and `chown $user $dir`
// unquoted. Only --datadir (quoted throughout the script) may carry the path.
TEST(BootstrapFreshDatadirTest, InstallDbGetsNoPathInAnOptionItSplits) {
  MemFileSystem fs;
  FakeClock clock;
  ScriptedRunner runner;
  runner.results = {ProcessResult{0, 0, ""}, ProcessResult{0, 0, ""}};
  BootstrapOptions o;
  o.data_dir = "/a b/data";
  o.run_as_root = true;
  ASSERT_TRUE(BootstrapFreshDatadir(fs, runner, clock, o, Secrets{"a", "r", "b", "m", "t"}).ok());
  ASSERT_EQ(runner.calls.size(), 2u);
  const auto& install = runner.calls[0].argv;
  EXPECT_EQ(install.at(0), "env");
  EXPECT_EQ(install.at(1), "TMPDIR=/a b/data/mysql.staging.tmp");
  EXPECT_EQ(install.at(2), "mariadb-install-db");
  EXPECT_TRUE(Has(install, "--datadir=/a b/data/mysql.staging"));
  EXPECT_TRUE(Has(install, "-uroot"));
  for (const std::string& arg : install) {
    if (arg.starts_with("--datadir=") || arg.starts_with("TMPDIR=")) continue;
    EXPECT_EQ(arg.find(' '), std::string::npos) << arg;
    EXPECT_FALSE(arg.starts_with("--user")) << "the script would chown an unquoted path";
  }
  EXPECT_TRUE(fs.Exists("/a b/data/.mysqlset-complete"));
}

// Plays mariadbd --version, mariadb-install-db (writes two files into its --datadir) and the
// securing mariadbd --bootstrap, counting install-db runs.
class InstallingRunner : public ProcessRunner {
 public:
  explicit InstallingRunner(FileSystem& fs) : fs_(fs) {}
  Result<ProcessResult> Run(const ProcessSpec& spec) override {
    calls.push_back(spec);
    if (Has(spec.argv, "--version")) {
      return ProcessResult{0, 0, "mariadbd  Ver 10.11.19-MariaDB for debian-linux-gnu on x86_64\n"};
    }
    if (Has(spec.argv, "mariadb-install-db")) {
      ++installs;
      for (const std::string& a : spec.argv) {
        if (!a.starts_with("--datadir=")) continue;
        const std::string dir = a.substr(10);
        EXPECT_TRUE(fs_.MakeDirs(dir + "/mysql", 0700).ok());
        EXPECT_TRUE(fs_.WriteFileAtomic(dir + "/ibdata1", "system tablespace", 0660).ok());
        EXPECT_TRUE(fs_.WriteFileAtomic(dir + "/mysql/user.frm", "users", 0660).ok());
      }
    }
    return ProcessResult{0, 0, ""};
  }
  std::vector<ProcessSpec> calls;
  int installs = 0;

 private:
  FileSystem& fs_;
};

// The first bootstrap runs mariadb-install-db and keeps its output as the template; the next
// ones copy the verified template and still run the securing step; a template that fails
// verification is dropped and mariadb-install-db runs again (and makes a new one).
TEST(BootstrapFreshDatadirTest, TemplateIsMadeOnceThenCopiedAndVerified) {
  MemFileSystem fs;
  FakeClock clock;
  InstallingRunner runner(fs);
  const Secrets secrets{"pw-admin", "r", "b", "m", "t"};
  BootstrapOptions o;
  o.template_cache_dir = "/cache";
  auto bootstrap = [&](const std::string& data_dir) {
    o.data_dir = data_dir;
    Status st = BootstrapFreshDatadir(fs, runner, clock, o, secrets);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(*fs.ReadFile(data_dir + "/mysql/ibdata1"), "system tablespace");
    EXPECT_EQ(*fs.ReadFile(data_dir + "/mysql/mysql/user.frm"), "users");
    EXPECT_TRUE(fs.Exists(data_dir + "/.mysqlset-complete"));
    EXPECT_TRUE(Has(runner.calls.back().argv, "--bootstrap")) << "always secured";
  };
  bootstrap("/a");
  EXPECT_EQ(runner.installs, 1);
  auto names = fs.ListDir("/cache");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u) << "one template, no temporary dir left";
  const std::string tpl = "/cache/" + names->front();
  EXPECT_TRUE(names->front().starts_with("10.11.19-MariaDB-")) << names->front();
  const std::string manifest = *fs.ReadFile(tpl + "/manifest");
  EXPECT_EQ(manifest.find("pw-admin"), std::string::npos);

  bootstrap("/b");
  EXPECT_EQ(runner.installs, 1) << "copied, not installed";

  ASSERT_TRUE(fs.WriteFileAtomic(tpl + "/data/ibdata1", "system tablespacE", 0660).ok());
  bootstrap("/c");
  EXPECT_EQ(runner.installs, 2) << "a changed template is not used";
  EXPECT_EQ(*fs.ReadFile(tpl + "/data/ibdata1"), "system tablespace") << "made again";

  o.template_cache_dir = "";
  bootstrap("/d");
  EXPECT_EQ(runner.installs, 3) << "no cache dir: no template";
}

}  // namespace
}  // namespace mysqlset
