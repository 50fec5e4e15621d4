#include "tests/integration/ha_probes.h"

#include <fmt/format.h>

namespace mysqlset::testing {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

AckWriter::AckWriter(std::string table, std::function<std::unique_ptr<Connection>()> connect)
    : table_(std::move(table)), connect_(std::move(connect)) {}

AckWriter::~AckWriter() { Stop(); }

void AckWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AckWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool AckWriter::Pause() {
  pause_ = true;
  for (int i = 0; i < 300 && !paused_; ++i) std::this_thread::sleep_for(milliseconds(50));
  return paused_;
}

void AckWriter::Resume() { pause_ = false; }

std::vector<int64_t> AckWriter::Acked() {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

std::vector<int64_t> AckWriter::Unknown() {
  std::lock_guard<std::mutex> lock(mu_);
  return unknown_;
}

size_t AckWriter::acked_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_.size();
}

bool AckWriter::WaitForProgress(double seconds) {
  const size_t before = acked_count();
  const auto until = steady_clock::now() + milliseconds(static_cast<int64_t>(seconds * 1000));
  while (steady_clock::now() < until) {
    if (acked_count() > before) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return acked_count() > before;
}

void AckWriter::Run() {
  std::unique_ptr<Connection> c;
  int64_t id = 1;
  while (!stop_) {
    if (pause_) {
      paused_ = true;
      std::this_thread::sleep_for(milliseconds(10));
      continue;
    }
    paused_ = false;
    if (!c) {
      c = connect_();
      if (!c) {
        std::this_thread::sleep_for(milliseconds(100));
        continue;
      }
    }
    const int64_t this_id = id++;
    ++attempted_;
    const Status s = c->Execute(
        fmt::format("INSERT INTO {} (id, v) VALUES ({}, 'w{}')", table_, this_id, this_id));
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      acked_.push_back(this_id);
    } else {
      // A lost connection (kUnavailable) leaves the outcome unknown: the commit may have
      // happened. Any other error is the server's definite "no" (read-only, duplicate...).
      if (s.code() == StatusCode::kUnavailable) {
        std::lock_guard<std::mutex> lock(mu_);
        unknown_.push_back(this_id);
      } else {
        ++failed_;
      }
      c.reset();
      std::this_thread::sleep_for(milliseconds(50));
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  paused_ = true;
}

WritableSampler::WritableSampler(std::vector<SampledMember> members, std::string user,
                                 std::string password, ProbeWriter probe)
    : members_(std::move(members)),
      user_(std::move(user)),
      password_(std::move(password)),
      probe_(std::move(probe)) {}

WritableSampler::~WritableSampler() { Stop(); }

void WritableSampler::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WritableSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> WritableSampler::violations() {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

std::vector<std::string> WritableSampler::overlaps() {
  std::lock_guard<std::mutex> lock(mu_);
  return overlaps_;
}

bool WritableSampler::ProbeAcks(const SampledMember& m) {
  ConnectOptions o;
  o.port = m.port;
  o.user = probe_.user;
  o.password = probe_.password;
  o.connect_timeout_s = 1;
  o.read_timeout_s = 2;  // a commit waiting for an ack that cannot come: no acknowledgement
  o.write_timeout_s = 1;
  auto c = Connection::Open(o);
  if (!c.ok()) return false;
  return (*c)
      ->Execute(fmt::format("INSERT INTO {} (member) VALUES ('{}')", probe_.table, m.name))
      .ok();
}

void WritableSampler::Run() {
  std::vector<std::unique_ptr<Connection>> conns(members_.size());
  const auto start = steady_clock::now();
  while (!stop_) {
    const auto round_start = steady_clock::now();
    std::vector<SampledMember> writable;
    std::vector<bool> semi_sync;  // each writable member's master side
    for (size_t i = 0; i < members_.size(); ++i) {
      if (!conns[i]) {
        ConnectOptions o;
        o.port = members_[i].port;
        o.user = user_;
        o.password = password_;
        o.connect_timeout_s = 1;
        o.read_timeout_s = 1;
        o.write_timeout_s = 1;
        auto c = Connection::Open(o);
        if (!c.ok()) continue;  // down: cannot acknowledge anything either
        conns[i] = std::move(*c);
      }
      auto rows = conns[i]->Query(
          "SELECT @@global.read_only AS ro, @@global.rpl_semi_sync_master_enabled AS semi");
      if (!rows.ok() || rows->rows.empty()) {
        conns[i].reset();
        continue;
      }
      if (rows->Get(0, "ro") == std::optional<std::string>("0")) {
        writable.push_back(members_[i]);
        semi_sync.push_back(rows->Get(0, "semi") == std::optional<std::string>("1"));
      }
    }
    ++rounds_;
    if (writable.size() == 1) ++one_writable_;
    if (writable.empty()) ++none_writable_;
    if (writable.size() > 1) {
      const double at = std::chrono::duration<double>(steady_clock::now() - start).count();
      // At once, each on a connection of its own: the members were writable together now.
      std::vector<std::thread> probes;
      std::vector<char> acked(writable.size(), 0);
      for (size_t i = 0; i < writable.size(); ++i) {
        // With its master side off a writable member acknowledges whatever it commits: no
        // probe can excuse it. With it on, only an ack from a replica can.
        if (!semi_sync[i]) {
          acked[i] = 1;
          continue;
        }
        probes.emplace_back([&, i] { acked[i] = ProbeAcks(writable[i]) ? 1 : 0; });
      }
      for (auto& t : probes) t.join();
      std::string names, acking;
      int acks = 0;
      for (size_t i = 0; i < writable.size(); ++i) {
        names += " " + writable[i].name;
        if (acked[i]) acking += " " + writable[i].name;
        acks += acked[i];
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (acks > 1) {
        violations_.push_back(fmt::format("at {:.2f}s:{} acknowledged", at, acking));
      } else {
        overlaps_.push_back(fmt::format("at {:.2f}s:{} writable; acknowledged:{}", at, names,
                                        acking.empty() ? " none" : acking));
      }
    }
    const auto next = round_start + milliseconds(50);
    if (steady_clock::now() < next) std::this_thread::sleep_until(next);
  }
}

}  // namespace mysqlset::testing
