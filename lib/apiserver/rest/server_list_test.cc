// LIST over REST: bodies assembled from the watch cache's encodings must be what encoding each
// object would give (built-in kinds' items without kind and apiVersion), for whole lists,
// selected lists, pages (cached first page, store-read continue pages) and tables.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "lib/api/scheme/builtin.h"
#include "lib/apiserver/rest/server.h"
#include "lib/store/memory/memory_store.h"
#include "rapidjson/document.h"

namespace rudder::apiserver {
namespace {

constexpr char kCmPath[] = "/api/v1/namespaces/default/configmaps";
constexpr char kTypeMeta[] = R"({"kind":"ConfigMap","apiVersion":"v1",)";

class ServerListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::NewMemoryStore());
    scheme_ = api::NewBuiltinScheme();
    ApiServerOptions o;
    o.store = store_.get();
    o.scheme = scheme_.get();
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    for (int i = 0; i < 5; ++i) {
      auto r = client_->Post(
          kCmPath,
          absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c)", i,
                       R"(","labels":{"app":")", i % 2 == 0 ? "even" : "odd",
                       R"("}},"data":{"k":"v)", i, R"("}})"),
          "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201) << r->body;
    }
  }

  // The object as a GET returns it, without its kind and apiVersion (a list item's form).
  std::string Item(const std::string& name) {
    auto r = client_->Get(absl::StrCat(kCmPath, "/", name));
    EXPECT_TRUE(r && r->status == 200);
    if (!r) return "";
    EXPECT_EQ(r->body.rfind(kTypeMeta, 0), 0u) << r->body;
    return absl::StrCat("{", r->body.substr(std::string(kTypeMeta).size()));
  }

  // The body a LIST of `names` at `rv` must be, byte for byte.
  std::string Want(const std::vector<std::string>& names, const std::string& meta) {
    std::vector<std::string> items;
    for (const std::string& n : names) items.push_back(Item(n));
    return absl::StrCat(R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{)", meta,
                        R"(},"items":[)", absl::StrJoin(items, ","), "]}");
  }

  static std::string Rv(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError() || !d.IsObject()) return "";
    return d["metadata"]["resourceVersion"].GetString();
  }
  static std::string Continue(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError() || !d["metadata"].HasMember("continue")) return "";
    return d["metadata"]["continue"].GetString();
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::Scheme> scheme_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerListTest, WholeListIsEachObjectsJsonWithContentLength) {
  auto r = client_->Get(kCmPath);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->get_header_value("Content-Length"), absl::StrCat(r->body.size()));
  const std::string rv = Rv(r->body);
  ASSERT_FALSE(rv.empty()) << r->body;
  EXPECT_EQ(r->body,
            Want({"c0", "c1", "c2", "c3", "c4"}, absl::StrCat(R"("resourceVersion":")", rv, "\"")));
  // A changed object is listed as it is now; the others as before.
  auto put = client_->Put(
      absl::StrCat(kCmPath, "/c1"),
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"k":"new"}})",
      "application/json");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 200) << put->body;
  r = client_->Get(kCmPath);
  ASSERT_TRUE(r);
  const std::string rv2 = Rv(r->body);
  EXPECT_NE(rv2, rv);
  EXPECT_TRUE(absl::StrContains(r->body, R"("data":{"k":"new"})")) << r->body;
  EXPECT_EQ(r->body, Want({"c0", "c1", "c2", "c3", "c4"},
                          absl::StrCat(R"("resourceVersion":")", rv2, "\"")));
  // Gzip is not applied to list bodies, whatever the client accepts.
  r = client_->Get(kCmPath, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Encoding"), "");
}

TEST_F(ServerListTest, SelectedListAndPages) {
  auto r = client_->Get(absl::StrCat(kCmPath, "?labelSelector=app%3Deven"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            Want({"c0", "c2", "c4"}, absl::StrCat(R"("resourceVersion":")", Rv(r->body), "\"")));
  r = client_->Get(absl::StrCat(kCmPath, "?fieldSelector=metadata.name%3Dc3"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, Want({"c3"}, absl::StrCat(R"("resourceVersion":")", Rv(r->body), "\"")));
  // Pages of 2: the first from the cache, the next ones read from the store at its revision.
  r = client_->Get(absl::StrCat(kCmPath, "?limit=2"));
  ASSERT_TRUE(r);
  const std::string rv = Rv(r->body);
  std::string token = Continue(r->body);
  ASSERT_FALSE(token.empty()) << r->body;
  EXPECT_EQ(r->body,
            Want({"c0", "c1"}, absl::StrCat(R"("resourceVersion":")", rv, R"(","continue":")",
                                            token, R"(","remainingItemCount":3)")));
  r = client_->Get(absl::StrCat(kCmPath, "?limit=2&continue=", token));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Rv(r->body), rv);
  token = Continue(r->body);
  ASSERT_FALSE(token.empty()) << r->body;
  EXPECT_EQ(r->body,
            Want({"c2", "c3"}, absl::StrCat(R"("resourceVersion":")", rv, R"(","continue":")",
                                            token, R"(","remainingItemCount":1)")));
  r = client_->Get(absl::StrCat(kCmPath, "?limit=2&continue=", token));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, Want({"c4"}, absl::StrCat(R"("resourceVersion":")", rv, "\"")));
}

TEST_F(ServerListTest, TableHasARowPerObject) {
  httplib::Headers table = {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}};
  auto r = client_->Get(absl::StrCat(kCmPath, "?labelSelector=app%3Dodd"), table);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  ASSERT_FALSE(d.HasParseError()) << r->body;
  EXPECT_STREQ(d["kind"].GetString(), "Table");
  ASSERT_EQ(d["rows"].Size(), 2u);
  EXPECT_STREQ(d["rows"][0]["cells"][0].GetString(), "c1");
  EXPECT_STREQ(d["rows"][1]["cells"][0].GetString(), "c3");
}

TEST_F(ServerListTest, WatchEventsCarryTheObjectsJson) {
  auto list = client_->Get(kCmPath);
  ASSERT_TRUE(list);
  std::string received;
  httplib::Client c("127.0.0.1", server_->port());
  c.Get(absl::StrCat(kCmPath,
                     "?watch=true&resourceVersion=0&timeoutSeconds=1&labelSelector=", "app%3Dodd"),
        [&](const char* data, size_t n) {
          received.append(data, n);
          return true;
        });
  auto get = [&](const std::string& name) {
    auto r = client_->Get(absl::StrCat(kCmPath, "/", name));
    return r ? r->body : "";
  };
  EXPECT_EQ(received, absl::StrCat(R"({"type":"ADDED","object":)", get("c1"), "}\n",
                                   R"({"type":"ADDED","object":)", get("c3"), "}\n"));
}

}  // namespace
}  // namespace rudder::apiserver
