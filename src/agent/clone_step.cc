#include "agent/clone_step.h"

#include "agent/data_step.h"
#include "common/logging.h"
#include "core/data_source.h"
#include "core/disk_space.h"
#include "core/mycnf.h"

namespace mysqlset {
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

Status Bootstrap(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  const PeerDataSources sources{s.layout, s.peers_to_ask, s.peer_data_dirs, s.data_dir};
  RETURN_IF_ERROR(CheckNoPeerHoldsData(env.fs, env.peers, s.self, sources));
  BootstrapOptions b;
  b.data_dir = s.data_dir;
  b.run_as_root = s.run_as_root;
  spdlog::info("{}: no data; bootstrapping a fresh datadir", s.self.pod_name);
  Status st = BootstrapFreshDatadir(env.fs, env.runner, env.clock, b, secrets);
  if (!st.ok()) return st.Annotate("bootstrap " + s.self.pod_name);
  spdlog::info("{}: fresh datadir ready", s.self.pod_name);
  return Status::Ok();
}

Status Clone(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  CloneReceiverOptions o;
  o.data_dir = s.data_dir;
  o.self = s.self;
  o.layout = s.layout;
  o.max_attempts = s.max_attempts;
  o.backoff.initial = s.retry_delay;
  o.use_memory = s.use_memory;
  ASSIGN_OR_RETURN(o.redo_log_bytes, RedoLogBytes(env.fs, s.conf_dir, s.self));
  for (const auto& d : s.donors) {
    ASSIGN_OR_RETURN(DonorEndpoint e, ParseDonorEndpoint(d));
    o.donors.push_back(std::move(e));
  }
  return CloneReplica(env, o, secrets).status();
}

}  // namespace

Status RunCloneStep(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  RETURN_IF_ERROR(CheckDatadirIsNotAFile(env.fs, s.data_dir));
  ASSIGN_OR_RETURN(DataState state, InspectDatadir(env.fs, env.clock, s.data_dir));
  switch (ChooseDataSource(state, IsPrimary(s.self))) {
    case DataSource::kKeep:
      spdlog::info("{}: datadir is complete; nothing to do", s.self.pod_name);
      return Status::Ok();
    case DataSource::kBootstrap:
      return Bootstrap(env, s, secrets);
    case DataSource::kClone:
      return Clone(env, s, secrets);
    case DataSource::kRefuse:
      break;
  }
  return FailedPrecondition(
      "{}: the datadir in {} is neither complete nor absent; refusing to "
      "write over it",
      s.self.pod_name, s.data_dir);
}

}  // namespace mysqlset
