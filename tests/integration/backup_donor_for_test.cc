// backup_donor_for_test: hosts the donor side of cloning (BackupService) without the agent,
// so integration tests can exercise it against a real mariadbd. Test-only.
//
//   backup_donor_for_test --datadir D --mysql-port P --secrets-dir S [--port N] [--pod-name X]
//                         [--throttle-kib-per-s K] [--max-concurrent C]
// Prints "LISTENING <port>" on stdout once bound; serves until SIGTERM/SIGINT; prints the
// final stats as one JSON line on stdout.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "CLI/CLI.hpp"
#include "agent/backup_service.h"
#include "agent/backup_source.h"
#include "agent/secrets.h"
#include "common/logging.h"
#include "net/backup_server.h"
#include "posix/posix_env.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// Slows a producer down so tests can act mid-stream deterministically.
class ThrottledProducer : public mysqlset::net::BackupProducer {
 public:
  ThrottledProducer(mysqlset::net::BackupProducer* inner, double bytes_per_s)
      : inner_(inner), rate_(bytes_per_s) {}
  uint64_t EstimateBytes() override { return inner_->EstimateBytes(); }
  mysqlset::Status Produce(const std::function<bool(std::string_view)>& send,
                           const std::function<bool()>& client_gone) override {
    const auto start = std::chrono::steady_clock::now();
    uint64_t sent = 0;
    return inner_->Produce(
        [&](std::string_view d) {
          sent += d.size();
          const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(sent / rate_));
          std::this_thread::sleep_until(due);
          return send(d);
        },
        client_gone);
  }

 private:
  mysqlset::net::BackupProducer* inner_;
  double rate_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"test-only backup donor"};
  mysqlset::BackupServiceOptions o;
  o.bind_address = "127.0.0.1";
  o.port = 0;
  o.pod_name = "mysql-0";
  std::string secrets_dir;
  double throttle_kib = 0;
  app.add_option("--datadir", o.datadir)->required();
  app.add_option("--mysql-port", o.mysql_port)->required();
  app.add_option("--secrets-dir", secrets_dir)->required();
  app.add_option("--port", o.port);
  app.add_option("--pod-name", o.pod_name);
  app.add_option("--max-concurrent", o.max_concurrent);
  app.add_option("--throttle-kib-per-s", throttle_kib);
  CLI11_PARSE(app, argc, argv);
  mysqlset::SetUpLogging("donor", "info");
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);

  mysqlset::PosixFileSystem fs;
  auto secrets = mysqlset::LoadSecrets(fs, secrets_dir);
  if (!secrets.ok()) {
    std::fprintf(stderr, "%s\n", secrets.status().message().c_str());
    return 1;
  }
  std::function<mysqlset::BackupStats()> stats;
  std::unique_ptr<mysqlset::BackupService> service;
  std::unique_ptr<mysqlset::BackupSource> source;
  std::unique_ptr<ThrottledProducer> throttled;
  std::unique_ptr<mysqlset::net::BackupServer> server;
  uint16_t port = 0;
  if (throttle_kib <= 0) {
    service = std::make_unique<mysqlset::BackupService>(o, *secrets);
    auto st = service->Start();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    port = service->port();
    stats = [&] { return service->Stats(); };
  } else {
    mysqlset::BackupSourceOptions so;
    so.datadir = o.datadir;
    so.mysql_port = o.mysql_port;
    so.backup_password = secrets->backup_password;
    so.secret_values = mysqlset::SecretValues(*secrets);
    source = std::make_unique<mysqlset::BackupSource>(so);
    throttled = std::make_unique<ThrottledProducer>(source.get(), throttle_kib * 1024);
    mysqlset::net::BackupServerOptions no;
    no.bind_address = o.bind_address;
    no.port = o.port;
    no.max_concurrent = o.max_concurrent;
    no.pod_name = o.pod_name;
    no.token = secrets->backup_token;
    server = std::make_unique<mysqlset::net::BackupServer>(no, throttled.get());
    auto st = server->Start();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
    port = server->port();
    stats = [&] { return server->Stats(); };
  }
  std::printf("LISTENING %u\n", port);
  std::fflush(stdout);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const mysqlset::BackupStats s = stats();
  if (service) service->Stop();
  if (server) server->Stop();
  std::printf(
      "{\"served_ok\":%lu,\"failed\":%lu,\"refused_auth\":%lu,\"refused_busy\":%lu,"
      "\"bad_requests\":%lu,\"bytes_sent\":%lu}\n",
      s.served_ok, s.failed, s.refused_auth, s.refused_busy, s.bad_requests, s.bytes_sent);
  return 0;
}
