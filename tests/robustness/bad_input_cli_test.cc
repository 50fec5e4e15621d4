// Bad input to the real `mysqlset` binary that needs no running server: pod names and
// ordinals, the ConfigMap's cnf files, secret files, marker files, flags, subcommands,
// unwritable directories and ports in use. Each case: one clear error line, a non-zero exit,
// no crash, nothing written or lost, no secret in the output. See docs/robustness.md.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/robustness/robustness_util.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << contents;
}

class BadInputCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cm_ = tmp_.path() + "/cm";
    conf_ = tmp_.path() + "/conf";
    data_ = tmp_.path() + "/data";
    fs::create_directories(cm_);
    fs::copy_file(MYSQLSET_SOURCE_DIR "/config/mysqlset.cnf", cm_ + "/mysqlset.cnf");
  }
  Outcome Init(const std::vector<std::string>& extra, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {MysqlsetBinary(),   "init", "--conf-dir", conf_,
                                     "--config-map-dir", cm_,    "--data-dir", data_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCmd(argv, env);
  }
  TempDir tmp_;
  std::string cm_, conf_, data_;
};

// --- pod names and ordinals -----------------------------------------------------------

TEST_F(BadInputCliTest, BadPodNamesAreRefusedAndWriteNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"mysql", "has no ordinal"},
      {"mysql-", "not a DNS label"},
      {"-1", "not a DNS label"},
      {"mysql-x", "has no ordinal"},
      {"MySQL-1", "not a DNS label"},
      {"mysql-01", "leading zeros"},
      {"mysql-99999999999", "too large"},
      {"mysql-4294967295", "outside MariaDB's range"},
      {"mysql-1.mysql.default.svc", "not a DNS label"},
      {"mysql-1;rm -rf /", "not a DNS label"},
      {"mysql_1", "not a DNS label"},
      {std::string(60, 'a') + "-1234", "not a DNS label"},
      {"mysql-\xc3\xa9-1", "not a DNS label"},
      {"mysql-1\n", "pod name 'mysql-1\\x0a' is not a DNS label"},
      {"mysql-\x1b[31m-1", "'mysql-\\x1b[31m-1'"},
  };
  for (const auto& [name, why] : cases) {
    SCOPED_TRACE(name);
    EXPECT_ONE_ERROR_LINE(Init({"--pod-name", name}), 2, "mysqlset init: error: pod name", why);
    EXPECT_FALSE(fs::exists(conf_));
  }
}

TEST_F(BadInputCliTest, BadPodNameFromEnvironmentIsRefused) {
  EXPECT_ONE_ERROR_LINE(Init({}, {"POD_NAME=mysql-abc"}), 2,
                        "mysqlset init: error:", "'mysql-abc' has no ordinal");
  EXPECT_ONE_ERROR_LINE(Init({}, {"POD_NAME=Mysql-1"}), 2,
                        "mysqlset init: error:", "not a DNS label");
  EXPECT_FALSE(fs::exists(conf_));
  // The flag wins over the environment.
  const Outcome ok = Init({"--pod-name", "mysql-1"}, {"POD_NAME=garbage"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(BadInputCliTest, ServerIdOffsetOutOfRangeIsRefused) {
  EXPECT_ONE_ERROR_LINE(Init({"--pod-name", "mysql-1", "--server-id-offset", "4294967295"}), 2,
                        "mysqlset init: error:", "outside MariaDB's range");
  EXPECT_ONE_ERROR_LINE(Init({"--pod-name", "mysql-0", "--server-id-offset", "0"}), 2,
                        "mysqlset init: error:", "outside MariaDB's range");
  EXPECT_NE(Init({"--pod-name", "mysql-0", "--server-id-offset", "-5"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(conf_));
}

// --- the ConfigMap's cnf files ----------------------------------------------------------

TEST_F(BadInputCliTest, MissingEmptyOrGarbledCnfIsRefusedAndKeepsTheOldConf) {
  // A good init first: a refused run must leave these files exactly as they are.
  ASSERT_EQ(Init({"--pod-name", "mysql-1"}).exit_code, 0);
  const std::string before = SnapshotTree(conf_);
  ASSERT_NE(before.find("server-id.cnf"), std::string::npos);
  const std::string good = ReadFileOrEmpty(cm_ + "/mysqlset.cnf");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "is empty"},
      {"  \n\t\n", "has no [mariadbd] group"},
      {"log-bin=1\n", "before any [group]"},
      {"[mariadbd\nlog-bin=1\n", "unterminated group header"},
      {"[client]\nuser=x\n", "has no [mariadbd] group"},
      {"[mariadbd]\n!exec rm -rf /\n", "unknown directive"},
      {"[mariadbd]\n=1\n", "is not an option"},
      {"[mariadbd]\nlog-bin\x01=1\n", "control character"},
      {std::string("[mariadbd]\nlog\0bin=1\n", 21), "NUL byte"},
      {"\x7f"
       "ELF\x02\x01\x01\x00\x00\x00",
       "before any [group]"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(why);
    WriteFile(cm_ + "/mysqlset.cnf", text);
    EXPECT_ONE_ERROR_LINE(Init({"--pod-name", "mysql-1"}), 2, "mysqlset init: error:", why);
    EXPECT_EQ(SnapshotTree(conf_), before);
  }
  fs::remove(cm_ + "/mysqlset.cnf");
  EXPECT_ONE_ERROR_LINE(Init({"--pod-name", "mysql-1"}), 0, "mysqlset init: error: cannot read",
                        "mount the ConfigMap");
  EXPECT_EQ(SnapshotTree(conf_), before);
  fs::create_directories(cm_ + "/mysqlset.cnf");  // a directory where a file should be
  EXPECT_ONE_ERROR_LINE(Init({"--pod-name", "mysql-1"}), 0, "mysqlset init: error: cannot read",
                        "mysqlset.cnf");
  EXPECT_EQ(SnapshotTree(conf_), before);
  fs::remove_all(cm_ + "/mysqlset.cnf");
  WriteFile(cm_ + "/mysqlset.cnf", good);
  EXPECT_EQ(Init({"--pod-name", "mysql-1"}).exit_code, 0);
}

TEST_F(BadInputCliTest, MissingConfigMapDirIsRefused) {
  EXPECT_ONE_ERROR_LINE(RunCmd({MysqlsetBinary(), "init", "--pod-name", "mysql-0", "--conf-dir",
                                conf_, "--config-map-dir", tmp_.path() + "/nope"}),
                        0, "mysqlset init: error: cannot read", "/nope/mysqlset.cnf");
  EXPECT_FALSE(fs::exists(conf_));
}

TEST_F(BadInputCliTest, UnwritableConfDirIsOneLine) {
  WriteFile(tmp_.path() + "/a-file", "x");
  // Root ignores mode bits, so use paths no one can create: under a regular file, in /proc.
  for (const std::string& dir :
       {tmp_.path() + "/a-file/conf", std::string("/proc/mysqlset-conf")}) {
    SCOPED_TRACE(dir);
    EXPECT_ONE_ERROR_LINE(RunCmd({MysqlsetBinary(), "init", "--pod-name", "mysql-0", "--conf-dir",
                                  dir, "--config-map-dir", cm_, "--data-dir", data_}),
                          0, "mysqlset init: error:", dir);
  }
  EXPECT_EQ(ReadFileOrEmpty(tmp_.path() + "/a-file"), "x");
}

// --- secret files -----------------------------------------------------------------------

class BadSecretsTest : public BadInputCliTest {
 protected:
  void SetUp() override {
    BadInputCliTest::SetUp();
    secrets_dir_ = tmp_.path() + "/secrets";
    secrets_ = MakeSecrets(secrets_dir_);
    ASSERT_EQ(Init({"--pod-name", "mysql-0"}).exit_code, 0);
  }
  Outcome Clone() {
    return RunCmd({MysqlsetBinary(), "clone", "--pod-name", "mysql-0", "--conf-dir", conf_,
                   "--data-dir", data_, "--secrets-dir", secrets_dir_});
  }
  Outcome Agent() {
    const uint16_t base = FreePortBlock(1);
    return RunCmd({MysqlsetBinary(), "agent",
                   "--pod-name",     "mysql-0",
                   "--conf-dir",     conf_,
                   "--data-dir",     data_,
                   "--secrets-dir",  secrets_dir_,
                   "--etcd",         "http://127.0.0.1:9",
                   "--bind-address", "127.0.0.1",
                   "--port",         std::to_string(base),
                   "--http-port",    std::to_string(base + 1),
                   "--backup-port",  std::to_string(base + 2)},
                  {}, 20);
  }
  void ExpectNoSecretIn(const std::string& output, const std::string& extra = "") {
    for (const auto& s : SecretValuesOf(secrets_)) EXPECT_EQ(output.find(s), std::string::npos);
    if (!extra.empty()) {
      EXPECT_EQ(output.find(extra), std::string::npos) << output;
    }
  }
  std::string secrets_dir_;
  Secrets secrets_;
};

TEST_F(BadSecretsTest, MissingEmptyMultiLineOrDirectorySecretIsOneLineWithoutItsValue) {
  const std::string file = secrets_dir_ + "/monitor-password";
  const std::string hidden = "SeCrEt-value-7f3a";
  struct Case {
    std::string name;
    std::function<void()> make;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"missing", [&] { fs::remove_all(file); }, "monitor-password is missing or unreadable"},
      {"empty", [&] { WriteFile(file, ""); }, "monitor-password is empty"},
      {"blank", [&] { WriteFile(file, "   \n"); }, "monitor-password is empty"},
      {"two lines", [&] { WriteFile(file, hidden + "\n" + hidden + "\n"); },
       "holds more than one line"},
      {"NUL", [&] { WriteFile(file, hidden + std::string(1, '\0') + "x"); },
       "holds more than one line"},
      {"directory",
       [&] {
         fs::remove_all(file);
         fs::create_directories(file);
       },
       "monitor-password is missing or unreadable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.make();
    const Outcome clone = Clone();
    EXPECT_ONE_ERROR_LINE(clone, 0, "mysqlset clone: error: secret file", c.why);
    ExpectNoSecretIn(clone.output, hidden);
    EXPECT_FALSE(fs::exists(data_ + "/mysql"));
    EXPECT_FALSE(fs::exists(data_ + "/.mysqlset-complete"));
    const Outcome agent = Agent();
    EXPECT_ONE_ERROR_LINE(agent, 0, "mysqlset agent: error: secret file", c.why);
    ExpectNoSecretIn(agent.output, hidden);
    fs::remove_all(file);
    WriteFile(file, secrets_.monitor_password + "\n");
  }
  const Outcome missing_dir =
      RunCmd({MysqlsetBinary(), "clone", "--pod-name", "mysql-0", "--conf-dir", conf_, "--data-dir",
              data_, "--secrets-dir", tmp_.path() + "/no-secrets"});
  EXPECT_ONE_ERROR_LINE(missing_dir, 0, "mysqlset clone: error: secret file",
                        "no-secrets/admin-password is missing");
}

// Issue #18: a secret file readable by group or others was used as it was.
TEST_F(BadSecretsTest, GroupOrWorldReadableSecretIsRefusedWithHowToChmod) {
  const std::string file = secrets_dir_ + "/backup-token";
  for (const fs::perms mode : {fs::perms(0644), fs::perms(0640), fs::perms(0604)}) {
    SCOPED_TRACE(static_cast<int>(mode));
    fs::permissions(file, mode);
    const std::string want = fmt::format(
        "secret file {} has mode {:04o}; it must not be readable "
        "by group or others: chmod 600 {}",
        file, static_cast<unsigned>(mode), file);
    const Outcome clone = Clone();
    EXPECT_ONE_ERROR_LINE(clone, 0, "mysqlset clone: error: ", want);
    ExpectNoSecretIn(clone.output);
    EXPECT_FALSE(fs::exists(data_ + "/mysql"));
    const Outcome agent = Agent();
    EXPECT_ONE_ERROR_LINE(agent, 0, "mysqlset agent: error: ", want);
  }
  fs::permissions(file, fs::perms(0600));
  EXPECT_EQ(ReadFileOrEmpty(file), secrets_.backup_token + "\n") << "the file is never changed";
}

// Issue #18: DATA/mysql as a regular file or a dangling symlink made `clone` abort on
// `CHECK failed: !fs.Exists(datadir)` (SIGABRT, exit 134).
TEST_F(BadSecretsTest, DatadirThatIsAFileOrDanglingSymlinkIsOneLineNotAnAbort) {
  const std::string datadir = data_ + "/mysql";
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"regular file", [&] { WriteFile(datadir, "not a datadir"); }},
      {"dangling symlink", [&] { fs::create_symlink(tmp_.path() + "/gone", datadir); }},
      {"symlink to a file",
       [&] {
         WriteFile(tmp_.path() + "/a-file", "x");
         fs::create_symlink(tmp_.path() + "/a-file", datadir);
       }},
  };
  for (const auto& [name, make] : cases) {
    SCOPED_TRACE(name);
    fs::create_directories(data_);
    make();
    const std::string before = SnapshotTree(data_);
    for (const char* pod : {"mysql-0", "mysql-1"}) {
      SCOPED_TRACE(pod);
      const Outcome clone =
          RunCmd({MysqlsetBinary(), "clone", "--pod-name", pod, "--conf-dir", conf_, "--data-dir",
                  data_, "--secrets-dir", secrets_dir_, "--donor", "127.0.0.1:1"});
      EXPECT_ONE_ERROR_LINE(clone, 0, "mysqlset clone: error: ",
                            datadir + " is not a directory (a file or a dangling symlink)");
      EXPECT_EQ(SnapshotTree(data_), before) << "nothing moved, written or bootstrapped";
      EXPECT_TRUE(fs::is_symlink(datadir) || fs::is_regular_file(datadir));
    }
    fs::remove(datadir);
  }
}

// Issue #18: a relative --data-dir for the primary's clone dumped 30 lines of
// mariadb-install-db output (mariadbd took the path relative to its basedir, /usr) and left
// mysql.staging and mysql.staging.tmp behind. Path flags are made absolute as they are parsed.
TEST_F(BadSecretsTest, RelativeDataDirBootstrapsWhereItSaysAndLeavesNoStaging) {
  const std::string relative = fs::relative(data_, fs::current_path()).string();
  ASSERT_FALSE(fs::path(relative).is_absolute());
  const Outcome clone =
      RunCmd({MysqlsetBinary(), "clone", "--pod-name", "mysql-0", "--conf-dir", conf_, "--data-dir",
              relative, "--secrets-dir", secrets_dir_, "--log-level", "error"},
             {}, 120);
  EXPECT_EQ(clone.exit_code, 0) << clone.output;
  EXPECT_EQ(clone.output, "");
  EXPECT_TRUE(fs::is_directory(data_ + "/mysql/mysql"));
  EXPECT_TRUE(fs::exists(data_ + "/.mysqlset-complete"));
  for (const char* left : {"/mysql.staging", "/mysql.staging.tmp"}) {
    EXPECT_FALSE(fs::exists(data_ + left)) << left;
  }
}

// --- marker files -----------------------------------------------------------------------

TEST_F(BadSecretsTest, DatadirWithoutMarkerIsSetAsideNeverStarted) {
  // A datadir holding a file but no completion marker: an interrupted install. It is
  // moved aside (kept, not deleted) and the primary is bootstrapped fresh.
  WriteFile(data_ + "/mysql/ibdata1", "half");
  const Outcome o = Clone();
  ASSERT_EQ(o.exit_code, 0) << o.output;
  std::string kept;
  for (const auto& e : fs::directory_iterator(data_)) {
    if (e.path().filename().string().starts_with("mysql.discarded.")) kept = e.path();
  }
  ASSERT_FALSE(kept.empty()) << "set aside under mysql.discarded.<UTC time>";
  EXPECT_EQ(ReadFileOrEmpty(kept + "/ibdata1"), "half");
  EXPECT_TRUE(fs::exists(data_ + "/.mysqlset-complete"));
  ExpectNoSecretIn(o.output);
}

TEST_F(BadSecretsTest, GarbledMarkerStillMeansCompleteAndNothingIsRedone) {
  // The marker's presence, not its contents, says "done" (it is written last, atomically):
  // a garbled marker must not make clone wipe or redo a datadir.
  WriteFile(data_ + "/mysql/keep", "data");
  WriteFile(data_ + "/.mysqlset-complete", "\x01\x02garbage{");
  // The volume as a finished clone step leaves it: with the server's (empty) tmpdir, which
  // every clone step resets.
  fs::create_directories(data_ + "/tmp");
  const std::string before = SnapshotTree(data_);
  const Outcome o = Clone();
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_EQ(SnapshotTree(data_), before);
}

// --- flags and subcommands --------------------------------------------------------------

TEST_F(BadInputCliTest, BadFlagsAndSubcommandsAreOneLineExitTwo) {
  const std::string bin = MysqlsetBinary();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{bin}, "A subcommand is required"},
      {{bin, "frobnicate"}, "unknown subcommand 'frobnicate'"},
      {{bin, "init", "--config-map-dir", cm_, "--no-such-flag"}, "--no-such-flag"},
      {{bin, "init", "--pod-name", "mysql-0"}, "--config-map-dir is required"},
      {{bin, "init", "--config-map-dir", cm_, "--port", "http"}, "--port"},
      {{bin, "init", "--config-map-dir", cm_, "--port", "70000"}, "--port"},
      {{bin, "agent", "--tick-ms", "0"}, "--tick-ms"},
      {{bin, "agent", "--lag-threshold", "-1"}, "--lag-threshold"},
      {{bin, "agent", "--backup-concurrency", "100"}, "--backup-concurrency"},
      {{bin, "probe", "sideways"}, "sideways"},
      {{bin, "probe"}, "kind is required"},
      {{bin, "clone", "--max-attempts", "many"}, "--max-attempts"},
      {{bin, "status", "--dir"}, "--dir"},
      {{bin, "init", "--pod-name"}, "--pod-name"},
      // Issue #17: validators, and the subcommand named in the error.
      {{bin, "status", "--bogus"}, "status: The following argument was not expected: --bogus"},
      {{bin, "status", "--bogus"}, "(see mysqlset status --help)"},
      {{bin, "up", "--base-port", "70000"}, "--base-port: Value 70000 not in range 1040 to 65533"},
      {{bin, "up", "--base-port", "80"}, "not in range 1040 to 65533"},
      {{bin, "restore", "--repo", tmp_.path() + "/repo", "--dir", tmp_.path() + "/new",
        "--base-port", "70000"},
       "restore: --base-port: Value 70000 not in range 1040 to 65533"},
      {{bin, "up", "--log-format", "xml"}, "--log-format: xml not in {text,json}"},
      {{bin, "init", "--config-map-dir", cm_, "--log-level", "bogus"}, "--log-level: bogus not in"},
      {{bin, "agent", "--log-format", "yaml"}, "agent: --log-format: yaml not in"},
      {{bin, "status", "--interval", "1"}, "--interval requires --watch"},
      {{bin, "status", "--watch", "--interval", "0"}, "--interval"},
      {{bin, "sql", "--member", "mysql-1", "--replica"}, "excludes"},
      {{bin, "logs", "--component", "bogus"}, "--component: bogus not in"},
      {{bin, "logs", "-n", "0"}, "--lines"},
  };
  for (const auto& [argv, why] : cases) {
    SCOPED_TRACE(argv.size() > 1 ? argv[1] : "(none)");
    EXPECT_ONE_ERROR_LINE(RunCmd(argv), 2, "mysqlset: error:", why);
  }
  // Issue #17: the member count's range, in the help and in the refusal.
  const std::string dir = tmp_.path() + "/cluster";
  for (const char* n : {"65", "0"}) {
    EXPECT_ONE_ERROR_LINE(
        RunCmd({bin, "up", "--dir", dir, "--replicas", n}), 2,
        "mysqlset up: error:", std::string("replicas must be between 1 and 64, got ") + n);
  }
  EXPECT_FALSE(fs::exists(dir));
  // An rclone connection string would carry its credential into the agents' argv and
  // cluster.json: refused before anything is written, and the line does not repeat it.
  for (const char* repo : {"rclone:s3,secret_access_key=SECRETKEY:bucket",
                           "rclone::s3,secret_access_key=SECRETKEY:bucket"}) {
    const Outcome o = RunCmd({bin, "up", "--dir", dir, "--repo", repo});
    EXPECT_ONE_ERROR_LINE(o, 2, "mysqlset up: error:", "rclone's config");
    EXPECT_EQ(o.output.find("SECRETKEY"), std::string::npos) << o.output;
  }
  EXPECT_FALSE(fs::exists(dir));
}

// Issue #17: $MYSQLSET_DIR is --dir's default in every local-cluster command; --dir wins.
TEST_F(BadInputCliTest, MysqlsetDirIsTheDefaultDirOfEveryClusterCommand) {
  const std::string nowhere = tmp_.path() + "/nowhere";
  const std::string env = "MYSQLSET_DIR=" + nowhere;
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"status"}, {"scale", "2"}, {"sql"}, {"logs"}}) {
    SCOPED_TRACE(cmd[0]);
    std::vector<std::string> argv = {MysqlsetBinary()};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    EXPECT_ONE_ERROR_LINE(RunCmd(argv, {env}), 1,
                          "mysqlset " + cmd[0] + ": error:", "no cluster in " + nowhere);
    argv.insert(argv.end(), {"--dir", nowhere + "-flag"});
    EXPECT_ONE_ERROR_LINE(RunCmd(argv, {env}), 1,
                          "mysqlset " + cmd[0] + ": error:", "no cluster in " + nowhere + "-flag");
  }
  // `down` checks the dir before anything else; `up` would create it, so it is not run here.
  EXPECT_ONE_ERROR_LINE(RunCmd({MysqlsetBinary(), "down"}, {env}), 1, "mysqlset down: error:",
                        nowhere + " does not look like a mysqlset cluster dir");
  EXPECT_FALSE(fs::exists(nowhere));
}

// Issue #17: `sql` and `logs` name what they could not find, in a cluster dir that exists.
TEST_F(BadInputCliTest, SqlAndLogsRefuseUnknownMembersAndComponents) {
  const std::string dir = tmp_.path() + "/cluster";
  WriteFile(dir + "/cluster.json", R"({"name": "mysql", "replicas": 3, "base_port": 13306})");
  const std::string bin = MysqlsetBinary();
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{bin, "sql", "--dir", dir, "--member", "mysql-9"},
       "no member 'mysql-9' in cluster 'mysql': its members are mysql-0 .. mysql-2"},
      {{bin, "sql", "--dir", dir, "--member", "db-1"}, "no member 'db-1'"},
      {{bin, "logs", "--dir", dir, "mysql-3"}, "no member 'mysql-3'"},
      {{bin, "logs", "--dir", dir, "mysql-1", "--component", "supervisor"},
       "--component supervisor is not a member's log"},
      {{bin, "logs", "--dir", dir, "--component", "agent"}, "--component agent needs a member"},
  };
  for (const auto& [argv, why] : usage) {
    SCOPED_TRACE(argv[1] + " " + argv[4]);
    EXPECT_ONE_ERROR_LINE(RunCmd(argv), 2, "mysqlset " + argv[1] + ": error:", why);
  }
  EXPECT_ONE_ERROR_LINE(
      RunCmd({bin, "logs", "--dir", dir, "mysql-1", "--component", "clone"}), 1,
      "mysqlset logs: error:", "no log yet at " + dir + "/members/mysql-1/logs/clone.log");
  EXPECT_ONE_ERROR_LINE(RunCmd({bin, "sql", "--dir", dir}), 1,
                        "mysqlset sql: error:", dir + "/client.cnf is missing");
}

// Issue #17: --version says which build and which MariaDB; --help documents the exit codes
// and hides the internal `supervise`.
TEST_F(BadInputCliTest, VersionAndHelp) {
  const Outcome version = RunCmd({MysqlsetBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_TRUE(version.output.starts_with("mysqlset 0.")) << version.output;
  EXPECT_NE(version.output.find("\nMariaDB: mariadbd  Ver 10.11"), std::string::npos)
      << version.output;
  const Outcome help = RunCmd({MysqlsetBinary(), "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("Exit codes: 0 ok; 1 failure"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("$MYSQLSET_DIR"), std::string::npos) << help.output;
  EXPECT_EQ(help.output.find("supervise"), std::string::npos) << help.output;
  const Outcome up_help = RunCmd({MysqlsetBinary(), "up", "--help"});
  EXPECT_NE(up_help.output.find("Number of members (1-64)"), std::string::npos) << up_help.output;
}

TEST_F(BadInputCliTest, DonorFlagAndProbeUrlAreCheckedBeforeAnyWork) {
  const std::string secrets_dir = tmp_.path() + "/secrets";
  MakeSecrets(secrets_dir);
  for (const char* donor : {"nohost", "host:", "host:0", "host:99999", "[::1]3307"}) {
    SCOPED_TRACE(donor);
    EXPECT_ONE_ERROR_LINE(
        RunCmd({MysqlsetBinary(), "clone", "--pod-name", "mysql-1", "--conf-dir", conf_,
                "--data-dir", data_, "--secrets-dir", secrets_dir, "--donor", donor}),
        2, "mysqlset clone: error: --donor", donor);
    EXPECT_FALSE(fs::exists(data_ + "/mysql.staging"));
  }
  EXPECT_ONE_ERROR_LINE(RunCmd({MysqlsetBinary(), "probe", "ready", "--url", "ftp://x"}), 2,
                        "mysqlset probe: error:", "not a valid http URL");
  // Nothing listening: exit 1 (not ready), one line saying there was no answer.
  const uint16_t port = FreePort();
  EXPECT_ONE_ERROR_LINE(RunCmd({MysqlsetBinary(), "probe", "live", "--url",
                                "http://127.0.0.1:" + std::to_string(port), "--timeout-ms", "500"}),
                        1, "mysqlset probe:", "no answer");
}

// --- ports in use -----------------------------------------------------------------------

int ListenOn(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(BadSecretsTest, AgentPortsInUseAreOneLineNamingThePort) {
  const uint16_t base = FreePortBlock(1);
  ASSERT_NE(base, 0);
  auto agent = [&] {
    return RunCmd({MysqlsetBinary(), "agent",
                   "--pod-name",     "mysql-0",
                   "--conf-dir",     conf_,
                   "--data-dir",     data_,
                   "--secrets-dir",  secrets_dir_,
                   "--etcd",         "http://127.0.0.1:9",
                   "--bind-address", "127.0.0.1",
                   "--port",         std::to_string(base),
                   "--http-port",    std::to_string(base + 1),
                   "--backup-port",  std::to_string(base + 2)},
                  {}, 20);
  };
  for (const uint16_t busy : {uint16_t(base + 1), uint16_t(base + 2)}) {
    SCOPED_TRACE(busy);
    const int fd = ListenOn(busy);
    ASSERT_GE(fd, 0);
    const Outcome o = agent();
    close(fd);
    EXPECT_NE(o.exit_code, 0) << o.output;
    EXPECT_EQ(o.signal, 0) << o.output;
    // The agent is a daemon: an info line for the port it did bind may come first. The
    // last line is the one error, naming the port; nothing else is an error or warning.
    const auto lines = Lines(o.output);
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(lines.back().starts_with("mysqlset agent: error:")) << o.output;
    EXPECT_NE(lines.back().find(std::to_string(busy)), std::string::npos) << o.output;
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      EXPECT_NE(lines[i].find(" info [agent] "), std::string::npos) << o.output;
    }
    EXPECT_LE(lines.size(), 2u) << o.output;
    ExpectNoSecretIn(o.output);
  }
  const Outcome bad_bind = RunCmd(
      {MysqlsetBinary(), "agent", "--pod-name", "mysql-0", "--data-dir", data_, "--secrets-dir",
       secrets_dir_, "--etcd", "http://127.0.0.1:9", "--bind-address", "not-an-address",
       "--backup-port", std::to_string(base + 2), "--http-port", std::to_string(base + 1)},
      {}, 20);
  EXPECT_ONE_ERROR_LINE(bad_bind, 0, "mysqlset agent: error:", "not-an-address");
}

}  // namespace
}  // namespace mysqlset::testing
