#include "cmd/cluster_checks.h"

#include <chrono>

#include "agent/secrets.h"
#include "mariadb/connection.h"
#include "mariadb/dialect.h"
#include "net/http_client.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

Status CheckWriteEndpoint(const local::ClusterPaths& paths, const local::ClusterSpec& spec) {
  PosixFileSystem fs;
  auto secrets = LoadSecrets(fs, paths.secrets_dir());
  if (!secrets.ok()) return secrets.status();
  ConnectOptions o;
  o.host = local::kLocalHost;
  o.port = local::WritePort(spec);
  o.user = kAdminUser;
  o.password = secrets->admin_password;
  o.connect_timeout_s = 2;
  o.read_timeout_s = 5;
  o.write_timeout_s = 5;
  const std::string where = fmt::format("the write endpoint {}:{}", o.host, o.port);
  auto c = Connection::Open(o);
  if (!c.ok())
    return Unavailable("{} does not accept connections yet: {}", where, c.status().message());
  auto ro = (*c)->Query(dialect::kSelectReadOnly);
  if (!ro.ok()) return Unavailable("{} does not answer yet: {}", where, ro.status().message());
  if (ro->rows.empty() || ro->rows[0].empty() || ro->rows[0][0] != "0") {
    return Unavailable("{} leads to a read-only server", where);
  }
  auto q = [&](const std::string& v) { return (*c)->Quote(v); };
  Status st = (*c)->Execute(dialect::WriteProbe("mysqlset up/scale", q));
  if (!st.ok()) {
    // First time on this cluster: create the table, then write again.
    for (const char* sql : {dialect::kCreateWriteProbeSchema, dialect::kCreateWriteProbeTable}) {
      if (st = (*c)->Execute(sql); !st.ok()) break;
    }
    if (st.ok()) st = (*c)->Execute(dialect::WriteProbe("mysqlset up/scale", q));
  }
  if (!st.ok()) return Unavailable("{} does not accept writes yet: {}", where, st.message());
  return Status::Ok();
}

}  // namespace

Status ConfirmClusterReady(const local::ClusterPaths& paths, const local::ClusterSpec& spec) {
  for (int i = 0; i < spec.replicas; ++i) {
    const MemberAddress a = local::MemberAddressOf(spec, static_cast<uint32_t>(i));
    auto reply = net::HttpGet(a.host, a.agent_port, "/readyz", std::chrono::seconds(1));
    if (!reply.ok() || reply->status != 200) {
      std::string why = reply.ok() ? reply->body : reply.status().message();
      if (const size_t eol = why.find('\n'); eol != std::string::npos) why.resize(eol);
      return Unavailable("{} is not ready: {}", a.pod_name, why);
    }
  }
  return CheckWriteEndpoint(paths, spec);
}

}  // namespace mysqlset::cmd
