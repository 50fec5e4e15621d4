#include "local/cluster_spec.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

TEST(ValidateSpec, Table) {
  struct Case {
    ClusterSpec spec;
    bool ok;
  };
  const std::vector<Case> cases = {
      {{"mysql", 3, 13306}, true},   {{"mysql", 1, 13306}, true},   {{"mysql", 0, 13306}, false},
      {{"mysql", -2, 13306}, false}, {{"mysql", 65, 13306}, false}, {{"My_SQL", 3, 13306}, false},
      {{"", 3, 13306}, false},       {{"mysql", 3, 1000}, false},   {{"mysql", 3, 65530}, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValidateSpec(c.spec).ok(), c.ok) << SpecToJson(c.spec);
  }
  EXPECT_EQ(ValidateSpec({"mysql", 0, 13306}).code(), StatusCode::kInvalidArgument);
}

TEST(ClusterSpec, JsonRoundTrip) {
  ClusterSpec s{"db", 5, 20006};
  auto back = SpecFromJson(SpecToJson(s), "x");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(SpecFromJson("{", "x").ok());
  EXPECT_FALSE(SpecFromJson(R"({"name":"db","replicas":0,"base_port":20006})", "x").ok());
}

TEST(ClusterSpec, PortLayout) {
  ClusterSpec s{"mysql", 3, 13306};
  EXPECT_EQ(WritePort(s), 13300);
  EXPECT_EQ(ReadPort(s), 13301);
  const MemberAddress a = MemberAddressOf(s, 2);
  EXPECT_EQ(a.pod_name, "mysql-2");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.mysql_port, 13326);
  EXPECT_EQ(a.agent_port, 13327);
  EXPECT_EQ(a.backup_port, 13328);
  EXPECT_EQ(PortsOf(s).size(), 2u + 3 * 3);
}

TEST(ClientCnf, HasUserAndQuotedPasswordButNoHost) {
  const std::string cnf = RenderClientCnf(R"(p"w\x)");
  EXPECT_NE(cnf.find("[client]\nuser=admin\npassword=\"p\\\"w\\\\x\"\n"), std::string::npos);
  EXPECT_EQ(cnf.find("host="), std::string::npos);
  EXPECT_EQ(cnf.find("port="), std::string::npos);
}

}  // namespace
}  // namespace mysqlset::local
