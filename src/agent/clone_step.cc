#include "agent/clone_step.h"

#include "agent/data_step.h"
#include "common/logging.h"
#include "core/data_source.h"
#include "core/data_state.h"
#include "core/disk_space.h"
#include "core/donor.h"
#include "core/mycnf.h"
#include "formats/store_records.h"

namespace mysqlset {
namespace {

// innodb_log_file_size as the member's mariadbd will see it: my.cnf and the files it includes
// (written by `mysqlset init`), else MariaDB's default.
Result<uint64_t> RedoLogBytes(const FileSystem& fs, const std::string& conf_dir) {
  std::vector<std::string> texts;
  for (const std::string& name :
       {std::string("my.cnf"), std::string("server-id.cnf"), std::string(kServerCnfName)}) {
    if (auto text = fs.ReadFile(conf_dir + "/" + name); text.ok()) texts.push_back(*text);
  }
  auto size = InnodbLogFileSize(texts);
  if (!size.ok()) return size.status().Annotate(conf_dir);
  return size->value_or(kDefaultInnodbLogFileSize);
}

// What to do instead of bootstrapping. Every message that tells the user to restore data
// names the copies mysqlset kept (`kept`, empty when none).
std::string RestoreAdvice(const MemberIdentity& self, const PeerDataSources& sources,
                          const std::string& kept) {
  return fmt::format(
      "refusing to bootstrap an empty primary, which would serve an empty database and break "
      "every replica. Restore {}'s data volume{}; to start a new cluster instead, delete the "
      "other members' data too",
      self.pod_name,
      kept.empty()
          ? ""
          : fmt::format(" ({}; to use one, move it to {} and create its marker {})", kept,
                        DatadirOf(sources.own_data_dir), MarkerPathOf(sources.own_data_dir)));
}

// A local peer volume holding a datadir, with or without its marker (the marker may be what
// was lost).
Status CheckLocalPeerDirs(const FileSystem& fs, const MemberIdentity& self,
                          const PeerDataSources& sources, const std::string& kept) {
  for (const std::string& dir : sources.local_data_dirs) {
    const bool marked = fs.Exists(MarkerPathOf(dir));
    if (marked || fs.IsDirectory(DatadirOf(dir))) {
      return FailedPrecondition("{} has no data, but {} holds a {}: {}", self.pod_name, dir,
                                marked ? "complete datadir" : "datadir without its marker",
                                RestoreAdvice(self, sources, kept));
    }
  }
  return Status::Ok();
}

formats::StoreKeys KeysOf(const CloneStepOptions& s) {
  return formats::StoreKeys(s.cluster.empty() ? s.self.set_name : s.cluster);
}

// What the store says of `initialized` (kNoStore without one), and its value as read.
struct InitializedKey {
  Initialized kind = Initialized::kNoStore;
  std::string value;
};

Result<InitializedKey> ReadInitialized(CloneEnv& env, const CloneStepOptions& s) {
  if (env.store == nullptr) return InitializedKey{};
  const auto annotate = [](const Status& st) {
    return st.Annotate("read whether the cluster was initialized (is etcd up? see --etcd)");
  };
  auto value = env.store->Get(KeysOf(s).Initialized());
  if (!value.ok()) return annotate(value.status());
  if (!value->has_value()) return InitializedKey{Initialized::kAbsent, ""};
  InitializedKey out{Initialized::kPresent, (*value)->value};
  // Our own claim, from a bootstrap stopped before its datadir was installed: it made no
  // data if no member has led since (a member clones only from a ready one, which leads or
  // follows a leader). Anything unreadable stays kPresent: never bootstrap over a doubt.
  auto record = formats::FromJson<formats::InitializedRecord>(out.value);
  if (record.ok() && record->by == s.self.pod_name &&
      record->state == formats::kInitializedBootstrapping) {
    auto last = env.store->Get(KeysOf(s).LastLeader());
    if (!last.ok()) return annotate(last.status());
    if (!last->has_value()) out.kind = Initialized::kOwnUnfinished;
  }
  return out;
}

Status Clone(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets);

Status Bootstrap(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets,
                 const InitializedKey& initialized) {
  const PeerDataSources sources{s.layout, s.peers_to_ask, s.peer_data_dirs, s.data_dir};
  RETURN_IF_ERROR(CheckNoPeerHoldsData(env.fs, env.peers, s.self, sources));
  // Exactly one member ever initializes the cluster: the create-if-absent of `initialized`
  // decides, after the peer checks (which write nothing) and before any data is made. Our
  // own unfinished claim is taken over only if unchanged and still nobody has led.
  const formats::StoreKeys keys = KeysOf(s);
  const std::string key = keys.Initialized();
  formats::InitializedRecord claim{s.self.pod_name, env.clock.UnixMillis(),
                                   formats::kInitializedBootstrapping};
  const std::string record = formats::ToJson(claim);
  if (env.store != nullptr) {
    std::vector<TxnCompare> unclaimed = {TxnCompare::Absent(key)};
    if (initialized.kind == Initialized::kOwnUnfinished) {
      spdlog::warn("{}: its bootstrap was stopped before any data was made; bootstrapping again",
                   s.self.pod_name);
      unclaimed = {TxnCompare::Value(key, initialized.value),
                   TxnCompare::Absent(keys.LastLeader())};
    }
    auto won = env.store->Txn(unclaimed, {TxnOp::Put(key, record)});
    if (!won.ok()) return won.status().Annotate("claim " + key + " (is etcd up?)");
    if (!*won) {
      spdlog::info("{}: another member initialized the cluster first; cloning instead",
                   s.self.pod_name);
      return Clone(env, s, secrets);
    }
  }
  BootstrapOptions b;
  b.data_dir = s.data_dir;
  b.run_as_root = s.run_as_root;
  b.template_cache_dir = s.template_cache_dir;
  spdlog::info("{}: no data; bootstrapping a fresh datadir", s.self.pod_name);
  Status st = BootstrapFreshDatadir(env.fs, env.runner, env.clock, b, secrets);
  if (!st.ok()) {
    // No data was made, so the claim goes: the next attempt may bootstrap again rather than
    // wait for ever for a donor that never existed. Only our own claim is removed.
    if (env.store != nullptr) {
      auto undone = env.store->Txn({TxnCompare::Value(key, record)}, {TxnOp::Delete(key)});
      if (!undone.ok() || !*undone) {
        spdlog::warn("{}: could not withdraw {} after the failed bootstrap", s.self.pod_name, key);
      }
    }
    return st.Annotate("bootstrap " + s.self.pod_name);
  }
  spdlog::info("{}: fresh datadir ready", s.self.pod_name);
  if (env.store != nullptr) {
    // The claim is done: from now on an empty ordinal 0 clones (its volume was lost). If
    // this fails, the record still says bootstrapping, which only matters while nobody has
    // led; this datadir, complete, never asks the store again.
    claim.state = "done";
    auto done =
        env.store->Txn({TxnCompare::Value(key, record)}, {TxnOp::Put(key, formats::ToJson(claim))});
    if (!done.ok() || !*done) {
      spdlog::warn("{}: could not mark {} done: {}", s.self.pod_name, key,
                   done.ok() ? "it changed meanwhile" : done.status().message());
    }
  }
  return Status::Ok();
}

Status Clone(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  CloneReceiverOptions o;
  o.data_dir = s.data_dir;
  o.self = s.self;
  o.layout = s.layout;
  o.peers_to_ask = s.peers_to_ask;
  o.max_attempts = s.max_attempts;
  o.backoff.initial = s.retry_delay;
  o.donor_poll = s.donor_poll;
  o.use_memory = s.use_memory;
  o.run_as_root = s.run_as_root;
  ASSIGN_OR_RETURN(o.redo_log_bytes, RedoLogBytes(env.fs, s.conf_dir));
  for (const auto& d : s.donors) {
    ASSIGN_OR_RETURN(DonorEndpoint e, ParseDonorEndpoint(d));
    o.donors.push_back(std::move(e));
  }
  return CloneReplica(env, o, secrets).status();
}

}  // namespace

Status CheckNoPeerHoldsData(const FileSystem& fs, PeerStatusReader& peers,
                            const MemberIdentity& self, const PeerDataSources& sources) {
  std::string kept;
  if (!sources.own_data_dir.empty()) {
    kept = DescribeKeptDatadirs(ListKeptDatadirs(fs, sources.own_data_dir));
  }
  RETURN_IF_ERROR(CheckLocalPeerDirs(fs, self, sources, kept));
  std::vector<std::optional<PeerStatus>> statuses(1);  // ordinal 0 is self
  for (uint32_t i = 1; i <= sources.peers_to_ask; ++i) {
    statuses.push_back(peers.Read(AddressOf(sources.layout, self.set_name, i)));
  }
  if (auto holder = PeerHoldingData(statuses)) {
    return FailedPrecondition("{} has no data, but {} holds data up to GTID {}: {}", self.pod_name,
                              PodName(self.set_name, *holder), statuses[*holder]->gtid,
                              RestoreAdvice(self, sources, kept));
  }
  if (!kept.empty()) {
    spdlog::warn(
        "{}: no peer holds data; bootstrapping a fresh datadir. Earlier data stays in "
        "the {}",
        self.pod_name, kept);
  }
  return Status::Ok();
}

namespace {

// The step right before mariadbd starts (in both modes) gives it an empty private tmpdir
// (my.cnf's tmpdir): mariadbd refuses to start without it, and what an earlier life left
// there is junk.
Status ResetServerTmpdir(FileSystem& fs, const std::string& data_dir) {
  const std::string tmpdir = TmpdirOf(data_dir);
  RETURN_IF_ERROR(fs.RemoveAll(tmpdir));
  return fs.MakeDirs(tmpdir, 0700);
}

// A re-clone request (core/reclone.h) is acted on only while another member leads, read
// now: the request may be old (written before a restart, or before the member was
// switched to), and a member that leads, or may have to lead, must keep its data.
Result<bool> RecloneStillDue(CloneEnv& env, const CloneStepOptions& s) {
  if (!env.fs.Exists(RecloneRequestPathOf(s.data_dir))) return false;
  std::string leader;
  if (env.store != nullptr) {
    auto value = env.store->Get(KeysOf(s).Leader());
    if (!value.ok()) return value.status().Annotate("read the leader before a re-clone");
    if (value->has_value()) {
      if (auto r = formats::FromJson<formats::LeaderRecord>((*value)->value); r.ok()) {
        leader = r->name;
      }
    }
  }
  if (!leader.empty() && leader != s.self.pod_name) return true;
  spdlog::warn("{}: a re-clone was requested ({}), but {}; keeping the datadir", s.self.pod_name,
               RecloneRequestPathOf(s.data_dir),
               leader.empty() ? "no member leads now" : "this member leads");
  return false;
}

Status ProvideDatadir(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  RETURN_IF_ERROR(CheckDatadirIsNotAFile(env.fs, s.data_dir));
  ASSIGN_OR_RETURN(const bool reclone, RecloneStillDue(env, s));
  if (reclone) RETURN_IF_ERROR(SetAsideForReclone(env.fs, env.clock, s.data_dir));
  ASSIGN_OR_RETURN(DataState state, InspectDatadir(env.fs, env.clock, s.data_dir));
  InitializedKey initialized;
  if (state != DataState::kReady) {
    // Only a member without data needs to know: a complete datadir never asks the store.
    ASSIGN_OR_RETURN(initialized, ReadInitialized(env, s));
  }
  switch (ChooseDataSource(state, s.self.ordinal == 0, initialized.kind)) {
    case DataSource::kKeep:
      spdlog::info("{}: datadir is complete; nothing to do", s.self.pod_name);
      return Status::Ok();
    case DataSource::kBootstrap:
      return Bootstrap(env, s, secrets, initialized);
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

}  // namespace

Status RunCloneStep(CloneEnv& env, const CloneStepOptions& s, const Secrets& secrets) {
  RETURN_IF_ERROR(ProvideDatadir(env, s, secrets));
  return ResetServerTmpdir(env.fs, s.data_dir);
}

}  // namespace mysqlset
