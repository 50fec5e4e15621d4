// BootstrapFreshDatadir's failure path and its mariadb-install-db command line, with a
// scripted process runner (the real tools run in tests/integration/bootstrap_test.cc).

#include <algorithm>

#include "agent/data_step.h"
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

}  // namespace
}  // namespace mysqlset
