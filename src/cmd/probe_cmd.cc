#include <memory>

#include "cmd/commands.h"
#include "net/http_client.h"

namespace mysqlset::cmd {

// `mysqlset probe live|ready`: an exec-style probe that asks the agent over HTTP instead of
// starting a MySQL client; exit 0 when the agent says yes, 1 otherwise.
Action AddProbeCommand(CLI::App& app) {
  auto kind = std::make_shared<std::string>();
  auto url = std::make_shared<std::string>("http://127.0.0.1:8080");
  auto timeout_ms = std::make_shared<int>(2000);
  app.add_option("kind", *kind, "live (mysqld answers) or ready (role-specific readiness)")
      ->required()
      ->check(CLI::IsMember({"live", "ready"}));
  app.add_option("--url", *url, "The agent's base URL")->capture_default_str();
  app.add_option("--timeout-ms", *timeout_ms, "Give up after this long")->capture_default_str();
  return [kind, url, timeout_ms]() {
    const char* path = *kind == "live" ? "/healthz" : "/readyz";
    auto reply = net::HttpGet(*url, path, std::chrono::milliseconds(*timeout_ms));
    if (!reply.ok() && reply.status().code() == StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "mysqlset probe: error: %s\n", reply.status().message().c_str());
      return 2;
    }
    if (!reply.ok()) {
      std::fprintf(stderr, "mysqlset probe: %s\n", reply.status().message().c_str());
      return 1;
    }
    if (reply->status != 200) {
      std::fprintf(stderr, "mysqlset probe: %s", reply->body.c_str());
      return 1;
    }
    return 0;
  };
}

}  // namespace mysqlset::cmd
