#pragma once
// Prometheus text for the backup code's few plain series (the archiver's and the backup-age
// monitor's), appended to the agent's /metrics. Pure.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mysqlset::backup {

struct PlainMetric {
  // Whole names as literals at the call site: tests/k8s/monitoring/check_metrics.py reads
  // the exported names from the source.
  const char* name;
  const char* type;  // "gauge", "counter"
  const char* help;
  int64_t value;
};

// "# HELP", "# TYPE" and the sample of each, in order, labelled `cluster` as every series of
// the agent is (docs/status.md): the alerts group by it.
std::string PlainMetricsText(std::span<const PlainMetric> metrics, std::string_view cluster);

}  // namespace mysqlset::backup
