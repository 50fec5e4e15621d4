#include "agent/switchover_api.h"

#include "gtest/gtest.h"
#include "testing/fake_coord_store.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

using formats::FromJson;
using formats::SwitchoverRequest;

MemberView Member(uint32_t ord, bool replicating) {
  MemberView m;
  m.name = "mysql-" + std::to_string(ord);
  m.ordinal = ord;
  m.lease = 100 + ord;
  m.mysql_reachable = true;
  m.has_data = true;
  m.gtid_binlog = GtidList::Parse("0-100-5").value();
  m.replicating = replicating;
  m.lag_seconds = 0.0;
  return m;
}

class SwitchoverApiTest : public ::testing::Test {
 protected:
  SwitchoverApiTest()
      : store_(&clock_),
        api_(SwitchoverApi::Deps{&store_, formats::StoreKeys("mysql"), "mysql", 3, "s3cret",
                                 SwitchoverPolicy{}, [this] { return ReadView(); }, &clock_}) {
    view_.leader = LeaderView{"mysql-0", 1, 100, 5};
    view_.members = {Member(0, false), Member(1, true), Member(2, true)};
  }

  Result<ClusterView> ReadView() {
    ++reads_;
    if (store_down_) return Unavailable("no endpoint answered");
    return view_;
  }

  net::HttpResponse Post(const std::string& body, const std::string& auth = "Bearer s3cret") {
    net::HttpRequest r;
    r.method = "POST";
    r.path = "/v1/switchover";
    if (!auth.empty()) r.headers.emplace_back("Authorization", auth);
    r.body = body;
    return api_.Post(r);
  }
  net::HttpResponse Get() { return api_.Get(net::HttpRequest{}); }
  std::optional<StoredValue> Stored() { return store_.Get("/mysqlset/mysql/switchover").value(); }

  FakeClock clock_;
  FakeCoordStore store_;
  ClusterView view_;
  bool store_down_ = false;
  int reads_ = 0;
  SwitchoverApi api_;
};

TEST_F(SwitchoverApiTest, CreatesTheRequestOnAFreshLease) {
  EXPECT_EQ(Get().status, 404);
  net::HttpResponse r = Post(R"({"to":"mysql-2"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto req = FromJson<SwitchoverRequest>(r.body).value();
  EXPECT_EQ(req.from, "mysql-0");
  EXPECT_EQ(req.to, "mysql-2");
  EXPECT_EQ(req.state, "requested");
  EXPECT_EQ(req.id.size(), 16u);
  auto stored = Stored();
  ASSERT_TRUE(stored.has_value());
  EXPECT_NE(stored->lease, 0);
  EXPECT_EQ(FromJson<SwitchoverRequest>(stored->value)->id, req.id);
  EXPECT_EQ(Get().status, 200);
  EXPECT_EQ(FromJson<SwitchoverRequest>(Get().body)->id, req.id);
  EXPECT_EQ(r.body.find("s3cret"), std::string::npos);
  // The lease is the requester's 30 s: nobody renews it.
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_FALSE(Stored().has_value());
}

TEST_F(SwitchoverApiTest, WithoutATargetPicksAReplica) {
  for (const char* body : {"", "{}", R"({"to":null})"}) {
    ASSERT_TRUE(store_.Delete("/mysqlset/mysql/switchover").ok());
    net::HttpResponse r = Post(body);
    ASSERT_EQ(r.status, 202) << body << ": " << r.body;
    EXPECT_EQ(FromJson<SwitchoverRequest>(r.body)->to, "mysql-1") << body;
  }
}

TEST_F(SwitchoverApiTest, WrongOrMissingTokenIs401AndChangesNothing) {
  for (const char* auth : {"", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret2",
                           "bearer s3cret", "Basic s3cret", "Bearer S3cret"}) {
    net::HttpResponse r = Post("{}", auth);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line";
    EXPECT_EQ(r.body.find("s3cret"), std::string::npos);
  }
  EXPECT_FALSE(Stored().has_value());
  EXPECT_EQ(reads_, 0);
}

TEST_F(SwitchoverApiTest, BadBodiesAre400) {
  for (const char* body : {"[1]", "nope", R"({"to":3})", R"({"target":"mysql-1"})"}) {
    net::HttpResponse r = Post(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.body.rfind("switchover: ", 0), 0u) << r.body;
  }
  EXPECT_FALSE(Stored().has_value());
}

TEST_F(SwitchoverApiTest, RefusalIs409WithTheLineAndChangesNothing) {
  net::HttpResponse r = Post(R"({"to":"mysql-0"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "switchover refused: mysql-0 is already the primary\n");
  view_.members[2].replicating = false;
  r = Post(R"({"to":"mysql-2"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "switchover refused: mysql-2 is not replicating\n");
  EXPECT_FALSE(Stored().has_value());
  EXPECT_EQ(store_.revision(), 1);  // nothing was written
}

TEST_F(SwitchoverApiTest, OneRequestAtATime) {
  ASSERT_EQ(Post(R"({"to":"mysql-2"})").status, 202);
  const std::string first = Stored()->value;
  net::HttpResponse r = Post(R"({"to":"mysql-1"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("is already in progress (requested)"), std::string::npos) << r.body;
  EXPECT_EQ(Stored()->value, first);
  // A finished one may be replaced.
  auto done = FromJson<SwitchoverRequest>(first).value();
  done.state = "done";
  ASSERT_TRUE(
      store_.Put("/mysqlset/mysql/switchover", formats::ToJson(done), Stored()->lease).ok());
  r = Post(R"({"to":"mysql-1"})");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(FromJson<SwitchoverRequest>(Stored()->value)->to, "mysql-1");
}

TEST_F(SwitchoverApiTest, DrainNeedsTheTokenAndLeavesTheStoreAlone) {
  int drained = 0;
  net::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/drain";
  EXPECT_EQ(api_.Drain(r, [&] { ++drained; }).status, 401);
  r.headers.emplace_back("Authorization", "Bearer wrong!");
  EXPECT_EQ(api_.Drain(r, [&] { ++drained; }).status, 401);
  EXPECT_EQ(drained, 0);
  r.headers.back().second = "Bearer s3cret";
  net::HttpResponse ok = api_.Drain(r, [&] { ++drained; });
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(drained, 1);
  EXPECT_EQ(ok.body.find("s3cret"), std::string::npos);
  EXPECT_FALSE(Stored().has_value());
  EXPECT_EQ(reads_, 0);
}

TEST_F(SwitchoverApiTest, StoreDownIs503) {
  store_down_ = true;
  EXPECT_EQ(Post("{}").status, 503);
  store_.SetUnavailable(true);
  EXPECT_EQ(Post("{}").status, 503);
  EXPECT_EQ(Get().status, 503);
}

}  // namespace
}  // namespace mysqlset
