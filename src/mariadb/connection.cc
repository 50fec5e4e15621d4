#include "mariadb/connection.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <mutex>

namespace mysqlset {
namespace {

StatusCode CodeFor(unsigned int err) {
  switch (err) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_UNKNOWN_HOST:
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:
      return StatusCode::kUnavailable;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
      return StatusCode::kPermissionDenied;
    default:
      return StatusCode::kFailedPrecondition;
  }
}

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

std::optional<std::string> Rows::Get(size_t i, std::string_view column) const {
  if (i >= rows.size()) return std::nullopt;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == column) return c < rows[i].size() ? rows[i][c] : std::nullopt;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& connect) {
  InitLibraryOnce();
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Internal("mysql_init failed: out of memory");
  const unsigned int ct = static_cast<unsigned int>(connect.connect_timeout_s);
  const unsigned int rt = static_cast<unsigned int>(connect.read_timeout_s);
  const unsigned int wt = static_cast<unsigned int>(connect.write_timeout_s);
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
  const my_bool no_reconnect = 0;
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &no_reconnect);
  // Never read ~/.my.cnf or /etc/mysql: the caller's options are the whole truth.
  const std::string where = fmt::format("{}:{} as {}", connect.host, connect.port, connect.user);
  if (!mysql_real_connect(m, connect.host.c_str(), connect.user.c_str(), connect.password.c_str(),
                          nullptr, connect.port, nullptr, CLIENT_MULTI_RESULTS)) {
    const unsigned int err = mysql_errno(m);
    Status st(CodeFor(err), fmt::format("connect {}: {}", where, mysql_error(m)));
    mysql_close(m);
    return st;
  }
  return std::unique_ptr<Connection>(new Connection(m, where));
}

Connection::~Connection() { mysql_close(mysql_); }

Status Connection::LastError(std::string_view what) const {
  return Status(CodeFor(mysql_errno(mysql_)),
                fmt::format("{} on {}: {} (error {})", what, where_, mysql_error(mysql_),
                            mysql_errno(mysql_)));
}

Status Connection::Ping() {
  if (mysql_ping(mysql_) != 0) return LastError("ping");
  return Status::Ok();
}

Status Connection::Execute(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError("query");
  // Drain any result so the connection stays usable.
  do {
    if (MYSQL_RES* res = mysql_store_result(mysql_)) mysql_free_result(res);
  } while (mysql_next_result(mysql_) == 0);
  return Status::Ok();
}

Result<Rows> Connection::Query(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError("query");
  MYSQL_RES* res = mysql_store_result(mysql_);
  Rows rows;
  if (!res) {
    if (mysql_field_count(mysql_) != 0) return LastError("read result");
    return rows;
  }
  const unsigned int n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned int i = 0; i < n; ++i) rows.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    Row row;
    for (unsigned int i = 0; i < n; ++i) {
      if (r[i]) {
        row.emplace_back(std::string(r[i], lengths[i]));
      } else {
        row.emplace_back(std::nullopt);
      }
    }
    rows.rows.push_back(std::move(row));
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(mysql_)) mysql_free_result(extra);
  }
  return rows;
}

std::string Connection::Quote(const std::string& value) {
  std::string out(value.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(mysql_, out.data(), value.data(), value.size());
  out.resize(n);
  return "'" + out + "'";
}

}  // namespace mysqlset
