// `mysqlset failover --force --to NAME`: a person's order to promote NAME when the cluster
// waits because the primary and its sync replica are both lost (docs/roles.md "Failover").
// Writes the "forced_failover" key (on a 30 s lease of its own) straight to the store, as no
// agent may be leading to take a request; NAME's agent then fences the replicas and takes the
// leader key with epoch reason "forced". Returns 0 once the leader key names NAME.

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "agent/cluster_view.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "core/failover.h"
#include "core/identity.h"
#include "etcd/etcd_store.h"
#include "formats/store_records.h"
#include "local/cluster_dir.h"
#include "local/cluster_spec.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

constexpr int64_t kRequestTtlSeconds = 30;
constexpr auto kPoll = std::chrono::milliseconds(200);

struct FailoverFlags {
  std::string dir = "./mysqlset-data";
  std::string to;
  bool force = false;
  std::string etcd;     // instead of a local cluster: the store's endpoints
  std::string cluster;  // with --etcd: the cluster's name (its keys' prefix)
  double timeout_s = 30;
};

constexpr const char* kRisk =
    "a forced failover promotes a member that may lack writes the lost primary acknowledged "
    "(only the lost sync replica was sure to hold them): those writes are lost for good, and "
    "the lost members must be re-cloned if they come back with them";

// The store and the cluster's name: a local cluster's (--dir), or --etcd and --cluster.
Result<std::pair<std::unique_ptr<CoordStore>, std::string>> OpenStore(const FailoverFlags& f) {
  std::string endpoints = f.etcd;
  std::string cluster = f.cluster;
  if (endpoints.empty()) {
    PosixFileSystem fs;
    const local::ClusterPaths paths(Absolute(f.dir));
    auto spec = local::LoadSpec(fs, paths);
    if (!spec.ok()) return spec.status();
    endpoints = local::EtcdEndpoints(*spec);
    cluster = spec->name;
  } else if (cluster.empty()) {
    return InvalidArgument("--etcd needs --cluster NAME (the cluster's name, its keys' prefix)");
  }
  auto store = etcd::OpenEtcdStore(endpoints);
  if (!store.ok()) return store.status();
  return std::make_pair(std::move(*store), cluster);
}

// Why `to` may not be promoted now, or "" when it may.
Result<std::string> Refusal(CoordStore& store, const formats::StoreKeys& keys,
                            const std::string& to) {
  ASSIGN_OR_RETURN(std::vector<StoredValue> values, store.List(keys.prefix));
  const ClusterView view = ParseClusterView(keys, values).view;
  if (view.leader) {
    return fmt::format(
        "{} holds the primary role (epoch {}): nothing to force; to move it, use "
        "`mysqlset switchover --to {}`",
        view.leader->name, view.leader->epoch, to);
  }
  if (!view.last_leader) return std::string("no primary was ever elected: nothing to force");
  // Only a cluster the automatic rules leave waiting may be forced (FailoverWinner ignores
  // the key otherwise): while the sync replica can take over, forcing another member would
  // only risk the writes the sync replica holds.
  ClusterView unforced = view;
  unforced.forced_failover_to.clear();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (!LastLeaderLost(unforced)) {
    return fmt::format(
        "the last primary {} is registered with its server answering: it will "
        "lead again; nothing to force",
        view.last_leader->name);
  }
  if (const Election e = FailoverWinner(unforced, now_ms, FailoverPolicy{}); e.winner) {
    return fmt::format("{} takes over by itself ({}): nothing to force", *e.winner, e.reason);
  }
  const MemberView* m = nullptr;
  for (const MemberView& v : view.members) {
    if (v.name == to) m = &v;
  }
  if (m == nullptr) return fmt::format("{} is not registered (its agent is not running)", to);
  if (!IsFailoverCandidate(*m)) {
    return fmt::format(
        "{} cannot be promoted: its server does not answer, it has no data, or it "
        "holds errant GTIDs ({})",
        to, m->errant_gtids.empty() ? "none" : m->errant_gtids.ToString());
  }
  return std::string();
}

int RunFailover(const FailoverFlags& f) {
  if (!f.force) {
    return ReportError("failover", InvalidArgument("refusing without --force: {}; add --force to "
                                                   "proceed",
                                                   kRisk));
  }
  if (f.to.empty()) {
    return ReportError("failover",
                       InvalidArgument("--to NAME is required (the member to promote)"));
  }
  if (auto id = ParseIdentity(f.to); !id.ok()) {
    return ReportError("failover", InvalidArgument("--to {}: {}", f.to, id.status().message()));
  }
  auto opened = OpenStore(f);
  if (!opened.ok()) return ReportError("failover", opened.status());
  CoordStore& store = *opened->first;
  const formats::StoreKeys keys(opened->second);

  auto refusal = Refusal(store, keys, f.to);
  if (!refusal.ok()) return ReportError("failover", refusal.status());
  if (!refusal->empty()) return ReportError("failover", FailedPrecondition("{}", *refusal));

  std::fprintf(stderr, "mysqlset failover: warning: %s\n", kRisk);
  auto lease = store.GrantLease(kRequestTtlSeconds);
  if (!lease.ok()) return ReportError("failover", lease.status());
  RealClock clock;
  const formats::ForcedFailover request{f.to, "mysqlset failover --force", clock.UnixMillis()};
  auto put = store.Txn({TxnCompare::Absent(keys.ForcedFailover())},
                       {TxnOp::Put(keys.ForcedFailover(), formats::ToJson(request), *lease)});
  if (!put.ok()) return ReportError("failover", put.status());
  if (!*put) {
    return ReportError("failover", FailedPrecondition("another forced failover is pending; wait "
                                                      "up to {} s for it to finish or expire",
                                                      kRequestTtlSeconds));
  }
  std::printf("forced failover to %s requested\n", f.to.c_str());
  std::fflush(stdout);

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    auto leader = store.Get(keys.Leader());
    if (leader.ok() && *leader) {
      auto r = formats::FromJson<formats::LeaderRecord>((*leader)->value);
      if (r.ok() && r->name == f.to) {
        std::printf("%s is primary (epoch %llu)\n", f.to.c_str(),
                    static_cast<unsigned long long>(r->epoch));
        (void)store.RevokeLease(*lease);
        return kExitOk;
      }
      if (r.ok()) {
        (void)store.RevokeLease(*lease);
        return ReportError("failover",
                           FailedPrecondition("{} took the primary role instead", r->name));
      }
    }
    std::this_thread::sleep_for(kPoll);
  }
  (void)store.RevokeLease(*lease);
  return ReportError("failover",
                     DeadlineExceeded("{} did not take the primary role within {:g} s; see "
                                      "`mysqlset status` and its agent's log",
                                      f.to, f.timeout_s));
}

}  // namespace

Action AddFailoverCommand(CLI::App& app) {
  auto f = std::make_shared<FailoverFlags>();
  AddClusterDirFlag(app, f->dir);
  app.add_option("--to", f->to, "The member to promote (NAME-N)");
  app.add_flag("--force", f->force,
               "Required: promote it although it may lack acknowledged writes");
  app.add_option("--etcd", f->etcd,
                 "Instead of a local cluster: the store's endpoints (http://HOST:PORT[,...])");
  app.add_option("--cluster", f->cluster, "With --etcd: the cluster's name");
  app.add_option("--timeout", f->timeout_s, "Give up waiting after this many seconds")
      ->check(CLI::Range(1.0, 3600.0));
  return [f]() { return RunFailover(*f); };
}

}  // namespace mysqlset::cmd
