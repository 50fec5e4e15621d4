#include "etcd/etcd_store.h"

#include <gtest/gtest.h>

#include <map>

namespace mysqlset::etcd {
namespace {

using std::chrono::milliseconds;

TEST(ParseEtcdEndpointsTest, Accepted) {
  struct Case {
    std::string text;
    std::vector<EtcdEndpoint> want;
  };
  const Case cases[] = {
      {"http://127.0.0.1:2379", {{"127.0.0.1", 2379}}},
      {"http://127.0.0.1:2379/", {{"127.0.0.1", 2379}}},
      {" http://etcd-0.etcd:2379 , http://etcd-1.etcd:2379,http://127.0.0.1:1",
       {{"etcd-0.etcd", 2379}, {"etcd-1.etcd", 2379}, {"127.0.0.1", 1}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = ParseEtcdEndpoints(c.text);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, c.want);
  }
  EXPECT_EQ((EtcdEndpoint{"127.0.0.1", 2379}).url(), "http://127.0.0.1:2379");
}

TEST(ParseEtcdEndpointsTest, RefusedWithOneLineNamingTheEntry) {
  struct Case {
    std::string text, names;
  };
  const Case cases[] = {
      {"", "no etcd endpoints given"},
      {"  ", "no etcd endpoints given"},
      {"127.0.0.1:2379", "'127.0.0.1:2379' is not http://HOST:PORT"},
      {"https://127.0.0.1:2379", "'https://127.0.0.1:2379' is not http://HOST:PORT"},
      {"http://127.0.0.1", "'http://127.0.0.1' is not"},
      {"http://127.0.0.1:", "'http://127.0.0.1:' is not"},
      {"http://127.0.0.1:0", "'http://127.0.0.1:0' is not"},
      {"http://127.0.0.1:65536", "'http://127.0.0.1:65536' is not"},
      {"http://127.0.0.1:23x", "'http://127.0.0.1:23x' is not"},
      {"http://:2379", "'http://:2379' is not"},
      {"http://user@h:2379", "'http://user@h:2379' is not"},
      {"http://h:2379/v3", "'http://h:2379/v3' is not"},
      {"http://[::1]:2379", "'http://[::1]:2379' is not"},
      {"http://a:1,,http://b:2", "have an empty entry"},
      {"http://a:1,", "have an empty entry"},
      {"http://a:1,http://a:1", "'http://a:1' is given twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = ParseEtcdEndpoints(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    const std::string& message = got.status().message();
    EXPECT_NE(message.find(c.names), std::string::npos) << message;
    EXPECT_NE(message.find("e.g. http://127.0.0.1:2379"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_EQ(OpenEtcdStore("127.0.0.1:2379", milliseconds(100)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(OpenEtcdStore("http://127.0.0.1:2379", milliseconds(100)).ok());
}

// Endpoints scripted by URL; every request is recorded.
class ScriptedTransport {
 public:
  using Answer = std::function<Result<net::HttpReply>()>;
  std::map<std::string, Answer> answers;
  std::vector<std::string> asked;  // "url path"

  EtcdTransport transport() {
    return [this](const std::string& url, const std::string& path, const std::string&,
                  milliseconds timeout) -> Result<net::HttpReply> {
      EXPECT_EQ(timeout, milliseconds(250));
      asked.push_back(url + path);
      return answers.at(url)();
    };
  }
};

const std::string kA = "http://a:1", kB = "http://b:2", kC = "http://c:3";
const std::string kEmptyRange = R"({"header":{"revision":"3"}})";

Result<net::HttpReply> Refused() { return Unavailable("POST x: no answer (Connection)"); }
Result<net::HttpReply> SentNoAnswer() { return DeadlineExceeded("POST x: sent, but no answer"); }
Result<net::HttpReply> NoLeader() {
  return net::HttpReply{503, R"({"message":"etcdserver: no leader","code":14})"};
}
Result<net::HttpReply> Reply(const std::string& body) { return net::HttpReply{200, body}; }

class EtcdStoreTest : public ::testing::Test {
 protected:
  EtcdStore MakeStore() {
    return EtcdStore({{"a", 1}, {"b", 2}, {"c", 3}}, milliseconds(250), script_.transport());
  }
  ScriptedTransport script_;
};

TEST_F(EtcdStoreTest, SkipsEndpointsThatDoNotAnswerAndStartsWithTheLastGoodOne) {
  script_.answers = {{kA, Refused}, {kB, NoLeader}, {kC, [] { return Reply(kEmptyRange); }}};
  EtcdStore store = MakeStore();
  auto got = store.Get("k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
  auto listed = store.List("k");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(script_.asked, (std::vector<std::string>{kA + "/v3/kv/range", kB + "/v3/kv/range",
                                                     kC + "/v3/kv/range", kC + "/v3/kv/range"}));
}

TEST_F(EtcdStoreTest, NoEndpointAnsweringIsUnavailableNamingThemAll) {
  script_.answers = {{kA, Refused}, {kB, SentNoAnswer}, {kC, NoLeader}};
  EtcdStore store = MakeStore();
  auto st = store.Put("k", "v");
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("no endpoint answered (http://a:1,http://b:2,http://c:3)"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("no leader"), std::string::npos) << st.message();
  EXPECT_EQ(script_.asked.size(), 3u);
  // The next call starts elsewhere, so one dead endpoint is not always asked first.
  script_.asked.clear();
  EXPECT_EQ(store.KeepAlive(1).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(script_.asked.front(), kB + "/v3/lease/keepalive");
}

TEST_F(EtcdStoreTest, TxnGoesElsewhereOnlyWhenItWasNeverSent) {
  script_.answers = {{kA, Refused},
                     {kB, [] { return Reply(R"({"succeeded":true})"); }},
                     {kC, [] { return Reply(R"({"succeeded":true})"); }}};
  EtcdStore store = MakeStore();
  auto won = store.Txn({TxnCompare::Absent("k")}, {TxnOp::Put("k", "v")});
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_TRUE(*won);
  EXPECT_EQ(script_.asked, (std::vector<std::string>{kA + "/v3/kv/txn", kB + "/v3/kv/txn"}));

  // B got it but did not answer: it may have been applied, so C is not asked.
  script_.answers[kB] = SentNoAnswer;
  script_.asked.clear();
  auto unknown = store.Txn({TxnCompare::Absent("k")}, {TxnOp::Put("k", "v")});
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(unknown.status().message().find("outcome unknown"), std::string::npos);
  EXPECT_EQ(script_.asked, (std::vector<std::string>{kB + "/v3/kv/txn"}));

  // Nor after B answered "no leader" (a timeout may still commit it).
  script_.answers[kB] = NoLeader;
  script_.answers[kC] = NoLeader;
  script_.asked.clear();
  EXPECT_EQ(store.Txn({}, {}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(script_.asked, (std::vector<std::string>{kC + "/v3/kv/txn"}));
}

TEST_F(EtcdStoreTest, AnswersThatAreErrorsAreNotRetried) {
  script_.answers = {{kA,
                      [] {
                        return net::HttpReply{
                            404, R"({"message":"etcdserver: requested lease not found",)"
                                 R"("code":5})"};
                      }},
                     {kB, Refused},
                     {kC, Refused}};
  EtcdStore store = MakeStore();
  EXPECT_EQ(store.Put("k", "v", 99).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.RevokeLease(99).ok());
  EXPECT_EQ(script_.asked.size(), 2u);
}

TEST_F(EtcdStoreTest, GetOfOneKeyChecksTheAnswerIsThatKey) {
  script_.answers = {{kA, [] { return Reply(R"({"kvs":[{"key":"b3RoZXI=","value":"eA=="}]})"); }},
                     {kB, Refused},
                     {kC, Refused}};
  EtcdStore store = MakeStore();
  EXPECT_EQ(store.Get("k").status().code(), StatusCode::kInternal);
  auto other = store.Get("other");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->value, "x");
}

}  // namespace
}  // namespace mysqlset::etcd
