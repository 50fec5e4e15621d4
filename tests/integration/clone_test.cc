// Integration tests of replica cloning (issue #4) against real mariadbd, mariabackup and
// mbstream. One primary with sysbench data is shared by the suite; each test starts its
// own donor processes (backup_donor_for_test, hosting BackupService) and receivers (the
// real `mysqlset clone`), on loopback ports it picks, and stops them by pid.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "net/socket.h"
#include "nlohmann/json.hpp"
#include "posix/subprocess.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

bool Exists(const std::string& p) { return fs::exists(p); }

// A backup_donor_for_test process serving one datadir.
class Donor {
 public:
  Donor(const Member& source, const std::string& secrets_dir, std::vector<std::string> extra = {}) {
    int out[2];
    EXPECT_TRUE(MakePipe(out).ok());
    log_ = source.spec().root + "/donor-" + std::to_string(FreePort()) + ".log";
    const int log_fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    std::vector<std::string> argv = {BACKUP_DONOR_BIN, "--datadir", source.data_dir() + "/mysql",
                                     "--mysql-port", std::to_string(source.port()),
                                     "--secrets-dir", secrets_dir, "--pod-name", source.spec().pod};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = Subprocess::Spawn(argv, {-1, out[1], log_fd});
    close(out[1]);
    close(log_fd);
    EXPECT_TRUE(child.ok());
    pid_ = child->pid();
    out_ = out[0];
    auto line = net::ReadLine(out_, 100, milliseconds(10000));
    EXPECT_TRUE(line.ok() && line->starts_with("LISTENING ")) << ReadAll(log_);
    if (line.ok() && line->starts_with("LISTENING ")) {
      port_ = static_cast<uint16_t>(std::stoi(line->substr(10)));
    }
  }
  ~Donor() { Stop(); }
  // Stops the donor and returns its final stats.
  nlohmann::json Stop() {
    if (pid_ <= 0) return stats_;
    kill(pid_, SIGTERM);
    auto line = net::ReadLine(out_, 1000, milliseconds(10000));
    waitpid(pid_, nullptr, 0);
    close(out_);
    pid_ = -1;
    if (line.ok()) stats_ = nlohmann::json::parse(*line, nullptr, false);
    return stats_;
  }
  bool alive() const { return pid_ > 0 && kill(pid_, 0) == 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadAll(log_); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  uint16_t port_ = 0;
  std::string log_;
  nlohmann::json stats_;
};

// Children of `parent` whose command name is `comm`.
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& comm) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadAll(e.path().string() + "/stat");
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && stat.substr(open + 1, close - open - 1) == comm) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

class CloneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    MemberSpec spec;
    spec.root = tmp_->path() + "/m0";
    spec.pod = "mysql-0";
    primary_ = new Member(spec);
    ASSERT_EQ(primary_->Init(), 0);
    ASSERT_EQ(primary_->Clone(), 0);
    ASSERT_TRUE(primary_->Start()) << ReadAll(primary_->log_file());
    auto admin = primary_->ConnectAdmin();
    ASSERT_NE(admin, nullptr);
    // No agent here: make the primary writable by hand.
    ASSERT_TRUE(admin->Execute("SET GLOBAL read_only=0").ok());
    ASSERT_TRUE(admin->Execute("CREATE DATABASE sbtest").ok());
    ASSERT_EQ(Sysbench("oltp_read_write", "prepare", {}), 0);
  }
  static void TearDownTestSuite() {
    delete primary_;
    delete tmp_;
  }

  // sysbench against the primary (passwords on argv are acceptable in tests only).
  static int Sysbench(const std::string& test, const std::string& cmd,
                      const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {
        "sysbench", test, "--mysql-host=127.0.0.1",
        "--mysql-port=" + std::to_string(primary_->port()), "--mysql-user=admin",
        "--mysql-password=" + primary_->secrets().admin_password, "--tables=2",
        "--table-size=20000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(cmd);
    return RunCommand(argv, tmp_->path() + "/sysbench.log");
  }

  std::unique_ptr<Member> NewReplica(const std::string& name, std::string secrets_dir = "") {
    MemberSpec spec;
    spec.root = tmp_->path() + "/" + name;
    spec.pod = "mysql-1";
    spec.secrets_dir = secrets_dir.empty() ? primary_->spec().secrets_dir : secrets_dir;
    auto m = std::make_unique<Member>(spec);
    EXPECT_EQ(m->Init(), 0);
    return m;
  }

  static std::vector<std::string> DonorArgs(const std::vector<const Donor*>& donors) {
    std::vector<std::string> a = {"--retry-delay-ms", "200"};
    for (const Donor* d : donors) {
      a.push_back("--donor");
      a.push_back(d->address());
    }
    return a;
  }

  // `mysqlset clone` in the background.
  static pid_t CloneAsync(const Member& m, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {MysqlsetBinary(), "clone", "--pod-name", m.spec().pod,
                                     "--conf-dir", m.conf_dir(), "--data-dir", m.data_dir(),
                                     "--secrets-dir", m.spec().secrets_dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const int fd = open(m.log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    auto child = Subprocess::Spawn(argv, {-1, fd, -1});
    close(fd);
    EXPECT_TRUE(child.ok());
    return child.ok() ? child->pid() : -1;
  }

  static std::optional<nlohmann::json> Progress(const Member& m) {
    const std::string text = ReadAll(m.data_dir() + "/.mysqlset-clone-progress.json");
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }

  // Waits (up to 60 s) until `pred` holds or `pid` exits; true if pred held.
  template <typename Pred>
  static bool WaitUntil(pid_t pid, Pred pred) {
    for (int i = 0; i < 6000; ++i) {
      if (pred()) return true;
      if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  static int WaitExit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static std::string Checksums(Connection& c) {
    std::string out;
    for (const char* t : {"sbtest.sbtest1", "sbtest.sbtest2"}) {
      auto rows = c.Query(std::string("CHECKSUM TABLE ") + t);
      EXPECT_TRUE(rows.ok());
      if (rows.ok() && !rows->rows.empty()) out += *rows->rows[0][1] + " ";
      out += QueryValue(c, std::string("SELECT COUNT(*) FROM ") + t) + ";";
    }
    return out;
  }

  // The receiver's datadir is complete and its data equals the primary's (no writes run).
  void ExpectCompleteAndEqualToPrimary(Member& replica) {
    ASSERT_TRUE(Exists(replica.data_dir() + "/.mysqlset-complete"));
    EXPECT_FALSE(Exists(replica.data_dir() + "/mysql.staging"));
    EXPECT_FALSE(Exists(replica.data_dir() + "/.mysqlset-clone-progress.json"));
    ASSERT_TRUE(replica.Start()) << ReadAll(replica.log_file());
    auto r = replica.ConnectAdmin();
    auto p = primary_->ConnectAdmin();
    ASSERT_NE(r, nullptr);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Checksums(*r), Checksums(*p));
    replica.Stop();
  }

  static TempDir* tmp_;
  static Member* primary_;
};

TempDir* CloneTest::tmp_ = nullptr;
Member* CloneTest::primary_ = nullptr;

TEST_F(CloneTest, ConsistentCopyUnderWritesCatchesUpFromItsGtid) {
  Donor donor(*primary_, primary_->spec().secrets_dir);
  auto replica = NewReplica("consistent");
  // Writes run on the primary while it is being cloned.
  std::jthread load([] {
    Sysbench("oltp_write_only", "run", {"--time=6", "--threads=2", "--rate=200"});
  });
  std::this_thread::sleep_for(milliseconds(1500));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(replica->Clone(DonorArgs({&donor})), 0) << ReadAll(replica->log_file());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  load.join();

  const auto info = nlohmann::json::parse(ReadAll(replica->data_dir() + "/.mysqlset-clone.json"));
  std::printf("clone: %.1f MiB in %.2fs (%.1f MiB/s incl. prepare), GTID %s\n",
              info["bytes"].get<double>() / 1048576, secs,
              info["bytes"].get<double>() / 1048576 / secs, info["gtid"].get<std::string>().c_str());
  EXPECT_EQ(info["donor"], "mysql-0");
  EXPECT_EQ(info["donor_address"], donor.address());
  const std::string gtid = info["gtid"];
  ASSERT_FALSE(gtid.empty());
  const auto marker = nlohmann::json::parse(ReadAll(replica->data_dir() + "/.mysqlset-complete"));
  EXPECT_EQ(marker["source"], "clone");

  // Replicate from the clone's GTID to the primary's final position: if the recorded GTID
  // or the copy were inconsistent, replication would fail or the checksums would differ.
  ASSERT_TRUE(replica->Start()) << ReadAll(replica->log_file());
  auto r = replica->ConnectAdmin();
  auto p = primary_->ConnectAdmin();
  ASSERT_NE(r, nullptr);
  const std::string target = QueryValue(*p, "SELECT @@gtid_binlog_pos");
  ASSERT_TRUE(r->Execute("SET GLOBAL gtid_slave_pos = " + r->Quote(gtid)).ok());
  ASSERT_TRUE(r->Execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" +
                         std::to_string(primary_->port()) + ", MASTER_USER='repl', MASTER_PASSWORD=" +
                         r->Quote(primary_->secrets().replication_password) +
                         ", MASTER_USE_GTID=slave_pos")
                  .ok());
  ASSERT_TRUE(r->Execute("START SLAVE").ok());
  ASSERT_EQ(QueryValue(*r, "SELECT MASTER_GTID_WAIT(" + r->Quote(target) + ", 60)"), "0")
      << QueryValue(*r, "SELECT @@gtid_slave_pos");
  EXPECT_EQ(Checksums(*r), Checksums(*p));
  ASSERT_TRUE(r->Execute("STOP SLAVE").ok());
  replica->Stop();
  EXPECT_EQ(donor.Stop()["served_ok"], 1);
}

TEST_F(CloneTest, ReceiverKilledAtAnyPointRestartsCleanAndEndsConsistent) {
  // ~50 MiB at 16 MiB/s: several seconds of stream to kill into.
  Donor donor(*primary_, primary_->spec().secrets_dir, {"--throttle-kib-per-s", "16384"});
  auto replica = NewReplica("killed");
  const std::string marker = replica->data_dir() + "/.mysqlset-complete";
  struct KillPoint {
    const char* what;
    std::function<bool(const nlohmann::json&)> reached;
  };
  const std::vector<KillPoint> points = {
      {"first bytes", [](const nlohmann::json& j) { return j["bytes"].get<uint64_t>() > 0; }},
      {"mid-stream", [](const nlohmann::json& j) { return j["bytes"].get<uint64_t>() > (20u << 20); }},
      {"prepare", [](const nlohmann::json& j) { return j["phase"] == "prepare"; }},
  };
  for (const auto& kp : points) {
    const pid_t pid = CloneAsync(*replica, DonorArgs({&donor}));
    ASSERT_TRUE(WaitUntil(pid, [&] {
      auto j = Progress(*replica);
      return j && kp.reached(*j);
    })) << kp.what << ": " << ReadAll(replica->log_file());
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    // Never looks complete after a kill, so nothing will start on it.
    EXPECT_FALSE(Exists(marker)) << kp.what;
    EXPECT_FALSE(Exists(replica->data_dir() + "/mysql/ibdata1") && !Exists(marker)) << kp.what;
  }
  ASSERT_EQ(replica->Clone(DonorArgs({&donor})), 0) << ReadAll(replica->log_file());
  ExpectCompleteAndEqualToPrimary(*replica);
  // The donor noticed both streams abandoned mid-way and stopped mariabackup for them; the
  // receiver killed during prepare had already received a complete stream.
  EXPECT_TRUE(WaitUntil(-1, [&] { return ChildrenNamed(donor.pid(), "mariabackup").empty(); }));
  const auto stats = donor.Stop();
  EXPECT_EQ(stats["failed"], 2) << stats.dump();
  EXPECT_EQ(stats["served_ok"], 2) << stats.dump();
}

TEST_F(CloneTest, DonorBackupKilledMidStreamFailsOverToAnotherDonor) {
  Donor slow(*primary_, primary_->spec().secrets_dir, {"--throttle-kib-per-s", "8192"});
  Donor fast(*primary_, primary_->spec().secrets_dir);
  auto replica = NewReplica("failover");
  const pid_t pid = CloneAsync(*replica, DonorArgs({&slow, &fast}));
  ASSERT_TRUE(WaitUntil(pid, [&] {
    auto j = Progress(*replica);
    return j && (*j)["bytes"].get<uint64_t>() > (4u << 20);
  })) << ReadAll(replica->log_file());
  const auto children = ChildrenNamed(slow.pid(), "mariabackup");
  ASSERT_EQ(children.size(), 1u);
  kill(children[0], SIGKILL);
  ASSERT_EQ(WaitExit(pid), 0) << ReadAll(replica->log_file());
  const std::string log = ReadAll(replica->log_file());
  EXPECT_NE(log.find("mariabackup was killed by signal 9"), std::string::npos) << log;
  const auto info = nlohmann::json::parse(ReadAll(replica->data_dir() + "/.mysqlset-clone.json"));
  EXPECT_EQ(info["donor_address"], fast.address());
  ExpectCompleteAndEqualToPrimary(*replica);
  EXPECT_EQ(slow.Stop()["failed"], 1);
  EXPECT_EQ(fast.Stop()["served_ok"], 1);
}

// Issue #18: the free-space check counted only the backup. mariadbd preallocates the redo
// log (ib_logfile0, innodb_log_file_size) when it first starts from the clone, so a clone
// onto a nearly full disk passed the check, and then mariadbd failed to start. A tmpfs of
// limited size stands for the data volume (root only; unmounted at the end).
TEST_F(CloneTest, RedoLogThatDoesNotFitIsRefusedBeforeStreaming) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a tmpfs mount";
  Donor donor(*primary_, primary_->spec().secrets_dir);
  auto replica = NewReplica("smalldisk");
  constexpr int kRedoMiB = 256;
  std::ofstream(replica->conf_dir() + "/replica.cnf", std::ios::app)
      << "innodb_log_file_size=" << kRedoMiB << "M\n";
  const std::string data = replica->data_dir();
  fs::create_directories(data);
  ASSERT_EQ(mount("tmpfs", data.c_str(), "tmpfs", 0, "size=64m,mode=0755"), 0) << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{data};
  auto clone = [&](uint64_t size_mib) {
    const std::string opts = "size=" + std::to_string(size_mib) + "m,mode=0755";
    EXPECT_EQ(mount("tmpfs", data.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()), 0);
    fs::remove(replica->log_file());
    std::vector<std::string> args = DonorArgs({&donor});
    args.insert(args.end(), {"--max-attempts", "1"});
    const int rc = replica->Clone(args);
    return std::make_pair(rc, ReadAll(replica->log_file()));
  };

  // Too small even for the backup: learn the backup's size from the refusal.
  auto [rc, log] = clone(8);
  ASSERT_NE(rc, 0) << log;
  const size_t at = log.find(" is about ");
  ASSERT_NE(at, std::string::npos) << log;
  const double backup_mib = std::stod(log.substr(at + 10));
  std::fprintf(stderr, "[clone] backup about %.1f MiB, redo log %d MiB\n", backup_mib, kRedoMiB);

  // Room for the backup and 64 MiB more, not for the redo log: refused before streaming.
  const uint64_t backup_only = static_cast<uint64_t>(backup_mib) + 64;
  std::tie(rc, log) = clone(backup_only);
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("error: clone mysql-1 from " + donor.address()), std::string::npos) << log;
  EXPECT_NE(log.find("not enough space in " + data), std::string::npos) << log;
  EXPECT_NE(log.find(fmt::format("and the redo log (innodb_log_file_size) {}.0 MiB", kRedoMiB)),
            std::string::npos)
      << log;
  EXPECT_FALSE(Exists(data + "/mysql"));
  EXPECT_FALSE(Exists(data + "/mysql.staging"));
  EXPECT_FALSE(Exists(data + "/.mysqlset-complete"));

  // Room for both: the clone completes and mariadbd starts, redo log preallocated.
  std::tie(rc, log) = clone(backup_only + kRedoMiB + 128);
  ASSERT_EQ(rc, 0) << log;
  ExpectCompleteAndEqualToPrimary(*replica);
  EXPECT_EQ(fs::file_size(data + "/mysql/ib_logfile0"), uint64_t{kRedoMiB} << 20);
  const auto stats = donor.Stop();
  EXPECT_EQ(stats["served_ok"], 1) << "only the last clone streamed: " << stats.dump();
}

TEST_F(CloneTest, WrongSecretIsRefusedWithZeroDataBytes) {
  Donor donor(*primary_, primary_->spec().secrets_dir);
  const std::string other = tmp_->path() + "/other-secrets";
  MakeSecrets(other);  // same file names, different values
  auto replica = NewReplica("wrongsecret", other);
  EXPECT_NE(replica->Clone(DonorArgs({&donor})), 0);
  const std::string log = ReadAll(replica->log_file());
  EXPECT_NE(log.find("authentication failed"), std::string::npos) << log;
  EXPECT_NE(log.find("error: clone mysql-1 from " + donor.address()), std::string::npos) << log;
  EXPECT_FALSE(Exists(replica->data_dir() + "/mysql"));
  EXPECT_FALSE(Exists(replica->data_dir() + "/mysql.staging"));
  EXPECT_FALSE(Exists(replica->data_dir() + "/.mysqlset-complete"));
  // No secret of either side leaks into the receiver's output.
  for (const auto& s : SecretValues(primary_->secrets())) EXPECT_EQ(log.find(s), std::string::npos);
  for (const auto& s : SecretValues(replica->secrets())) EXPECT_EQ(log.find(s), std::string::npos);
  const auto stats = donor.Stop();
  EXPECT_EQ(stats["refused_auth"], 1) << stats.dump();
  EXPECT_EQ(stats["bytes_sent"], 0) << stats.dump();
  EXPECT_EQ(stats["served_ok"], 0) << stats.dump();
}

TEST_F(CloneTest, SecondConcurrentClientIsRefusedAsBusy) {
  Donor donor(*primary_, primary_->spec().secrets_dir, {"--throttle-kib-per-s", "16384"});
  auto first = NewReplica("busy1");
  auto second = NewReplica("busy2");
  const pid_t pid = CloneAsync(*first, DonorArgs({&donor}));
  ASSERT_TRUE(WaitUntil(pid, [&] {
    auto j = Progress(*first);
    return j && (*j)["bytes"].get<uint64_t>() > 0;
  }));
  std::vector<std::string> args = DonorArgs({&donor});
  args.insert(args.end(), {"--max-attempts", "1"});
  EXPECT_NE(second->Clone(args), 0);
  EXPECT_NE(ReadAll(second->log_file()).find("busy"), std::string::npos);
  EXPECT_EQ(WaitExit(pid), 0) << ReadAll(first->log_file());
  EXPECT_TRUE(Exists(first->data_dir() + "/.mysqlset-complete"));
  const auto stats = donor.Stop();
  EXPECT_EQ(stats["refused_busy"], 1) << stats.dump();
  EXPECT_EQ(stats["served_ok"], 1) << stats.dump();
}

TEST_F(CloneTest, GarbageAndSlowClientsDoNotStopTheDonor) {
  Donor donor(*primary_, primary_->spec().secrets_dir);
  auto send_raw = [&](const std::string& bytes) {
    auto fd = net::ConnectTcp("127.0.0.1", donor.port(), milliseconds(1000));
    ASSERT_TRUE(fd.ok());
    (void)net::SendAll(fd->get(), bytes, milliseconds(1000));
    std::string reply;
    while (true) {
      auto s = net::ReadSome(fd->get(), 4096, milliseconds(3000));
      if (!s.ok() || s->empty()) break;
      reply += *s;
    }
    EXPECT_EQ(reply.find("OK "), std::string::npos) << reply;
    EXPECT_NE(reply.find("ERR "), std::string::npos) << reply;
  };
  send_raw(std::string(100000, 'A'));                       // oversized line
  send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");            // wrong protocol
  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 31);
  send_raw(binary);                                         // binary noise
  // Slow clients: connected, silent; they hold no backup slot.
  auto slow1 = net::ConnectTcp("127.0.0.1", donor.port(), milliseconds(1000));
  auto slow2 = net::ConnectTcp("127.0.0.1", donor.port(), milliseconds(1000));
  ASSERT_TRUE(slow1.ok() && slow2.ok());
  (void)net::SendAll(slow2->get(), "AUTH 00", milliseconds(1000));  // never finishes the line
  auto replica = NewReplica("garbage");
  ASSERT_EQ(replica->Clone(DonorArgs({&donor})), 0) << ReadAll(replica->log_file());
  EXPECT_TRUE(donor.alive());
  ExpectCompleteAndEqualToPrimary(*replica);
  const auto stats = donor.Stop();
  EXPECT_EQ(stats["served_ok"], 1) << stats.dump();
  EXPECT_GE(stats["bad_requests"].get<int>() + stats["refused_auth"].get<int>(), 3) << stats.dump();
}

TEST_F(CloneTest, WithoutPeerStatusFallsBackToThePreviousOrdinal) {
  Donor donor(*primary_, primary_->spec().secrets_dir);
  auto replica = NewReplica("fallback");
  // No agent answers /v1/status on the HTTP port: the seed's rule picks mysql-0, found at
  // the backup port the layout gives ordinal 0.
  ASSERT_EQ(replica->Clone({"--peer-host", "127.0.0.1", "--backup-port",
                            std::to_string(donor.port()), "--http-port",
                            std::to_string(FreePort()), "--port-stride", "10"}),
            0)
      << ReadAll(replica->log_file());
  const auto info = nlohmann::json::parse(ReadAll(replica->data_dir() + "/.mysqlset-clone.json"));
  EXPECT_EQ(info["donor"], "mysql-0");
  EXPECT_TRUE(Exists(replica->data_dir() + "/.mysqlset-complete"));
}

}  // namespace
}  // namespace mysqlset::testing
