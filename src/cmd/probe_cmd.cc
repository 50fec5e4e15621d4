#include <memory>

#include "cmd/commands.h"
#include "httplib.h"

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
    // httplib::Client throws std::invalid_argument for an unsupported scheme (ftp://...).
    std::unique_ptr<httplib::Client> holder;
    try {
      holder = std::make_unique<httplib::Client>(*url);
    } catch (const std::exception&) {
    }
    if (!holder || !holder->is_valid()) {
      std::fprintf(stderr, "mysqlset probe: error: '%s' is not a valid http URL\n", url->c_str());
      return 2;
    }
    httplib::Client& client = *holder;
    const time_t sec = *timeout_ms / 1000;
    const time_t usec = (*timeout_ms % 1000) * 1000;
    client.set_connection_timeout(sec, usec);
    client.set_read_timeout(sec, usec);
    const char* path = *kind == "live" ? "/healthz" : "/readyz";
    auto res = client.Get(path);
    if (!res) {
      std::fprintf(stderr, "mysqlset probe: %s%s: no answer (%s)\n", url->c_str(), path,
                   httplib::to_string(res.error()).c_str());
      return 1;
    }
    if (res->status != 200) {
      std::fprintf(stderr, "mysqlset probe: %s", res->body.c_str());
      return 1;
    }
    return 0;
  };
}

}  // namespace mysqlset::cmd
