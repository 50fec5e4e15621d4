#pragma once
// What the supervisor asks over sockets each tick: an agent's /readyz, HAProxy's state of
// each server, and whether etcd answers. An interface so the supervisor's loop runs against a fake
// in unit tests.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace mysqlset::local {

class ClusterProbe {
 public:
  virtual ~ClusterProbe() = default;
  // True when the agent at host:port answers GET /readyz with 200 within 500 ms.
  virtual bool AgentReady(const std::string& host, uint16_t port) = 0;
  // "show stat" over HAProxy's admin socket: {"backend/server" -> status ("UP", "DOWN",
  // ...)}; empty when HAProxy does not answer.
  virtual std::map<std::string, std::string> HaproxyServerStates(
      const std::string& socket_path) = 0;
  // True when the etcd member with client port host:port answers GET /health with
  // {"health":"true"} within 500 ms (it serves, and its cluster has a quorum).
  virtual bool EtcdHealthy(const std::string& host, uint16_t port) = 0;
  // Saves HAProxy's "show servers state" into `state_file`, which the reloaded HAProxy loads
  // (haproxy_config.h); nothing when it does not answer.
  virtual void SaveHaproxyServerState(const std::string& socket_path,
                                      const std::string& state_file) = 0;
};

// Over loopback HTTP and HAProxy's unix socket.
class NetworkClusterProbe : public ClusterProbe {
 public:
  bool AgentReady(const std::string& host, uint16_t port) override;
  std::map<std::string, std::string> HaproxyServerStates(const std::string& socket_path) override;
  bool EtcdHealthy(const std::string& host, uint16_t port) override;
  void SaveHaproxyServerState(const std::string& socket_path,
                              const std::string& state_file) override;
};

}  // namespace mysqlset::local
