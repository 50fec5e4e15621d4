#include "core/topology.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(TopologyTest, KubernetesAddressesUseDnsNamesAndFixedPorts) {
  PeerLayout k8s;
  const MemberAddress a = AddressOf(k8s, "mysql", 2);
  EXPECT_EQ(a.pod_name, "mysql-2");
  EXPECT_EQ(a.host, "mysql-2.mysql");
  EXPECT_EQ(a.mysql_port, 3306);
  EXPECT_EQ(a.agent_port, 8080);
  EXPECT_EQ(a.backup_port, 3307);
}

TEST(TopologyTest, LocalAddressesStepPortsByOrdinal) {
  PeerLayout local{"127.0.0.1", "", 13306, 13307, 13308, 10};
  const MemberAddress a = AddressOf(local, "mysql", 3);
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.mysql_port, 13336);
  EXPECT_EQ(a.agent_port, 13337);
  EXPECT_EQ(a.backup_port, 13338);
}

TEST(TopologyTest, TemplateExpandsServiceAndOrdinal) {
  PeerLayout l;
  l.host_template = "{pod}.{service}.db.svc:{ordinal}";
  l.service = "headless";
  EXPECT_EQ(AddressOf(l, "x", 4).host, "x-4.headless.db.svc:4");
}

}  // namespace
}  // namespace mysqlset
