#include "local/cluster_probe.h"

#include "local/agent_client.h"
#include "local/haproxy_config.h"

namespace mysqlset::local {

bool NetworkClusterProbe::AgentReady(const std::string& host, uint16_t port) {
  auto reply = HttpGet(host, port, "/readyz", std::chrono::milliseconds(500));
  return reply.ok() && reply->status == 200;
}

std::map<std::string, std::string> NetworkClusterProbe::HaproxyServerStates(
    const std::string& socket_path) {
  std::map<std::string, std::string> out;
  for (const auto& [name, stat] : ReadHaproxyServerStats(socket_path)) out[name] = stat.status;
  return out;
}

}  // namespace mysqlset::local
