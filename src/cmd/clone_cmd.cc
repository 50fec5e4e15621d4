#include <unistd.h>

#include <memory>

#include "agent/clone_step.h"
#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct CloneFlags {
  CloneStepOptions step;
  int retry_delay_ms = 1000;
};

void AddCloneFlags(CLI::App& app, CloneFlags& r) {
  app.add_option("--donor", r.step.donors,
                 "Replica: clone from this backup port (HOST:PORT) instead of choosing a ready "
                 "peer from their /v1/status; repeat to give fallbacks, tried in turn");
  app.add_option("--max-attempts", r.step.max_attempts, "Replica: clone attempts before giving up")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--retry-delay-ms", r.retry_delay_ms,
                 "Replica: first delay between attempts; doubles each retry, up to 30 s")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--use-memory", r.step.use_memory,
                 "Replica: buffer pool for mariabackup --prepare (e.g. 256M, 1G)")
      ->capture_default_str();
  app.add_option("--peers-to-ask", r.step.peers_to_ask,
                 "Primary with no data: ask ordinals 1..N whether they hold data; if one does, "
                 "refuse to bootstrap an empty primary over it")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  MakeAbsolute(
      app.add_option("--peer-data-dir", r.step.peer_data_dirs,
                     "Primary with no data: another member's data volume on this machine (local "
                     "mode); a complete datadir there also forbids bootstrapping; repeatable"));
}

}  // namespace

Action AddCloneCommand(CLI::App& app) {
  auto f = std::make_shared<MemberFlags>();
  AddPodNameFlag(app, *f);
  AddDirFlags(app, *f, /*secrets=*/true);
  AddPeerFlags(app, *f);
  auto r = std::make_shared<CloneFlags>();
  AddCloneFlags(app, *r);
  return [f, r]() {
    SetUpLogging("clone", f->log_level);
    auto id = ParseIdentity(ResolvePodName(*f), f->server_id_offset);
    if (!id.ok()) return ReportError("clone", id.status());
    PosixFileSystem fs;
    PosixProcessRunner runner;
    RealClock clock;
    auto secrets = LoadSecrets(fs, f->secrets_dir);
    if (!secrets.ok()) return ReportError("clone", secrets.status());
    CloneStepOptions s = r->step;
    s.data_dir = Absolute(f->data_dir);
    s.conf_dir = f->conf_dir;
    s.self = *id;
    s.layout = f->layout;
    s.run_as_root = geteuid() == 0;
    s.retry_delay = std::chrono::milliseconds(r->retry_delay_ms);
    HttpPeerStatusReader peers;
    NetBackupDialer dialer;
    PosixPipedProcessStarter pipes;
    StatvfsDiskSpace disk;
    CloneEnv env{fs, clock, peers, dialer, pipes, runner, disk};
    Status st = RunCloneStep(env, s, *secrets);
    return st.ok() ? 0 : ReportError("clone", st);
  };
}

}  // namespace mysqlset::cmd
