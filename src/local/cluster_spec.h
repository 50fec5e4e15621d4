#pragma once
// The desired state of a local cluster (DIR/cluster.json) and where everything of it lives:
// ports (fixed layout from the base port) and paths under the cluster dir. Pure.
//
// Port layout, base port P (default 13306), all on 127.0.0.1:
//   member N: mariadbd P+10N, agent HTTP P+10N+1, backup stream P+10N+2
//   HAProxy write endpoint P-6, read endpoint P-5
//   etcd member I (0..4): client P-16+2I, peer P-15+2I (P-16..P-7, below the endpoints;
//     the whole range is reserved whatever --etcd-members is, so the layout never moves)

#include <cstdint>
#include <optional>
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
// The lowest port of the layout is P - kPortsBelowBase (etcd member 0's client port).
inline constexpr int kPortsBelowBase = 16;
// The --base-port range of `up` and `restore`: the member ports, the endpoints and etcd's
// (P-16 .. P+2) must fit in 1024..65535.
inline constexpr int kMinBasePort = 1024 + kPortsBelowBase;
inline constexpr int kMaxBasePort = 65535 - 2;
inline constexpr int kMaxEtcdMembers = 5;

struct ClusterSpec {
  std::string name = "mysql";
  int replicas = 3;
  uint16_t base_port = kDefaultBasePort;
  // etcd members the supervisor runs: 1, or 3 or 5 for a real quorum. Fixed at creation.
  int etcd_members = 1;
  // etcd's --initial-cluster-token: random per cluster, so etcd members of two clusters on
  // one machine never join each other. "" in cluster files written before etcd (then
  // EtcdTokenOf derives one).
  std::string etcd_token;
  // `up --semi-sync`: agents run with --semi-sync (lossless semi-sync and automatic
  // failover, experimental: docs/roles.md "Failover"). Fixed at creation.
  bool semi_sync = false;
  // `up --repo R [--archive-interval S]`: the primary's agent archives its binlogs into R
  // (docs/backup.md "Binlog archive"); "" off.
  std::string archive_repo;
  int archive_interval_s = 30;
  // `up --backup-schedule CRON [--backup-verify-schedule CRON]` (5-field cron, UTC; "" none):
  // the supervisor runs `mysqlset backup` into archive_repo then (docs/backup.md "Schedules").
  std::string backup_schedule;
  std::string backup_verify_schedule;
  // `up --keep-last N --keep-days D` (0: that rule unset): after each successful scheduled
  // backup the supervisor prunes with them (`backups --prune`; the newest verified backup is
  // always kept: core/backup_choice.h).
  int backup_keep_last = 0;
  int backup_keep_days = 0;
  bool operator==(const ClusterSpec&) const = default;
};

// The backup flags `up` was given (nullopt: not given). A flag not given keeps the stored
// value: `up --repo R` on a cluster that archives every 5 s keeps 5 s rather than falling
// back to the flag's default.
struct BackupFlagsGiven {
  std::optional<std::string> repo;  // absolute path or "rclone:REMOTE:PATH"
  std::optional<int> archive_interval_s;
  std::optional<std::string> backup_schedule;  // "" removes the schedule
  std::optional<std::string> backup_verify_schedule;
  std::optional<int> keep_last;  // 0 unsets the rule
  std::optional<int> keep_days;
};
// Applies `given` over `spec` (the stored spec, or a new cluster's defaults).
// kInvalidArgument for --archive-interval when no repository is given or stored: the
// interval would be saved and do nothing.
Status ApplyBackupFlags(const BackupFlagsGiven& given, ClusterSpec& spec);

// kInvalidArgument naming the bad field and what to do: replicas in 1..kMaxReplicas, the
// name gives valid member names ("NAME-0"), etcd_members is 1, 3 or 5, every port of the
// layout fits in 1024..65535, schedules are valid cron (core/cron.h) and have a repository,
// retention has a schedule to follow.
Status ValidateSpec(const ClusterSpec& spec);

// A fresh random --initial-cluster-token for a new cluster.
std::string NewEtcdToken();
// The token etcd is started with: spec.etcd_token, or for an old cluster file without one
// "mysqlset-NAME-BASEPORT".
std::string EtcdTokenOf(const ClusterSpec& spec);

// The retention flags the supervisor prunes with ({"--keep-last", "7", ...}); empty: none.
std::vector<std::string> RetentionArgs(const ClusterSpec& spec);

// cluster.json text (one object: name, replicas, base_port, etcd_members, etcd_token) and
// back; a file without the etcd fields (written before etcd) reads with 1 member and no
// token.
std::string SpecToJson(const ClusterSpec& spec);
Result<ClusterSpec> SpecFromJson(const std::string& text, const std::string& where);

// Peer layout that `mysqlset clone` and `mysqlset agent` are given: ordinal 0's ports and
// the stride.
PeerLayout LocalPeerLayout(const ClusterSpec& spec);
MemberAddress MemberAddressOf(const ClusterSpec& spec, uint32_t ordinal);
uint16_t WritePort(const ClusterSpec& spec);
uint16_t ReadPort(const ClusterSpec& spec);
// etcd member `index` (0-based): its client and peer ports.
uint16_t EtcdClientPort(const ClusterSpec& spec, int index);
uint16_t EtcdPeerPort(const ClusterSpec& spec, int index);
// "etcd-0": etcd's --name of member `index`.
std::string EtcdMemberName(int index);
// Every etcd member's client URL, comma-separated: what agents and clones get as --etcd.
std::string EtcdEndpoints(const ClusterSpec& spec);

// One port the cluster needs, for the "port in use" check.
struct PortUse {
  uint16_t port = 0;
  std::string what;  // "mysql-1 mariadbd", "read endpoint"
};
// Endpoints, etcd members, plus every port of members 0..replicas-1.
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
  std::string admin_cnf() const { return dir_ + "/admin.cnf"; }
  std::string secrets_dir() const { return dir_ + "/secrets"; }
  std::string config_dir() const { return dir_ + "/config"; }
  std::string members_dir() const { return dir_ + "/members"; }
  std::string supervisor_pid() const { return dir_ + "/supervisor.pid"; }
  std::string supervisor_log() const { return dir_ + "/supervisor.log"; }
  std::string supervisor_lock() const { return dir_ + "/supervisor.lock"; }
  std::string haproxy_cfg() const { return dir_ + "/haproxy.cfg"; }
  std::string haproxy_stats_socket() const { return dir_ + "/haproxy.sock"; }
  std::string haproxy_log() const { return dir_ + "/haproxy.log"; }
  // Output of the backups `up --backup-schedule` runs.
  std::string backup_schedule_log() const { return dir_ + "/backup-schedule.log"; }
  std::string etcd_dir() const { return dir_ + "/etcd"; }
  std::string etcd_data_dir(int index) const { return etcd_dir() + "/" + std::to_string(index); }
  std::string etcd_log(int index) const { return dir_ + "/etcd-" + std::to_string(index) + ".log"; }

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

// A client option file: [client] user=..., password=... (the file is written 0600).
// DIR/client.cnf logs in as the app account (users: no READ ONLY ADMIN, so a write sent to a
// replica fails); DIR/admin.cnf as admin (`mysqlset sql --admin`).
std::string RenderClientCnf(const std::string& user, const std::string& password);

}  // namespace mysqlset::local
