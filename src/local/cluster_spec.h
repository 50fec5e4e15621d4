#pragma once
// The desired state of a local cluster (DIR/cluster.json) and where everything of it lives:
// ports (fixed layout from the base port) and paths under the cluster dir. Pure.
//
// Port layout, base port P (default 13306), all on 127.0.0.1:
//   member N: mariadbd P+10N, agent HTTP P+10N+1, backup stream P+10N+2
//   HAProxy write endpoint P-6, read endpoint P-5

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/topology.h"
#include "formats/clone_progress.h"
#include "formats/supervisor_state.h"

namespace mysqlset::local {

inline constexpr uint16_t kDefaultBasePort = 13306;
inline constexpr uint16_t kPortStride = 10;
inline constexpr const char* kLocalHost = "127.0.0.1";
// A sanity cap: every member is a mariadbd on this machine.
inline constexpr int kMaxReplicas = 64;

struct ClusterSpec {
  std::string name = "mysql";
  int replicas = 3;
  uint16_t base_port = kDefaultBasePort;
  bool operator==(const ClusterSpec&) const = default;
};

// kInvalidArgument naming the bad field and what to do: replicas in 1..kMaxReplicas, the
// name gives valid member names ("NAME-0"), every port of the layout fits in 1..65535.
Status ValidateSpec(const ClusterSpec& spec);

// cluster.json text (one object: name, replicas, base_port) and back.
std::string SpecToJson(const ClusterSpec& spec);
Result<ClusterSpec> SpecFromJson(const std::string& text, const std::string& where);

// Peer layout that `mysqlset clone` and `mysqlset agent` are given: ordinal 0's ports and
// the stride.
PeerLayout LocalPeerLayout(const ClusterSpec& spec);
MemberAddress MemberAddressOf(const ClusterSpec& spec, uint32_t ordinal);
uint16_t WritePort(const ClusterSpec& spec);
uint16_t ReadPort(const ClusterSpec& spec);

// One port the cluster needs, for the "port in use" check.
struct PortUse {
  uint16_t port = 0;
  std::string what;  // "mysql-1 mariadbd", "read endpoint"
};
// Endpoints plus every port of members 0..replicas-1.
std::vector<PortUse> PortsOf(const ClusterSpec& spec);
// The three ports of one member.
std::vector<PortUse> MemberPortsOf(const ClusterSpec& spec, uint32_t ordinal);

// Paths under the cluster dir. `dir` is absolute.
class ClusterPaths {
 public:
  explicit ClusterPaths(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string cluster_json() const { return dir_ + "/cluster.json"; }
  std::string state_json() const { return formats::SupervisorStatePath(dir_); }
  std::string client_cnf() const { return dir_ + "/client.cnf"; }
  std::string secrets_dir() const { return dir_ + "/secrets"; }
  std::string config_dir() const { return dir_ + "/config"; }
  std::string members_dir() const { return dir_ + "/members"; }
  std::string supervisor_pid() const { return dir_ + "/supervisor.pid"; }
  std::string supervisor_log() const { return dir_ + "/supervisor.log"; }
  std::string supervisor_lock() const { return dir_ + "/supervisor.lock"; }
  std::string haproxy_cfg() const { return dir_ + "/haproxy.cfg"; }
  std::string haproxy_stats_socket() const { return dir_ + "/haproxy.sock"; }
  std::string haproxy_log() const { return dir_ + "/haproxy.log"; }

  std::string member_dir(const std::string& pod) const { return members_dir() + "/" + pod; }
  std::string conf_dir(const std::string& pod) const { return member_dir(pod) + "/conf"; }
  std::string data_dir(const std::string& pod) const { return member_dir(pod) + "/data"; }
  std::string logs_dir(const std::string& pod) const { return member_dir(pod) + "/logs"; }
  // step is "init", "clone", "mariadbd" or "agent".
  std::string log_file(const std::string& pod, const std::string& step) const {
    return logs_dir(pod) + "/" + step + ".log";
  }
  std::string clone_progress(const std::string& pod) const {
    return formats::CloneProgressPath(data_dir(pod));
  }

 private:
  std::string dir_;
};

// DIR/client.cnf: [client] user=admin, password=... (the file is written 0600).
std::string RenderClientCnf(const std::string& admin_password);

}  // namespace mysqlset::local
