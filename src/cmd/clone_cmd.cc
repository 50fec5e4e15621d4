#include <unistd.h>

#include <memory>

#include "agent/clone_receiver.h"
#include "agent/data_step.h"
#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "common/logging.h"
#include "core/disk_space.h"
#include "core/mycnf.h"
#include "core/topology.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

// innodb_log_file_size as the member's mariadbd will see it: my.cnf and the files it includes
// (written by `mysqlset init`), else MariaDB's default.
Result<uint64_t> RedoLogBytes(const FileSystem& fs, const std::string& conf_dir,
                              const MemberIdentity& id) {
  std::vector<std::string> texts;
  for (const std::string& name :
       {std::string("my.cnf"), std::string("server-id.cnf"), RoleCnfName(id)}) {
    if (auto text = fs.ReadFile(conf_dir + "/" + name); text.ok()) texts.push_back(*text);
  }
  auto size = InnodbLogFileSize(texts);
  if (!size.ok()) return size.status().Annotate(conf_dir);
  return size->value_or(kDefaultInnodbLogFileSize);
}

}  // namespace

Action AddCloneCommand(CLI::App& app) {
  auto f = std::make_shared<MemberFlags>();
  AddPodNameFlag(app, *f);
  AddDirFlags(app, *f, /*secrets=*/true);
  AddPeerFlags(app, *f);
  struct ReplicaFlags {
    std::vector<std::string> donors;
    int max_attempts = 5;
    int retry_delay_ms = 1000;
    std::string use_memory = "256M";
    uint32_t peers_to_ask = 8;
    std::vector<std::string> peer_data_dirs;
  };
  auto r = std::make_shared<ReplicaFlags>();
  app.add_option("--donor", r->donors,
                 "Replica: clone from this backup port (HOST:PORT) instead of choosing a ready "
                 "peer from their /v1/status; repeat to give fallbacks, tried in turn");
  app.add_option("--max-attempts", r->max_attempts, "Replica: clone attempts before giving up")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--retry-delay-ms", r->retry_delay_ms,
                 "Replica: first delay between attempts; doubles each retry, up to 30 s")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--use-memory", r->use_memory,
                 "Replica: buffer pool for mariabackup --prepare (e.g. 256M, 1G)")
      ->capture_default_str();
  app.add_option("--peers-to-ask", r->peers_to_ask,
                 "Primary with no data: ask ordinals 1..N whether they hold data; if one does, "
                 "refuse to bootstrap an empty primary over it")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  MakeAbsolute(
      app.add_option("--peer-data-dir", r->peer_data_dirs,
                     "Primary with no data: another member's data volume on this machine (local "
                     "mode); a complete datadir there also forbids bootstrapping; repeatable"));
  return [f, r]() {
    SetUpLogging("clone", f->log_level);
    auto id = ParseIdentity(ResolvePodName(*f), f->server_id_offset);
    if (!id.ok()) return ReportError("clone", id.status());
    PosixFileSystem fs;
    PosixProcessRunner runner;
    RealClock clock;
    auto secrets = LoadSecrets(fs, f->secrets_dir);
    if (!secrets.ok()) return ReportError("clone", secrets.status());
    if (Status st = CheckDatadirIsNotAFile(fs, f->data_dir); !st.ok()) {
      return ReportError("clone", st);
    }
    auto state = InspectDatadir(fs, clock, Absolute(f->data_dir));
    if (!state.ok()) return ReportError("clone", state.status());
    if (*state == DataState::kReady) {
      spdlog::info("{}: datadir is complete; nothing to do", id->pod_name);
      return 0;
    }
    if (IsPrimary(*id)) {
      HttpPeerStatusReader peers;
      PeerDataSources sources{f->layout, r->peers_to_ask, r->peer_data_dirs,
                              Absolute(f->data_dir)};
      Status safe = CheckNoPeerHoldsData(fs, peers, *id, sources);
      if (!safe.ok()) return ReportError("clone", safe);
      BootstrapOptions b;
      b.data_dir = f->data_dir;
      b.run_as_root = geteuid() == 0;
      spdlog::info("{}: no data; bootstrapping a fresh datadir", id->pod_name);
      Status st = BootstrapFreshDatadir(fs, runner, clock, b, *secrets);
      if (!st.ok()) return ReportError("clone", st.Annotate("bootstrap " + id->pod_name));
      spdlog::info("{}: fresh datadir ready", id->pod_name);
      return 0;
    }
    CloneReceiverOptions o;
    o.data_dir = Absolute(f->data_dir);
    o.self = *id;
    o.layout = f->layout;
    o.max_attempts = r->max_attempts;
    o.backoff.initial = std::chrono::milliseconds(r->retry_delay_ms);
    o.use_memory = r->use_memory;
    auto redo = RedoLogBytes(fs, f->conf_dir, *id);
    if (!redo.ok()) return ReportError("clone", redo.status());
    o.redo_log_bytes = *redo;
    for (const auto& d : r->donors) {
      auto e = ParseDonorEndpoint(d);
      if (!e.ok()) return ReportError("clone", e.status());
      o.donors.push_back(*e);
    }
    HttpPeerStatusReader peers;
    NetBackupDialer dialer;
    PosixPipedProcessStarter pipes;
    StatvfsDiskSpace disk;
    CloneEnv env{fs, clock, peers, dialer, pipes, runner, disk};
    auto result = CloneReplica(env, o, *secrets);
    if (!result.ok()) return ReportError("clone", result.status());
    return 0;
  };
}

}  // namespace mysqlset::cmd
