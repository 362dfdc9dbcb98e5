#include "lib/apiserver/rest/internal/list_body.h"

#include <string>

#include "gtest/gtest.h"

namespace rudder::apiserver::rest_internal {
namespace {

TEST(AfterTypeMetaTest, StripsKindAndApiVersion) {
  const std::string prefix = TypeMetaPrefix("v1", "Pod");
  EXPECT_EQ(prefix, R"({"kind":"Pod","apiVersion":"v1")");
  std::string json = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}})";
  EXPECT_EQ(AfterTypeMeta(json, prefix), R"("metadata":{"name":"a"}})");
  EXPECT_EQ(AfterTypeMeta(R"({"kind":"Pod","apiVersion":"v1"})", prefix), "}");
  // Another kind, or no type meta at all: nothing.
  EXPECT_EQ(AfterTypeMeta(R"({"kind":"Pods","apiVersion":"v1","a":1})", prefix), "");
  EXPECT_EQ(AfterTypeMeta(R"({"metadata":{}})", prefix), "");
  EXPECT_EQ(AfterTypeMeta(prefix, prefix), "");
}

TEST(JsonListBodyTest, JoinsItemsWithCommas) {
  JsonListBody body("[", "]");
  EXPECT_EQ(body.ToString(), "[]");
  EXPECT_EQ(body.size(), 2u);
  std::string a = R"({"a":1})";
  body.AddView(a);
  body.AddView(R"("b":2})", /*open_brace=*/true);
  body.AddOwned(R"({"c":3})");
  const std::string want = R"([{"a":1},{"b":2},{"c":3}])";
  EXPECT_EQ(body.ToString(), want);
  EXPECT_EQ(body.size(), want.size());
  ASSERT_EQ(body.ItemViews().size(), 3u);
  EXPECT_EQ(body.ItemViews()[1], R"("b":2})");
}

TEST(JsonListBodyTest, NextWritesEverythingOnceInBatches) {
  JsonListBody body(R"({"items":[)", "]}");
  std::string want = R"({"items":[)";
  for (int i = 0; i < 100; ++i) {
    std::string item = "{\"n\":" + std::to_string(i) + "}";
    want += (i > 0 ? "," : "") + item;
    body.AddOwned(item);
  }
  want += "]}";
  for (size_t batch : {size_t{1}, size_t{7}, size_t{64}, size_t{1} << 20}) {
    JsonListBody copy(R"({"items":[)", "]}");
    for (std::string_view v : body.ItemViews()) copy.AddView(v);
    std::string got;
    int calls = 0;
    while (true) {
      std::string piece;
      if (!copy.Next(batch, &piece)) break;
      EXPECT_FALSE(piece.empty());
      got += piece;
      ++calls;
    }
    EXPECT_EQ(got, want) << batch;
    EXPECT_EQ(copy.size(), want.size());
    if (batch == 1) {
      EXPECT_EQ(calls, 102);  // head, 100 items, tail
    }
    if (batch == (size_t{1} << 20)) {
      EXPECT_EQ(calls, 1);
    }
    std::string more;
    EXPECT_FALSE(copy.Next(batch, &more));
    EXPECT_TRUE(more.empty());
  }
}

}  // namespace
}  // namespace rudder::apiserver::rest_internal
