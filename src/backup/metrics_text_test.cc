#include "backup/metrics_text.h"

#include <gtest/gtest.h>

namespace mysqlset::backup {
namespace {

// Regression: the archiver's series had no `cluster` label, which every alert groups by.
TEST(PlainMetricsText, EverySampleCarriesTheClusterLabel) {
  struct Case {
    const char* cluster;
    const char* want;
  };
  const Case cases[] = {
      {"mysql",
       "# HELP mysqlset_x_total Things.\n# TYPE mysqlset_x_total counter\n"
       "mysqlset_x_total{cluster=\"mysql\"} 7\n"
       "# HELP mysqlset_y A gauge.\n# TYPE mysqlset_y gauge\nmysqlset_y{cluster=\"mysql\"} -1\n"},
      {"a\"b\\c\nd",
       "# HELP mysqlset_x_total Things.\n# TYPE mysqlset_x_total counter\n"
       "mysqlset_x_total{cluster=\"a\\\"b\\\\c\\nd\"} 7\n"
       "# HELP mysqlset_y A gauge.\n# TYPE mysqlset_y gauge\n"
       "mysqlset_y{cluster=\"a\\\"b\\\\c\\nd\"} -1\n"},
  };
  const PlainMetric metrics[] = {{"mysqlset_x_total", "counter", "Things.", 7},
                                 {"mysqlset_y", "gauge", "A gauge.", -1}};
  for (const auto& c : cases) EXPECT_EQ(PlainMetricsText(metrics, c.cluster), c.want) << c.cluster;
}

}  // namespace
}  // namespace mysqlset::backup
