#pragma once
// The etcd members a local cluster's supervisor runs (docs/roles.md: the coordination
// store). Pure: each member's command line. Flags only, never --config-file: in etcd 3.4 a
// config file turns the v3 JSON gateway off (etcd#12297), and the gateway is how mysqlset
// talks to etcd. Ports come from cluster_spec.h's layout; data in DIR/etcd/<i>.

#include <string>
#include <vector>

#include "local/cluster_spec.h"

namespace mysqlset::local {

// argv of etcd member `index` (0..spec.etcd_members-1), `etcd` being the binary.
// REQUIRES: ValidateSpec(spec) is OK.
std::vector<std::string> EtcdArgv(const ClusterSpec& spec, const ClusterPaths& paths, int index,
                                  const std::string& etcd = "etcd");

}  // namespace mysqlset::local
