// Fault suite (issue #8, part 1): a local cluster brought up with the real CLI, a writer
// inserting sequential ids through the write endpoint the whole time, and faults injected one
// after another:
//   - kill -9 of the primary's mariadbd (several times), of a replica's mariadbd, of agents;
//   - a full disk (small tmpfs) under a new member's data dir during its clone;
//   - kill -9 of a clone receiver at random moments (random byte offsets of the stream, and
//     during prepare/install), and of the donor agent's mariabackup;
//   - kill -9 of the supervisor, then `mysqlset up` again.
// After each fault: the cluster is all-ready again, every acknowledged id is on the primary,
// every replica has caught up to the primary's GTID and has the same checksum and row count.
// Throughout, a sampler checks that no mariadbd ever runs on a data dir without the
// completion marker.
//
// One test per fault family (Faults.KillPrimaryMariadbd, ...) on one cluster; run one family
// alone with --gtest_filter='Faults.KillPrimary*' (see the Faults fixture at the end).
// Short by default (target: a few minutes); MYSQLSET_FAULTS=long injects more of each.
// MYSQLSET_FAULTS_SEED=N fixes the random choices. Needs root for the tmpfs mount (the
// full-disk fault is skipped, and said so, without it).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "posix/subprocess.h"
#include "tests/integration/ha_probes.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using json = nlohmann::json;

double Since(steady_clock::time_point t0) {
  return std::chrono::duration<double>(steady_clock::now() - t0).count();
}

std::string Tail(const std::string& text, size_t n = 3000) {
  return text.size() > n ? text.substr(text.size() - n) : text;
}

bool Alive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = ReadAll("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (stat.empty() || close == std::string::npos || close + 2 >= stat.size()) return false;
  return stat[close + 2] != 'Z';
}

// "1.23s/4567890B/stream": where a clone was cut.
std::string fmt_point(double secs, uint64_t bytes, const std::string& phase) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.2fs/%lluB/%s", secs, static_cast<unsigned long long>(bytes),
                phase.c_str());
  return buf;
}

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;
  std::string cmdline;  // arguments joined by spaces
};

std::vector<ProcInfo> Processes() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadAll(e.path().string() + "/stat");
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    ProcInfo p;
    p.pid = std::stoi(name);
    p.comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    rest >> state >> p.ppid;
    if (state == 'Z') continue;
    std::string cmd = ReadAll(e.path().string() + "/cmdline");
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    p.cmdline = cmd;
    out.push_back(std::move(p));
  }
  return out;
}

// Sum of file sizes under `dir` (0 when absent).
uint64_t TreeBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) total += it->file_size(e2);
  }
  return total;
}

struct Mode {
  bool long_mode = false;
  int primary_kills = 2;
  int replica_kills = 1;
  int agent_kills = 2;
  int clone_kills = 10;
  int donor_kills = 1;
  int supervisor_kills = 1;
  int filler_rows = 20000;  // ~1 KiB each: makes a clone stream take a moment
};

Mode ModeFromEnv() {
  Mode m;
  const char* v = std::getenv("MYSQLSET_FAULTS");
  if (v && std::string(v) == "long") {
    m.long_mode = true;
    m.primary_kills = 6;
    m.replica_kills = 4;
    m.agent_kills = 4;
    m.clone_kills = 30;
    m.donor_kills = 3;
    m.supervisor_kills = 2;
    m.filler_rows = 60000;
  }
  return m;
}

// Samples running mariadbd processes of the cluster: each must run on a member data dir
// that has the completion marker.
class MarkerSampler {
 public:
  explicit MarkerSampler(std::string cluster_dir) : dir_(std::move(cluster_dir)) {}
  ~MarkerSampler() { Stop(); }
  void Start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        SampleOnce();
        std::this_thread::sleep_for(milliseconds(100));
      }
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void SampleOnce() {
    const std::string needle = "--defaults-file=" + dir_ + "/members/";
    for (const ProcInfo& p : Processes()) {
      if (p.comm != "mariadbd") continue;
      const size_t at = p.cmdline.find(needle);
      if (at == std::string::npos) continue;
      const size_t start = at + needle.size();
      const std::string pod = p.cmdline.substr(start, p.cmdline.find('/', start) - start);
      // A member's own server only (--defaults-file=DIR/members/POD/conf/my.cnf). A clone's
      // rollback pass runs mariadbd on its staging dir before the marker, by design, with the
      // backup's own options file (--defaults-file=DIR/members/POD/data/...staging/backup-my.cnf).
      if (p.cmdline.compare(start + pod.size(), 12, "/conf/my.cnf") != 0) continue;
      const std::string data = dir_ + "/members/" + pod + "/data";
      ++samples_;
      if (!fs::exists(data + "/.mysqlset-complete") || !fs::exists(data + "/mysql")) {
        // Re-check the process still runs (it may have just exited).
        if (Alive(p.pid)) {
          std::lock_guard<std::mutex> lock(mu_);
          violations_.push_back(pod + " (pid " + std::to_string(p.pid) + ")");
        }
      }
    }
  }
  int64_t samples() const { return samples_; }
  std::vector<std::string> violations() {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_;
  }

 private:
  std::string dir_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> samples_{0};
  std::mutex mu_;
  std::vector<std::string> violations_;
};

// Everything the fault tests share: the cluster (brought up once for the whole suite: bringing
// one up and loading the filler rows takes a while, and each fault ends with the cluster
// whole again, so the next fault starts from a healthy cluster), the writer and its ledger of
// acknowledged ids, the marker sampler, the fault and check counters. Not a fixture itself:
// the Faults fixture below owns one for the suite.
class FaultCluster {
 public:
  // `mysqlset up` with 3 members, the tables and the filler rows, the writer and the sampler;
  // then the first ledger check. up() says whether all of it worked.
  void Start() {
    mode_ = ModeFromEnv();
    unsigned seed = static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr));
    if (const char* s = std::getenv("MYSQLSET_FAULTS_SEED"))
      seed = static_cast<unsigned>(std::stoul(s));
    rng_.seed(seed);
    std::fprintf(stderr, "[faults] mode %s, seed %u\n", mode_.long_mode ? "long" : "short", seed);
    base_ = FreeClusterBasePort(5);
    ASSERT_NE(base_, 0) << "no free port range found";
    dir_ = tmp_.path() + "/cluster";
    log_ = tmp_.path() + "/cli.log";
    t_start_ = steady_clock::now();
    std::string out;
    // Asynchronous, with a fixed primary: these checks follow replicas of mysql-0 through
    // clone and kill faults. With semi-sync (the default) a killed primary fails over, and
    // failover is failover_test's subject; making these checks follow the primary is open.
    ASSERT_EQ(Cli({"up", "--dir", dir_, "--replicas", "3", "--base-port", std::to_string(base_),
                   "--no-semi-sync", "--timeout", "300"},
                  &out),
              0)
        << out;
    std::fprintf(stderr, "[faults] up with 3 members: %.1fs (base port %u)\n", Since(t_start_),
                 base_);
    admin_password_ = AdminPassword();
    {
      auto w = ConnectPort(WritePort(), 120);
      ASSERT_NE(w, nullptr);
      ASSERT_TRUE(w->Execute("CREATE DATABASE faults").ok());
      ASSERT_TRUE(
          w->Execute("CREATE TABLE faults.t (id BIGINT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB")
              .ok());
      ASSERT_TRUE(
          w->Execute(
               "CREATE TABLE faults.filler (id INT PRIMARY KEY, v VARCHAR(1000)) ENGINE=InnoDB")
              .ok());
      // Bulk data so that a clone stream lasts long enough to be cut at many offsets.
      ASSERT_TRUE(w->Execute("SET SESSION max_recursive_iterations = 1000000").ok());
      for (int from = 1; from <= mode_.filler_rows; from += 5000) {
        const int to = std::min(mode_.filler_rows, from + 4999);
        const Status st =
            w->Execute("INSERT INTO faults.filler WITH RECURSIVE s(n) AS (SELECT " +
                       std::to_string(from) + " UNION ALL SELECT n + 1 FROM s WHERE n < " +
                       std::to_string(to) + ") SELECT n, REPEAT(SHA2(n, 256), 15) FROM s");
        ASSERT_TRUE(st.ok()) << st.message();
      }
    }
    writer_ = std::make_unique<AckWriter>("faults.t", [this] { return ConnectPort(WritePort()); });
    writer_->Start();
    sampler_ = std::make_unique<MarkerSampler>(dir_);
    sampler_->Start();
    ASSERT_TRUE(writer_->WaitForProgress(30)) << "the writer makes no progress";
    CheckCluster("start", 3);
    up_ = true;  // the ASSERTs above return early
  }
  bool up() const { return up_; }

  // The end, after every fault that ran: the last ledger check (every acknowledged id on the
  // primary and on every replica), the marker sampler's verdict and the summary; then `down`
  // and nothing of the cluster left running.
  void Finish() {
    if (up_) FinalChecks();
    if (writer_) writer_->Stop();
    if (sampler_) sampler_->Stop();
    if (fs::exists(dir_ + "/cluster.json")) Cli({"down", "--dir", dir_, "--timeout", "120"});
    for (pid_t p : started_) {
      if (Alive(p)) kill(p, SIGKILL);
      waitpid(p, nullptr, WNOHANG);
    }
    // Nothing of this cluster may outlive the test: report and stop leftovers by pid.
    for (const ProcInfo& p : Processes()) {
      if (p.pid != getpid() && p.cmdline.find(dir_) != std::string::npos) {
        ADD_FAILURE() << "left running after down: pid " << p.pid << " " << p.cmdline;
        kill(p.pid, SIGKILL);
      }
    }
    if (!mount_.empty()) {
      if (umount2(mount_.c_str(), 0) != 0) umount2(mount_.c_str(), MNT_DETACH);
    }
    if (::testing::Test::HasFailure()) PrintLogTails();
  }

  void PrintLogTails() {
    std::fprintf(stderr, "--- CLI output (tail) ---\n%s\n--- supervisor.log (tail) ---\n%s\n",
                 Tail(ReadAll(log_), 6000).c_str(),
                 Tail(ReadAll(dir_ + "/supervisor.log"), 6000).c_str());
  }

  void FinalChecks() {
    CheckCluster("all faults", members_);
    writer_->Stop();
    sampler_->Stop();
    const auto violations = sampler_->violations();
    std::string v;
    for (const auto& s : violations) v += " " + s;
    Check(violations.empty(), "mariadbd never ran on a data dir without the marker:" + v);
    Check(sampler_->samples() > 0, "the marker sampler saw mariadbd processes");

    std::string per_kind;
    for (const auto& [k, n] : fault_counts_)
      per_kind += "\n[faults]   " + std::to_string(n) + " x " + k;
    std::fprintf(stderr,
                 "[faults] ==== %s mode, %.0fs\n[faults] faults injected: %d%s\n"
                 "[faults] ids acknowledged: %zu (of %lld attempted, %lld failed)\n"
                 "[faults] ids lost: %lld\n[faults] checks passed: %d, failed: %d\n"
                 "[faults] marker samples: %lld, violations: %zu\n",
                 mode_.long_mode ? "long" : "short", Since(t_start_), faults_, per_kind.c_str(),
                 writer_->acked_count(), static_cast<long long>(writer_->attempted()),
                 static_cast<long long>(writer_->failed()), static_cast<long long>(lost_),
                 checks_passed_, checks_failed_, static_cast<long long>(sampler_->samples()),
                 violations.size());
    EXPECT_EQ(lost_, 0);
    EXPECT_EQ(checks_failed_, 0);
  }

  // ---- CLI and status

  int Cli(std::vector<std::string> args, std::string* out = nullptr) {
    return RunMysqlset(std::move(args), tmp_.path() + "/last.log", log_, out);
  }

  json StatusJson() {
    std::string out;
    if (Cli({"status", "--dir", dir_, "--json"}, &out) != 0) return nullptr;
    auto j = json::parse(out, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }
  json State() {
    auto j = json::parse(ReadAll(dir_ + "/state.json"), nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }
  pid_t StatePid(int ordinal, const char* field) {
    auto s = State();
    if (!s.is_object()) return 0;
    for (const auto& m : s["members"]) {
      if (m["ordinal"] == ordinal) return m[field].get<pid_t>();
    }
    return 0;
  }

  // All `n` members ready (status --json and the supervisor's converged flag, which includes
  // the read endpoint), and `extra` holds.
  bool WaitAllReady(int n, double secs, const std::function<bool()>& extra = nullptr) {
    return WaitFor(
        [&] {
          auto s = StatusJson();
          if (!s.is_object() || s["members"].size() != static_cast<size_t>(n)) return false;
          for (const auto& m : s["members"]) {
            if (m["ready"] != true) return false;
          }
          auto st = State();
          if (!st.is_object() || st["converged"] != true) return false;
          return !extra || extra();
        },
        secs);
  }

  std::string AdminPassword() {
    std::string pw = ReadAll(dir_ + "/secrets/admin-password");
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    return pw;
  }
  std::unique_ptr<Connection> ConnectPort(uint16_t port, int read_timeout = 5) {
    ConnectOptions o;
    o.port = port;
    o.user = "admin";
    o.password = admin_password_;
    o.connect_timeout_s = 2;
    o.read_timeout_s = read_timeout;
    o.write_timeout_s = 5;
    auto c = Connection::Open(o);
    if (!c.ok()) return nullptr;
    return std::move(c).value();
  }
  uint16_t WritePort() const { return static_cast<uint16_t>(base_ - 6); }
  uint16_t MemberPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal); }
  uint16_t BackupPort(int ordinal) const { return static_cast<uint16_t>(base_ + 10 * ordinal + 2); }
  std::string MemberDir(int ordinal) const {
    return dir_ + "/members/mysql-" + std::to_string(ordinal);
  }

  // ---- checks

  void Check(bool ok, const std::string& what) {
    if (ok) {
      ++checks_passed_;
    } else {
      ++checks_failed_;
      ADD_FAILURE() << "check failed: " << what;
    }
  }

  // After a fault: all `members` ready; every acknowledged id on the primary; every replica
  // caught up to the primary's GTID with the same checksum and row count.
  void CheckCluster(const std::string& after, int members) {
    const auto t0 = steady_clock::now();
    const bool ready = WaitAllReady(members, 240);
    Check(ready, after + ": cluster all-ready: " + StatusJson().dump());
    if (!ready) return;
    Check(writer_->WaitForProgress(60), after + ": writes are acknowledged again");
    Check(writer_->Pause(), after + ": writer pauses");
    auto p = ConnectPort(MemberPort(0), 60);
    Check(p != nullptr, after + ": connect to the primary");
    if (p) {
      auto rows = p->Query("SELECT id FROM faults.t");
      Check(rows.ok(), after + ": read ids on the primary");
      std::set<int64_t> present;
      if (rows.ok()) {
        for (const auto& r : rows->rows) present.insert(std::stoll(*r[0]));
      }
      const auto acked = writer_->Acked();
      int64_t lost = 0;
      for (int64_t id : acked) lost += present.count(id) ? 0 : 1;
      lost_ = std::max(lost_, lost);
      Check(lost == 0,
            after + ": " + std::to_string(lost) + " acknowledged ids missing on the primary");
      const std::string pos = QueryValue(*p, "SELECT @@gtid_binlog_pos");
      const std::string want = Fingerprint(*p);
      for (int i = 1; i < members; ++i) {
        auto r = ConnectPort(MemberPort(i), 90);
        Check(r != nullptr, after + ": connect to mysql-" + std::to_string(i));
        if (!r) continue;
        const std::string waited =
            QueryValue(*r, "SELECT MASTER_GTID_WAIT(" + r->Quote(pos) + ", 60)");
        Check(waited == "0", after + ": mysql-" + std::to_string(i) + " reaches GTID " + pos +
                                 " (has " + QueryValue(*r, "SELECT @@gtid_slave_pos") + ")");
        const std::string got = Fingerprint(*r);
        Check(got == want, after + ": mysql-" + std::to_string(i) + " matches the primary: " + got +
                               " vs " + want);
      }
      std::fprintf(stderr,
                   "[faults] after %-34s ok: %zu ids acked, %lld attempts failed, %zu rows, "
                   "gtid %s (%.1fs)\n",
                   after.c_str(), acked.size(), static_cast<long long>(writer_->failed()),
                   present.size(), pos.c_str(), Since(t0));
    }
    writer_->Resume();
  }

  // "checksum count" of the writer's table and the filler table.
  static std::string Fingerprint(Connection& c) {
    std::string out;
    for (const char* t : {"faults.t", "faults.filler"}) {
      auto rows = c.Query(std::string("CHECKSUM TABLE ") + t);
      out += (rows.ok() && !rows->rows.empty() && rows->rows[0][1]) ? *rows->rows[0][1] : "?";
      out += "/" + QueryValue(c, std::string("SELECT COUNT(*) FROM ") + t) + " ";
    }
    return out;
  }

  // ---- faults

  // kill -9 of member `ordinal`'s `process` ("mariadbd" or "agent"); the supervisor must
  // start a new one and the cluster must come back whole.
  void KillSupervisedChild(int ordinal, const std::string& process, const std::string& label) {
    const std::string pid_key = process + "_pid";
    const pid_t old = StatePid(ordinal, pid_key.c_str());
    ASSERT_GT(old, 0) << label;
    ASSERT_EQ(kill(old, SIGKILL), 0) << label;
    ++faults_;
    const bool back = WaitFor(
        [&] {
          const pid_t now = StatePid(ordinal, pid_key.c_str());
          return now > 0 && now != old;
        },
        120);
    Check(back, label + ": " + process + " restarted by the supervisor");
    CheckCluster(label, members_);
  }

  // `mysqlset clone` for mysql-N (ordinal > 0) into its member dir, from the primary's
  // backup port, in the background.
  pid_t CloneAsync(int ordinal, const std::vector<std::string>& extra, const std::string& log) {
    const std::string pod = "mysql-" + std::to_string(ordinal);
    std::vector<std::string> argv = {
        MysqlsetBinary(), "clone",
        "--pod-name",     pod,
        "--conf-dir",     MemberDir(ordinal) + "/conf",
        "--data-dir",     MemberDir(ordinal) + "/data",
        "--secrets-dir",  dir_ + "/secrets",
        "--donor",        "127.0.0.1:" + std::to_string(BackupPort(0))};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    auto child = Subprocess::Spawn(argv, {-1, fd, -1});
    close(fd);
    if (!child.ok()) return -1;
    started_.push_back(child->pid());
    return child->pid();
  }
  static int WaitExit(pid_t pid, double secs, bool* exited = nullptr) {
    int status = 0;
    const auto deadline = steady_clock::now() + milliseconds(static_cast<int64_t>(secs * 1000));
    // Polls at least once: with secs == 0 a process that already finished is reported as
    // exited, not counted as killed.
    while (true) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        if (exited) *exited = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(milliseconds(5));
    }
    if (exited) *exited = false;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }

  // The data dir after an interrupted clone: never marked complete. A kill between the
  // install's rename and its marker leaves the datadir beside the pending marker: the next
  // run must finish that install (no re-clone, nothing set aside); then start over.
  void CheckInterruptedDataDir(const std::string& data, const std::string& label,
                               const std::string& log) {
    Check(!fs::exists(data + "/.mysqlset-complete"), label + ": no completion marker");
    if (!fs::exists(data + "/mysql")) return;
    Check(fs::exists(data + "/.mysqlset-complete.pending"),
          label + ": a datadir without marker has the pending marker beside it");
    const int rc = WaitExit(CloneAsync(3, {"--max-attempts", "1"}, log), 120);
    Check(rc == 0 && fs::exists(data + "/.mysqlset-complete") &&
              !fs::exists(data + "/.mysqlset-complete.pending"),
          label + ": the next run finishes the cut install: " + Tail(ReadAll(log), 800));
    for (const auto& e : fs::directory_iterator(data)) {
      Check(!e.path().filename().string().starts_with("mysql.discarded"),
            label + ": a finished datadir was set aside");
    }
    fs::remove_all(data + "/mysql");
    fs::remove(data + "/.mysqlset-complete");
  }

  // Member `ordinal`'s data dir after mysqlset init, for the clone faults.
  void InitMember(int ordinal) {
    const std::string pod = "mysql-" + std::to_string(ordinal);
    ASSERT_EQ(Cli({"init", "--pod-name", pod, "--conf-dir", MemberDir(ordinal) + "/conf",
                   "--config-map-dir", dir_ + "/config", "--data-dir", MemberDir(ordinal) + "/data",
                   "--port", std::to_string(MemberPort(ordinal)), "--bind-address", "127.0.0.1",
                   "--report-host", "127.0.0.1"}),
              0);
  }

  // Waits until the primary's agent serves no backup (a receiver killed mid-stream frees
  // the donor's single backup slot only once the donor notices); logs slow releases.
  void WaitDonorIdle(const std::string& after) {
    const pid_t agent = StatePid(0, "agent_pid");
    const auto t0 = steady_clock::now();
    const bool idle = WaitFor([&] { return ChildrenOf(agent, "mariabackup").empty(); }, 60);
    Check(idle, after + ": the donor's mariabackup ends within 60 s");
    if (Since(t0) > 5) {
      std::fprintf(stderr, "[faults] %s: the donor took %.1fs to stop its backup\n", after.c_str(),
                   Since(t0));
    }
  }

  std::vector<ProcInfo> ChildrenOf(pid_t parent, const std::string& comm) {
    std::vector<ProcInfo> out;
    for (auto& p : Processes()) {
      if (p.ppid == parent && p.comm == comm) out.push_back(p);
    }
    return out;
  }

  // ---- fault families, in the order the suite runs them (one TEST_F each, below)

  // kill -9 of the primary's mariadbd.
  void KillPrimaryMariadbd() {
    for (int i = 0; i < mode_.primary_kills; ++i) {
      KillSupervisedChild(0, "mariadbd", "primary mariadbd kill -9 #" + std::to_string(i + 1));
      ++fault_counts_["kill -9 primary mariadbd"];
    }
  }

  // kill -9 of a replica's mariadbd, mysql-1 and mysql-2 in turn.
  void KillReplicaMariadbd() {
    int replica = 1;
    for (int i = 0; i < mode_.replica_kills; ++i) {
      KillSupervisedChild(replica, "mariadbd",
                          "replica mysql-" + std::to_string(replica) + " mariadbd kill -9");
      ++fault_counts_["kill -9 replica mariadbd"];
      replica = replica == 1 ? 2 : 1;
    }
  }

  // kill -9 of agents: a replica's, then the primary's (which also makes it writable).
  void KillAgent() {
    for (int i = 0; i < mode_.agent_kills; ++i) {
      const int ordinal = i % 2 == 0 ? 2 : 0;
      KillSupervisedChild(ordinal, "agent",
                          "agent of mysql-" + std::to_string(ordinal) + " kill -9");
      ++fault_counts_["kill -9 agent"];
    }
  }

  // A full disk during a clone of mysql-3 (not yet a member): a small tmpfs as its data dir.
  //  (a) too small from the start: refused before streaming, with a clear error;
  //  (b) room at first, then the disk fills mid-stream: the clone fails cleanly, says why;
  //  then the space is freed (CloneAfterTheFaultsJoins shows a clone then succeeds).
  void FullDiskDuringClone() {
    const std::string data3 = MemberDir(3) + "/data";
    const std::string clone_log = tmp_.path() + "/clone-mysql-3.log";
    fs::create_directories(data3);
    if (geteuid() != 0) {
      std::fprintf(stderr, "[faults] full disk: SKIPPED (needs root for a tmpfs mount)\n");
      GTEST_SKIP() << "the full-disk fault needs root for a tmpfs mount";
    }
    ASSERT_EQ(mount("tmpfs", data3.c_str(), "tmpfs", 0, "size=6m,mode=0755"), 0) << strerror(errno);
    mount_ = data3;
    InitMember(3);
    member3_ready_ = true;
    auto clean_failure = [&](const std::string& label, int rc, const std::string& text,
                             const std::string& says) {
      Check(rc != 0 && rc != -1, label + ": clone fails (exit " + std::to_string(rc) + ")");
      Check(text.find(says + data3) != std::string::npos,
            label + ": the error says '" + says + data3 + "': " + Tail(text, 1500));
      Check(!fs::exists(data3 + "/.mysqlset-complete"), label + ": no completion marker");
      Check(!fs::exists(data3 + "/mysql.staging"), label + ": staging removed");
      Check(!fs::exists(data3 + "/mysql"), label + ": no datadir installed");
      const std::string last = text.substr(0, text.find_last_not_of('\n') + 1);
      std::fprintf(stderr, "[faults] %s: exit %d: %s\n", label.c_str(), rc,
                   last.substr(last.rfind('\n') + 1).c_str());
    };
    fs::remove(clone_log);
    int rc = WaitExit(CloneAsync(3, {"--max-attempts", "1"}, clone_log), 120);
    ++faults_;
    ++fault_counts_["full disk during clone"];
    std::string text = ReadAll(clone_log);
    clean_failure("disk too small", rc, text, "not enough space in ");
    double estimate_mib = 64;
    if (size_t at = text.find(" is about "); at != std::string::npos) {
      estimate_mib = std::stod(text.substr(at + 10));
    }
    // Room for the check (the backup plus the default 96 MiB redo log) and then some.
    const int size_mib = static_cast<int>(estimate_mib) * 2 + 64 + 96;
    ASSERT_EQ(mount("tmpfs", data3.c_str(), "tmpfs", MS_REMOUNT,
                    ("size=" + std::to_string(size_mib) + "m,mode=0755").c_str()),
              0)
        << strerror(errno);
    // Stop the receiver once data flows, fill the disk, let it go on.
    WaitDonorIdle("disk too small");
    fs::remove(clone_log);
    const pid_t pid = CloneAsync(3, {"--max-attempts", "1"}, clone_log);
    const bool flowing =
        WaitFor([&] { return TreeBytes(data3 + "/mysql.staging") > (1u << 20); }, 60);
    Check(flowing, "disk fills mid-stream: the stream started");
    kill(pid, SIGSTOP);
    const std::string filler = data3 + "/fill";
    {
      const int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      std::string chunk(1 << 20, 'f');
      for (int i = 0; i < size_mib + 8; ++i) {
        if (write(fd, chunk.data(), chunk.size()) < 0) break;
      }
      close(fd);
    }
    kill(pid, SIGCONT);
    rc = WaitExit(pid, 120);
    ++faults_;
    ++fault_counts_["full disk during clone"];
    text = ReadAll(clone_log);
    clean_failure("disk fills mid-stream", rc, text, "no space left on device in ");
    // Space freed and the volume enlarged: the clone must succeed (below).
    fs::remove(filler);
    ASSERT_EQ(mount("tmpfs", data3.c_str(), "tmpfs", MS_REMOUNT, "size=2g,mode=0755"), 0)
        << strerror(errno);
    WaitDonorIdle("disk fills mid-stream");
  }

  // kill -9 of the clone receiver at random moments: random byte offsets of the stream,
  // and (the last one) during prepare/install.
  void KillCloneReceiver() {
    const std::string data3 = MemberDir(3) + "/data";
    const std::string clone_log = tmp_.path() + "/clone-mysql-3.log";
    EnsureMember3();
    double expected_secs = 3.0;         // adapted to the clone's real duration
    uint64_t stream_bytes = 40u << 20;  // adapted to a complete clone's size
    int kills = 0;
    std::vector<std::string> points;
    for (int attempt = 0; kills < mode_.clone_kills && attempt < mode_.clone_kills * 3; ++attempt) {
      std::uniform_real_distribution<double> when(0.0, expected_secs);
      const double delay = when(rng_);
      WaitDonorIdle("clone kill #" + std::to_string(kills));
      fs::remove(clone_log);
      const auto t0 = steady_clock::now();
      const pid_t pid = CloneAsync(3, {"--max-attempts", "1"}, clone_log);
      ASSERT_GT(pid, 0);
      bool exited = false;
      int rc = 0;
      if (kills == mode_.clone_kills - 1) {
        // The last one lands in prepare for sure: mariabackup --prepare runs under the receiver.
        const auto file_t0 = fs::file_time_type::clock::now();
        const std::string progress_path = data3 + "/.mysqlset-clone-progress.json";
        for (int i = 0; i < 12000 && !exited; ++i) {
          std::error_code ec;
          if (fs::exists(progress_path) && fs::last_write_time(progress_path, ec) >= file_t0 &&
              ReadAll(progress_path).find("\"prepare\"") != std::string::npos) {
            break;
          }
          int status = 0;
          if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
          }
          std::this_thread::sleep_for(milliseconds(5));
        }
        if (!exited) {
          std::this_thread::sleep_for(
              milliseconds(std::uniform_int_distribution<int>(0, 300)(rng_)));
          rc = WaitExit(pid, 0, &exited);
        }
      } else if (kills % 2 == 0) {
        // Cut at a random byte offset of the stream: staging (reset by this run, which then
        // writes a fresh progress file) holds at least `target` bytes.
        const uint64_t target = std::uniform_int_distribution<uint64_t>(1, stream_bytes)(rng_);
        const auto file_t0 = fs::file_time_type::clock::now();
        const std::string progress_path = data3 + "/.mysqlset-clone-progress.json";
        for (int i = 0; i < 12000 && !exited; ++i) {
          std::error_code ec;
          if (fs::exists(progress_path) && fs::last_write_time(progress_path, ec) >= file_t0 &&
              TreeBytes(data3 + "/mysql.staging") >= target) {
            break;
          }
          int status = 0;
          if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
          }
          std::this_thread::sleep_for(milliseconds(2));
        }
        if (!exited) rc = WaitExit(pid, 0, &exited);
      } else {
        rc = WaitExit(pid, delay, &exited);
      }
      if (exited) {
        // Finished (or failed) before the kill: learn the duration, start over from nothing.
        if (rc == 0) {
          expected_secs = std::max(0.5, Since(t0) * 0.95);
          const auto info = json::parse(ReadAll(data3 + "/.mysqlset-clone.json"), nullptr, false);
          if (info.is_object() && info.value("bytes", uint64_t{0}) > 0)
            stream_bytes = info["bytes"];
          Check(fs::exists(data3 + "/.mysqlset-complete"), "clone exit 0 leaves a marker");
        } else if (ReadAll(clone_log).find("donor is busy") != std::string::npos) {
          // The donor had not yet released the slot of the previous, killed receiver (a real
          // receiver retries; this one runs with --max-attempts 1): try again.
          std::this_thread::sleep_for(milliseconds(300));
        } else {
          Check(false, "an uninterrupted clone failed: " + Tail(ReadAll(clone_log), 1500));
        }
        fs::remove_all(data3 + "/mysql");
        fs::remove(data3 + "/.mysqlset-complete");
        continue;
      }
      // WaitExit killed it with SIGKILL at `delay`. A kill that lands after the install's
      // marker, while the receiver is exiting, cut nothing: the marker must then stand over a
      // whole install (what users rely on), and the round starts over like a finished clone.
      if (fs::exists(data3 + "/.mysqlset-complete")) {
        Check(fs::exists(data3 + "/mysql") && fs::exists(data3 + "/.mysqlset-clone.json") &&
                  !fs::exists(data3 + "/.mysqlset-complete.pending") &&
                  !fs::exists(data3 + "/mysql.staging"),
              "a clone killed after its marker left a whole install under it");
        fs::remove_all(data3 + "/mysql");
        fs::remove(data3 + "/.mysqlset-complete");
        continue;
      }
      ++kills;
      ++faults_;
      ++fault_counts_["kill -9 clone receiver"];
      // Where it was cut: the staging dir's size and the phase, from files this run wrote
      // (an earlier killed run leaves its own behind).
      const std::string progress_path = data3 + "/.mysqlset-clone-progress.json";
      std::error_code ec;
      const auto started =
          fs::file_time_type::clock::now() -
          std::chrono::duration_cast<fs::file_time_type::duration>(steady_clock::now() - t0);
      const bool fresh =
          fs::exists(progress_path) && fs::last_write_time(progress_path, ec) >= started;
      const auto progress = json::parse(fresh ? ReadAll(progress_path) : "", nullptr, false);
      const std::string phase = progress.is_object() ? progress.value("phase", "?") : "connect";
      const uint64_t bytes = fresh ? TreeBytes(data3 + "/mysql.staging") : 0;
      points.push_back(fmt_point(Since(t0), bytes, phase));
      CheckInterruptedDataDir(data3, "clone kill #" + std::to_string(kills), clone_log);
      // Nothing the dead receiver started (mbstream, mariabackup --prepare) may live on and
      // keep writing into a staging dir the next attempt reuses.
      std::string orphans;
      const bool none = WaitFor(
          [&] {
            orphans.clear();
            for (const auto& p : Processes()) {
              if (p.comm != "mariadbd" && p.cmdline.find(data3) != std::string::npos) {
                orphans += " " + std::to_string(p.pid) + ":" + p.comm;
              }
            }
            return orphans.empty();
          },
          1.0);
      Check(none, "clone kill #" + std::to_string(kills) + " at " + points.back() +
                      ": no orphaned helper:" + orphans);
      if (!none) {
        for (const auto& p : Processes()) {
          if (p.comm != "mariadbd" && p.cmdline.find(data3) != std::string::npos)
            kill(p.pid, SIGKILL);
        }
      }
    }
    std::string joined;
    for (const auto& p : points) joined += " " + p;
    std::fprintf(stderr, "[faults] clone receiver killed %d times at (seconds/bytes/phase):%s\n",
                 kills, joined.c_str());
    Check(kills >= mode_.clone_kills, "clone receiver killed " + std::to_string(kills) + " times");
  }

  // kill -9 of the donor's mariabackup mid-stream: the receiver fails cleanly, the donor agent
  // lives on and serves the next clone.
  void KillDonorMariabackup() {
    const std::string data3 = MemberDir(3) + "/data";
    const std::string clone_log = tmp_.path() + "/clone-mysql-3.log";
    EnsureMember3();
    const pid_t donor_agent = StatePid(0, "agent_pid");
    for (int i = 0; i < mode_.donor_kills; ++i) {
      bool killed = false;
      for (int attempt = 0; attempt < 5 && !killed; ++attempt) {
        WaitDonorIdle("donor kill");
        const pid_t pid = CloneAsync(3, {"--max-attempts", "1"}, clone_log);
        pid_t victim = 0;
        WaitFor(
            [&] {
              auto kids = ChildrenOf(donor_agent, "mariabackup");
              if (!kids.empty()) victim = kids[0].pid;
              return victim > 0 || !Alive(pid);  // Alive() does not reap: WaitExit gets the status
            },
            30);
        if (victim > 0) {
          std::this_thread::sleep_for(
              milliseconds(std::uniform_int_distribution<int>(0, 400)(rng_)));
          killed = kill(victim, SIGKILL) == 0;
        }
        const int rc = WaitExit(pid, 120);
        if (killed) {
          ++faults_;
          ++fault_counts_["kill -9 donor mariabackup"];
          Check(rc != 0,
                "donor mariabackup killed: the receiver fails (exit " + std::to_string(rc) + ")");
          CheckInterruptedDataDir(data3, "donor kill", clone_log);
          Check(Alive(donor_agent), "donor mariabackup killed: the donor's agent lives on");
        } else if (rc == 0) {
          fs::remove_all(data3 + "/mysql");
          fs::remove(data3 + "/.mysqlset-complete");
        }
      }
      Check(killed, "found and killed the donor's mariabackup");
    }
    Check(WaitFor([&] { return ChildrenOf(donor_agent, "mariabackup").empty(); }, 30),
          "no mariabackup left on the donor");
  }

  // After the clone faults, a clone runs to the end, and mysql-3 joins from it (no re-clone)
  // and catches up.
  void CloneAfterTheFaultsJoins() {
    const std::string data3 = MemberDir(3) + "/data";
    const std::string clone_log = tmp_.path() + "/clone-mysql-3.log";
    EnsureMember3();
    std::string out;
    WaitDonorIdle("donor kills");
    const pid_t pid = CloneAsync(3, {}, clone_log);
    const int rc = WaitExit(pid, 300);
    Check(rc == 0, "final clone of mysql-3 succeeds: " + Tail(ReadAll(clone_log), 1500));
    Check(fs::exists(data3 + "/.mysqlset-complete"), "final clone: marker written");
    Check(!fs::exists(data3 + "/mysql.staging"), "final clone: no staging left");
    // mysql-3 joins from the clone just made (no re-clone) and catches up.
    const std::string marker3 = ReadAll(data3 + "/.mysqlset-complete");
    ASSERT_EQ(Cli({"scale", "4", "--dir", dir_, "--timeout", "240"}, &out), 0) << out;
    members_ = 4;
    Check(ReadAll(data3 + "/.mysqlset-complete") == marker3,
          "mysql-3 started on its clone, not a new one");
    CheckCluster("scale to 4 from the killed-and-redone clone", 4);
  }

  // kill -9 of the supervisor: its children stop (PDEATHSIG), nothing keeps the ports,
  // and `mysqlset up` restarts everything with all data.
  void KillSupervisor() {
    std::string out;
    for (int i = 0; i < mode_.supervisor_kills; ++i) {
      const std::string label = "supervisor kill -9 #" + std::to_string(i + 1);
      pid_t sup = 0;
      std::ifstream(dir_ + "/supervisor.pid") >> sup;
      ASSERT_GT(sup, 0);
      std::vector<pid_t> kids;
      for (const auto& p : Processes()) {
        if (p.ppid == sup) kids.push_back(p.pid);
      }
      ASSERT_FALSE(kids.empty());
      ASSERT_EQ(kill(sup, SIGKILL), 0);
      ++faults_;
      ++fault_counts_["kill -9 supervisor"];
      const auto t0 = steady_clock::now();
      // Right away, as a user would: up must cope with the old children still shutting down.
      const int rc = Cli({"up", "--dir", dir_, "--timeout", "300"}, &out);
      Check(rc == 0, label + ": up again: " + out);
      for (pid_t k : kids) {
        Check(!Alive(k) || ReadAll("/proc/" + std::to_string(k) + "/cmdline").find(dir_) ==
                               std::string::npos,
              label + ": old child " + std::to_string(k) + " is gone");
      }
      std::fprintf(stderr, "[faults] %s: up again in %.1fs\n", label.c_str(), Since(t0));
      CheckCluster(label, members_);
    }
  }

  // mysql-3's data dir after mysqlset init, once (the full-disk fault does it on its tmpfs).
  void EnsureMember3() {
    if (member3_ready_) return;
    fs::create_directories(MemberDir(3) + "/data");
    InitMember(3);
    member3_ready_ = true;
  }

  Mode mode_;
  std::mt19937 rng_;
  TempDir tmp_;
  std::string dir_;
  std::string log_;
  std::string admin_password_;
  std::string mount_;
  uint16_t base_ = 0;
  int members_ = 3;
  std::unique_ptr<AckWriter> writer_;
  std::unique_ptr<MarkerSampler> sampler_;
  std::vector<pid_t> started_;
  int faults_ = 0;
  int checks_passed_ = 0;
  int checks_failed_ = 0;
  int64_t lost_ = 0;
  std::map<std::string, int> fault_counts_;
  steady_clock::time_point t_start_;
  bool up_ = false;
  bool member3_ready_ = false;
};

// One test per fault family, on one cluster for the whole suite (FaultCluster), so that one
// family runs alone with a filter (--gtest_filter='Faults.KillPrimary*'). gtest runs them in
// the order written here: the order of the single test they were cut from, except that the
// primary's and the replicas' mariadbd kills, interleaved there, are two families now. Each
// fault ends with a ledger check (CheckCluster: all ready, no acknowledged id lost, replicas
// identical), so a family's failure shows in its own test. The final checks (the ledger once
// more, the marker sampler, the summary with the fault count) run in TearDownTestSuite, so
// after all faults and also after a filtered run; a failure there fails the run (gtest lists
// it as "Faults: SetUpTestSuite or TearDownTestSuite"). A family that leaves the cluster
// broken fails the ones after it too: they share the cluster, as the single test did.
class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new FaultCluster;
    cluster_->Start();
  }
  static void TearDownTestSuite() {
    cluster_->Finish();
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(cluster_->up()) << "the cluster did not come up"; }
  void TearDown() override {
    if (HasFailure()) cluster_->PrintLogTails();
  }
  FaultCluster& cluster() { return *cluster_; }

 private:
  static inline FaultCluster* cluster_ = nullptr;
};

TEST_F(Faults, KillPrimaryMariadbd) { cluster().KillPrimaryMariadbd(); }
TEST_F(Faults, KillReplicaMariadbd) { cluster().KillReplicaMariadbd(); }
TEST_F(Faults, KillAgent) { cluster().KillAgent(); }
TEST_F(Faults, FullDiskDuringClone) { cluster().FullDiskDuringClone(); }
TEST_F(Faults, KillCloneReceiver) { cluster().KillCloneReceiver(); }
TEST_F(Faults, KillDonorMariabackup) { cluster().KillDonorMariabackup(); }
TEST_F(Faults, CloneAfterTheFaultsJoins) { cluster().CloneAfterTheFaultsJoins(); }
TEST_F(Faults, KillSupervisor) { cluster().KillSupervisor(); }

}  // namespace
}  // namespace mysqlset::testing
