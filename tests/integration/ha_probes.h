#pragma once
// What the HA tests watch a cluster with (HA.md "What the tests must be able to do"):
// - AckWriter inserts unique ids through an endpoint and records each id's outcome:
//   acknowledged (OK returned), failed (a definite error), or unknown (the connection was
//   lost during the statement: it may or may not have committed);
// - WritableSampler asks every member its read_only and semi-sync master side every 50 ms.
//   When more than one member is writable in a round, each one with its master side off
//   counts as acknowledging (it needs nobody's ack), and each one with it on gets at once a
//   probe INSERT on the application account; a violation is more than one acknowledging: the
//   guarantee is that never two members can acknowledge writes (docs/roles.md "Guaranteed").
//   A member frozen whole (mariadbd with its agent) is writable for an instant after it
//   resumes, before its agent's watchdog kills mariadbd; the fence already cut it off from
//   every ack, so its probe waits and fails. Such rounds are kept apart (overlaps()).
// Both run on their own thread, bounded by Stop() (and by the test's timeout).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mariadb/connection.h"

namespace mysqlset::testing {

class AckWriter {
 public:
  // `table` has columns (id BIGINT PRIMARY KEY, v VARCHAR(32)); `connect` opens a connection
  // to the endpoint (nullptr when it cannot).
  AckWriter(std::string table, std::function<std::unique_ptr<Connection>()> connect);
  ~AckWriter();  // Stop()

  void Start();
  void Stop();
  // Blocks until the writer has no INSERT in flight (bounded, 15 s); true once paused.
  bool Pause();
  void Resume();
  // True once another insert is acknowledged within `seconds`.
  bool WaitForProgress(double seconds);

  std::vector<int64_t> Acked();
  std::vector<int64_t> Unknown();
  size_t acked_count();
  int64_t attempted() const { return attempted_; }
  int64_t failed() const { return failed_; }

 private:
  void Run();

  std::string table_;
  std::function<std::unique_ptr<Connection>()> connect_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> pause_{false};
  std::atomic<bool> paused_{false};
  std::atomic<int64_t> attempted_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex mu_;
  std::vector<int64_t> acked_;    // guarded by mu_
  std::vector<int64_t> unknown_;  // guarded by mu_
};

struct SampledMember {
  std::string name;
  uint16_t port = 0;
};

// The application account and the table (id BIGINT AUTO_INCREMENT PRIMARY KEY, member
// VARCHAR(32)) the probe writes into.
struct ProbeWriter {
  std::string user, password, table;
};

class WritableSampler {
 public:
  WritableSampler(std::vector<SampledMember> members, std::string user, std::string password,
                  ProbeWriter probe);
  ~WritableSampler();  // Stop()
  void Start();
  void Stop();
  int64_t rounds() const { return rounds_; }
  // "at 12.35s: mysql-0 mysql-2 acknowledged" for each round in which more than one member
  // acknowledged a probe write.
  std::vector<std::string> violations();
  // "at 12.35s: mysql-0 mysql-2 writable; acknowledged: mysql-2" for each round in which more
  // than one member was writable but at most one acknowledged.
  std::vector<std::string> overlaps();
  // Rounds in which exactly one member was writable, and in which none was.
  int64_t one_writable() const { return one_writable_; }
  int64_t none_writable() const { return none_writable_; }

 private:
  void Run();
  // True once `m` acknowledged an INSERT on the probe account (within 2 s).
  bool ProbeAcks(const SampledMember& m);

  std::vector<SampledMember> members_;
  std::string user_, password_;
  ProbeWriter probe_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> rounds_{0}, one_writable_{0}, none_writable_{0};
  std::mutex mu_;
  std::vector<std::string> violations_;  // guarded by mu_
  std::vector<std::string> overlaps_;    // guarded by mu_
};

}  // namespace mysqlset::testing
