#pragma once
// Builders for ServerState in table-driven tests (moco's status_test.go style).

#include "core/server_state.h"

namespace mysqlset::testing {

inline ReplicaStatus HealthyReplication(std::string host = "mysql-0.mysql", uint16_t port = 3306) {
  ReplicaStatus r;
  r.source_host = std::move(host);
  r.source_port = port;
  r.source_user = "repl";
  r.using_gtid_slave_pos = true;
  r.io = ThreadState::kYes;
  r.sql = ThreadState::kYes;
  r.seconds_behind = 0;
  return r;
}

class StateBuilder {
 public:
  StateBuilder() { s_.reachable = true; }
  StateBuilder& Down(std::string why = "connection refused") {
    s_.reachable = false;
    s_.unreachable_reason = std::move(why);
    return *this;
  }
  StateBuilder& Writable() {
    s_.read_only = false;
    return *this;
  }
  StateBuilder& ReadOnly() {
    s_.read_only = true;
    return *this;
  }
  StateBuilder& NoAccounts() {
    s_.accounts_present = false;
    return *this;
  }
  StateBuilder& SocketSuperusers(std::vector<std::string> who) {
    s_.socket_superusers = std::move(who);
    return *this;
  }
  StateBuilder& Replicating(ReplicaStatus r = HealthyReplication()) {
    s_.replica = std::move(r);
    return *this;
  }
  // gtid_slave_pos and gtid_binlog_pos (GTID list text; CHECKs that it parses).
  StateBuilder& Gtids(const std::string& slave, const std::string& binlog) {
    auto sl = GtidList::Parse(slave);
    auto bl = GtidList::Parse(binlog);
    CHECK(sl.ok() && bl.ok());
    s_.gtid_slave = *sl;
    s_.gtid_binlog = *bl;
    return *this;
  }
  StateBuilder& Lag(int64_t seconds) {
    s_.replica->seconds_behind = seconds;
    return *this;
  }
  StateBuilder& LagUnknown() {
    s_.replica->seconds_behind.reset();
    return *this;
  }
  StateBuilder& IoError(uint32_t no, std::string msg, ThreadState io = ThreadState::kNo) {
    s_.replica->io = io;
    s_.replica->last_io_errno = no;
    s_.replica->last_io_error = std::move(msg);
    return *this;
  }
  StateBuilder& SqlError(uint32_t no, std::string msg) {
    s_.replica->sql = ThreadState::kNo;
    s_.replica->last_sql_errno = no;
    s_.replica->last_sql_error = std::move(msg);
    s_.replica->seconds_behind.reset();
    return *this;
  }
  StateBuilder& Stopped() {
    s_.replica->io = ThreadState::kNo;
    s_.replica->sql = ThreadState::kNo;
    s_.replica->seconds_behind.reset();
    return *this;
  }
  ServerState Build() const { return s_; }

 private:
  ServerState s_;
};

}  // namespace mysqlset::testing
