#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/clone_step.h"
#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "etcd/etcd_store.h"
#include "posix/posix_env.h"
#include "posix/subprocess.h"

namespace mysqlset::cmd {
namespace {

struct CloneFlags {
  CloneStepOptions step;
  int retry_delay_ms = 1000;
  int donor_poll_ms = 200;
  std::string etcd;                    // "" : no store; the ordinal alone decides who bootstraps
  uint32_t members = 1;                // accepted as the agent's; the clone does not need it
  std::vector<std::string> then_exec;  // after `--`: the program this process becomes
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
  app.add_option("--donor-poll-ms", r.donor_poll_ms,
                 "Replica: while no peer is a ready donor, ask again this often during that "
                 "delay, and start as soon as one is; 0: wait the whole delay")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  MakeAbsolute(app.add_option(
      "--template-cache", r.step.template_cache_dir,
      "Bootstrap: copy the system tables from a verified template datadir cached in this dir "
      "(made from mariadb-install-db's output the first time) instead of running "
      "mariadb-install-db; unset: always run it"));
  app.add_option("--use-memory", r.step.use_memory,
                 "Replica: buffer pool for mariabackup --prepare (e.g. 256M, 1G)")
      ->capture_default_str();
  app.add_option("--peers-to-ask", r.step.peers_to_ask,
                 "Ordinal 0 with no data: ask ordinals 1..N whether they hold data; if one does, "
                 "refuse to bootstrap an empty primary over it")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--etcd", r.etcd,
                 "etcd client URLs (http://HOST:PORT[,...]): the store's `initialized` key lets "
                 "only one member ever bootstrap; without it, ordinal 0 bootstraps when no peer "
                 "holds data");
  app.add_option("--cluster", r.step.cluster,
                 "Cluster name: the store's keys live under /mysqlset/NAME/. Default: the set "
                 "name (the pod name without its ordinal)");
  app.add_option("--members", r.members, "Members of the cluster (the agent's --members)")
      ->check(CLI::Range(1, 1000));
  MakeAbsolute(
      app.add_option("--peer-data-dir", r.step.peer_data_dirs,
                     "Ordinal 0 with no data: another member's data volume on this machine (local "
                     "mode); a complete datadir there also forbids bootstrapping; repeatable"));
  app.add_option("command", r.then_exec,
                 "After `--`: once the datadir is ready, become this program (on Kubernetes, "
                 "mariadbd: each container restart then runs the step again, which is how a "
                 "re-clone request is acted on without a pod deletion)");
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
    s.donor_poll = std::chrono::milliseconds(r->donor_poll_ms);
    HttpPeerStatusReader peers;
    NetBackupDialer dialer;
    PosixPipedProcessStarter pipes;
    StatvfsDiskSpace disk;
    CloneEnv env{fs, clock, peers, dialer, pipes, runner, disk};
    std::unique_ptr<CoordStore> store;
    if (!r->etcd.empty()) {
      auto opened = etcd::OpenEtcdStore(r->etcd);
      if (!opened.ok()) return ReportError("clone", opened.status().Annotate("--etcd"));
      store = std::move(*opened);
      env.store = store.get();
    }
    Status st = RunCloneStep(env, s, *secrets);
    if (!st.ok()) return ReportError("clone", st);
    if (r->then_exec.empty()) return 0;
    store.reset();  // no connection of ours may leak into the program
    const Status exec = ExecReplacingSelf(r->then_exec);  // returns only when exec failed
    return ReportError("clone", Unavailable("after the clone step: {}; check that it is "
                                            "installed and on PATH",
                                            exec.message()));
  };
}

}  // namespace mysqlset::cmd
