// Regression (issue #8): stopping the backup server logged "backup port: accept: Invalid
// argument" (and slept 100 ms), so an agent refused for a busy HTTP port printed a spurious
// warning before its one error line.

#include <sstream>

#include "gtest/gtest.h"
#include "net/backup_server.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace mysqlset::net {
namespace {

class NoBackup : public BackupProducer {
 public:
  uint64_t EstimateBytes() override { return 0; }
  Status Produce(const std::function<bool(std::string_view)>&,
                 const std::function<bool()>&) override {
    return Status::Ok();
  }
};

TEST(BackupServerStopTest, StoppingRightAfterStartLogsNoAcceptWarning) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  NoBackup producer;
  for (int i = 0; i < 20; ++i) {
    BackupServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.token = "token";
    BackupServer server(o, &producer);
    ASSERT_TRUE(server.Start().ok());
    server.Stop();
  }
  spdlog::set_default_logger(previous);
  EXPECT_EQ(log.str().find("accept"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace mysqlset::net
