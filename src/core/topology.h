#pragma once
// Where members are. Pure. Which one is the primary is a role held in etcd (core/leadership.h).
//
// Kubernetes: every member has the same ports and its own DNS name ("{pod}.{service}").
// Local mode: every member is on 127.0.0.1 and ports step by `port_stride` per ordinal.

#include <cstdint>
#include <string>

#include "core/identity.h"

namespace mysqlset {

struct PeerLayout {
  std::string host_template = "{pod}.{service}";  // {pod}, {service}, {ordinal} expand
  std::string service;                            // headless Service; defaults to set name
  uint16_t mysql_port = 3306;
  uint16_t agent_port = 8080;
  uint16_t backup_port = 3307;
  uint16_t port_stride = 0;  // port of ordinal N = base + N * stride
};

struct MemberAddress {
  std::string pod_name;
  uint32_t ordinal = 0;
  std::string host;
  uint16_t mysql_port = 0;
  uint16_t agent_port = 0;
  uint16_t backup_port = 0;
};

MemberAddress AddressOf(const PeerLayout& layout, std::string_view set_name, uint32_t ordinal);

}  // namespace mysqlset
