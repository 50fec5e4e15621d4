#include "core/topology.h"

namespace mysqlset {
namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

MemberAddress AddressOf(const PeerLayout& layout, std::string_view set_name, uint32_t ordinal) {
  MemberAddress a;
  a.pod_name = PodName(set_name, ordinal);
  a.ordinal = ordinal;
  a.host = layout.host_template;
  ReplaceAll(a.host, "{pod}", a.pod_name);
  ReplaceAll(a.host, "{service}", layout.service.empty() ? set_name : layout.service);
  ReplaceAll(a.host, "{ordinal}", std::to_string(ordinal));
  const uint32_t step = static_cast<uint32_t>(layout.port_stride) * ordinal;
  a.mysql_port = static_cast<uint16_t>(layout.mysql_port + step);
  a.agent_port = static_cast<uint16_t>(layout.agent_port + step);
  a.backup_port = static_cast<uint16_t>(layout.backup_port + step);
  return a;
}

}  // namespace mysqlset
