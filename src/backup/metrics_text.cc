#include "backup/metrics_text.h"

#include "fmt/format.h"

namespace mysqlset::backup {

namespace {

// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string Escaped(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

}  // namespace

std::string PlainMetricsText(std::span<const PlainMetric> metrics, std::string_view cluster) {
  const std::string labels = fmt::format("{{cluster=\"{}\"}}", Escaped(cluster));
  std::string out;
  for (const PlainMetric& m : metrics) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0}{3} {4}\n", m.name, m.help, m.type,
                       labels, m.value);
  }
  return out;
}

}  // namespace mysqlset::backup
