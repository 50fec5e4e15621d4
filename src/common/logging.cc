#include "common/logging.h"

#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace mysqlset {
namespace {

std::string& DefaultFormat() {
  static std::string format = "text";
  return format;
}

// %* writes the message as the inside of a JSON string: quotes, backslashes and control
// characters escaped, so one event stays one parseable line whatever the message holds.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (const char c : msg.payload) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\r':
          dest.append(std::string_view("\\r"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<unsigned>(c));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

void SetDefaultLogFormat(std::string_view format) { DefaultFormat() = std::string(format); }

std::string LogPattern(std::string_view format) {
  if (format == "json") {
    return R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","component":"%n","msg":"%*"})";
  }
  return "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ [%n] %v";
}

void SetUpLogging(std::string_view component, std::string_view level, std::string_view format) {
  const std::string f(format.empty() ? std::string_view(DefaultFormat()) : format);
  auto logger = spdlog::stderr_color_mt(std::string(component));
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(LogPattern(f));
  logger->set_formatter(std::move(formatter));
  // JSON must not carry colour escapes; text keeps them on a terminal only (spdlog's rule).
  if (f == "json") {
    if (auto* sink = dynamic_cast<spdlog::sinks::stderr_color_sink_mt*>(logger->sinks()[0].get())) {
      sink->set_color_mode(spdlog::color_mode::never);
    }
  }
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace mysqlset
