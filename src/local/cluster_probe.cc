#include "local/cluster_probe.h"

#include <cstdio>
#include <fstream>

#include "local/haproxy_config.h"
#include "net/http_client.h"

namespace mysqlset::local {

bool NetworkClusterProbe::AgentReady(const std::string& host, uint16_t port) {
  auto reply = net::HttpGet(host, port, "/readyz", std::chrono::milliseconds(500));
  return reply.ok() && reply->status == 200;
}

bool NetworkClusterProbe::EtcdHealthy(const std::string& host, uint16_t port) {
  auto reply = net::HttpGet(host, port, "/health", std::chrono::milliseconds(500));
  return reply.ok() && reply->status == 200 &&
         reply->body.find("\"health\":\"true\"") != std::string::npos;
}

std::map<std::string, std::string> NetworkClusterProbe::HaproxyServerStates(
    const std::string& socket_path) {
  std::map<std::string, std::string> out;
  for (const auto& [name, stat] : ReadHaproxyServerStats(socket_path)) out[name] = stat.status;
  return out;
}

void NetworkClusterProbe::SaveHaproxyServerState(const std::string& socket_path,
                                                 const std::string& state_file) {
  const std::string state = HaproxyAdminCommand(socket_path, "show servers state");
  if (state.empty()) return;
  const std::string tmp = state_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << state;
    if (!out.flush()) return;
  }
  std::rename(tmp.c_str(), state_file.c_str());
}

}  // namespace mysqlset::local
