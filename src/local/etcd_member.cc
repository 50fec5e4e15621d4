#include "local/etcd_member.h"

#include <fmt/format.h>

namespace mysqlset::local {
namespace {

std::string Url(uint16_t port) { return fmt::format("http://{}:{}", kLocalHost, port); }

}  // namespace

std::vector<std::string> EtcdArgv(const ClusterSpec& spec, const ClusterPaths& paths, int index,
                                  const std::string& etcd) {
  std::string initial_cluster;
  for (int i = 0; i < spec.etcd_members; ++i) {
    if (i > 0) initial_cluster += ",";
    initial_cluster += EtcdMemberName(i) + "=" + Url(EtcdPeerPort(spec, i));
  }
  const std::string client = Url(EtcdClientPort(spec, index));
  const std::string peer = Url(EtcdPeerPort(spec, index));
  // "new" only matters on the first start: a member with data rejoins from its data dir and
  // ignores the initial-cluster flags, so a restart after a crash or `down` keeps the data.
  std::vector<std::string> argv = {etcd,
                                   "--name",
                                   EtcdMemberName(index),
                                   "--data-dir",
                                   paths.etcd_data_dir(index),
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   initial_cluster,
                                   "--initial-cluster-state",
                                   "new",
                                   "--initial-cluster-token",
                                   EtcdTokenOf(spec)};
  // A lone member elects itself: only its own election timer delays that, by 0.1 to 1.1 s at
  // the defaults (100 ms ticks, 10 of them, 9 skipped at the first start, then a random
  // extra), which `up` waited out before starting any member. With nobody to lose a vote
  // to, short ticks cost nothing but a timer. Several members keep the defaults: under load
  // short timeouts there would mean needless elections.
  if (spec.etcd_members == 1) {
    argv.insert(argv.end(), {"--heartbeat-interval", "10", "--election-timeout", "100"});
  }
  return argv;
}

}  // namespace mysqlset::local
