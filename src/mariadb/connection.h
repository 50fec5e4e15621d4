#pragma once
// One MariaDB Connector/C connection with timeouts, returning Status instead of error
// numbers. Not thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

typedef struct st_mysql MYSQL;

namespace mysqlset {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3306;
  std::string user;
  std::string password;  // secret
  int connect_timeout_s = 3;
  int read_timeout_s = 5;  // a hung server fails the call instead of hanging it
  int write_timeout_s = 5;
};

using Row = std::vector<std::optional<std::string>>;
struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  // The value of `column` in row `i`, or nullopt when NULL or absent.
  std::optional<std::string> Get(size_t i, std::string_view column) const;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Ping();
  Status Execute(const std::string& sql);
  Result<Rows> Query(const std::string& sql);
  // 'escaped' for this connection's charset.
  std::string Quote(const std::string& value);

 private:
  explicit Connection(MYSQL* mysql, std::string where) : mysql_(mysql), where_(std::move(where)) {}
  Status LastError(std::string_view what) const;
  MYSQL* mysql_;
  std::string where_;  // "127.0.0.1:3306 as monitor", for messages
};

}  // namespace mysqlset
