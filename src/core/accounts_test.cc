#include "core/accounts.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(SecretFileModeTest, TableOfModesAndOwners) {
  struct Case {
    unsigned mode;
    bool owned_by_self;
    bool ok;
  };
  const std::vector<Case> cases = {
      {0600, true, true},    // what `up` writes
      {0400, true, true},    // a read-only copy
      {0700, true, true},    // the owner's bits are the owner's business
      {0640, true, false},   // group-readable, and 0600 would do
      {0620, true, false},   // group-writable
      {0644, true, false},   // world-readable: the red team's case
      {0604, true, false},   // world-readable only
      {0602, true, false},   // world-writable
      {0440, false, true},   // Kubernetes Secret, defaultMode 0400 + fsGroup: owner root
      {0400, false, true},   // readable only by its owner (root runs us elsewhere)
      {0460, false, false},  // group may rewrite it
      {0444, false, false},  // defaultMode 0444 / 0644 (Kubernetes' default): world-readable
      {0644, false, false},  // the same, group- and world-readable
      {0441, false, false},  // others may execute: still others' access
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << std::oct << c.mode << " owned_by_self=" << c.owned_by_self);
    const Status st = CheckSecretFileMode("/s/admin-password", c.mode, c.owned_by_self);
    EXPECT_EQ(st.ok(), c.ok) << st.message();
    if (!c.ok) {
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
      EXPECT_EQ(st.message().find('\n'), std::string::npos);
      EXPECT_NE(st.message().find(fmt::format("has mode {:04o}", c.mode)), std::string::npos);
      EXPECT_NE(st.message().find(c.owned_by_self ? "chmod 600 /s/admin-password"
                                                  : "chmod 640 /s/admin-password"),
                std::string::npos)
          << st.message();
    }
  }
}

TEST(SecretFileModeTest, WorldReadableMessageSaysHowToFix) {
  EXPECT_EQ(CheckSecretFileMode("/s/backup-token", 0644, true).message(),
            "secret file /s/backup-token has mode 0644; it must not be readable by group or "
            "others: chmod 600 /s/backup-token");
}

TEST(FreshDatadirAccountsTest, OurFiveAndTheLockedSystemDefinerOnly) {
  EXPECT_EQ(FreshDatadirAccounts(),
            (std::vector<std::string>{"admin@%", "app@%", "backup@127.0.0.1",
                                      "mariadb.sys@localhost", "monitor@127.0.0.1", "repl@%"}));
}

// Issue 13: the users' account must not write through read_only (READ ONLY ADMIN, or SUPER
// and ALL, which include it), nor administer replication, accounts or sessions.
TEST(AppAccountTest, NeverHoldsReadOnlyAdminNorAdministration) {
  const std::vector<Account> accounts = MysqlsetAccounts(Secrets{});
  auto app = std::find_if(accounts.begin(), accounts.end(),
                          [](const Account& a) { return a.user == kAppUser; });
  ASSERT_NE(app, accounts.end());
  EXPECT_EQ(app->host, "%");
  EXPECT_FALSE(app->grant_option);
  for (const char* forbidden :
       {"READ ONLY ADMIN", "READ_ONLY ADMIN", "ALL", "ALL PRIVILEGES", "SUPER", "CONNECTION ADMIN",
        "REPLICATION SLAVE ADMIN", "REPLICATION MASTER ADMIN", "BINLOG ADMIN", "BINLOG REPLAY",
        "CREATE USER", "SET USER", "FILE", "SHUTDOWN", "RELOAD"}) {
    EXPECT_EQ(std::count(app->privileges.begin(), app->privileges.end(), forbidden), 0)
        << forbidden;
  }
  for (const char* needed : {"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER"}) {
    EXPECT_EQ(std::count(app->privileges.begin(), app->privileges.end(), needed), 1) << needed;
  }
}

}  // namespace
}  // namespace mysqlset
