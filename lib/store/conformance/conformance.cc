#include "lib/store/conformance/conformance.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace rudder::store {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

void StoreConformanceTest::SetUp() {
  ASSERT_TRUE(factory().make != nullptr) << "StoreFactory.make is required";
  absl::StatusOr<std::unique_ptr<Store>> store = factory().make();
  if (store.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << factory().name << " unavailable: " << store.status();
  }
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = *std::move(store);
  ASSERT_NE(store_, nullptr);
  absl::StatusOr<int64_t> rev = store_->CurrentRevision();
  ASSERT_TRUE(rev.ok()) << rev.status();
  base_ = *rev;
}

void StoreConformanceTest::TearDown() { store_.reset(); }

namespace {

// Long enough never to fire on a loaded machine; the cases wait for events, not for time.
constexpr absl::Duration kPatience = absl::Seconds(60);

#define CONF_CONCAT_INNER_(a, b) a##b
#define CONF_CONCAT_(a, b) CONF_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr)                             \
  do {                                              \
    const absl::Status conf_status_ = (expr);       \
    ASSERT_TRUE(conf_status_.ok()) << conf_status_; \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(CONF_CONCAT_(conf_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(var, lhs, expr) \
  auto var = (expr);                               \
  ASSERT_TRUE(var.ok()) << var.status();           \
  lhs = *std::move(var)

KeyRange Range(absl::string_view key, absl::string_view end) {
  return KeyRange{std::string(key), std::string(end)};
}

std::string OpenEnd() { return std::string(1, '\0'); }

std::vector<std::string> Keys(const RangeResult& r) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : r.kvs) keys.push_back(kv.key);
  return keys;
}

// What a watcher delivered: its responses with events, flattened, and how it ended.
struct Collected {
  std::vector<WatchEvent> events;
  std::vector<WatchResponse> responses;  // Those with events.
  absl::Status status;                   // Non-OK if the watch ended (or kPatience passed).
  int64_t compact_revision = 0;
};

// Reads from `w` until it delivered `n` events in all, or ended, or kPatience passed.
// Progress notifications are skipped.
Collected Collect(Watcher& w, size_t n) {
  Collected c;
  absl::Time deadline = absl::Now() + kPatience;
  while (c.events.size() < n) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      c.status = absl::DeadlineExceededError(
          absl::StrCat("watch delivered ", c.events.size(), " of ", n, " events"));
      return c;
    }
    std::optional<WatchResponse> r = w.Next(left);
    if (!r.has_value()) continue;
    if (!r->status.ok()) {
      c.status = r->status;
      c.compact_revision = r->compact_revision;
      return c;
    }
    if (r->events.empty()) continue;
    for (const WatchEvent& e : r->events) c.events.push_back(e);
    c.responses.push_back(*std::move(r));
  }
  return c;
}

// Reads from `w` until it ends; returns the final response (events it delivered are dropped).
WatchResponse WaitForEnd(Watcher& w) {
  absl::Time deadline = absl::Now() + kPatience;
  while (absl::Now() < deadline) {
    std::optional<WatchResponse> r = w.Next(deadline - absl::Now());
    if (r.has_value() && !r->status.ok()) return *r;
  }
  WatchResponse timeout;
  timeout.status = absl::DeadlineExceededError("watch did not end");
  return timeout;
}

// Waits for the next progress notification (a response without events); events are dropped.
std::optional<WatchResponse> NextProgress(Watcher& w, absl::Duration patience,
                                          const std::function<void()>& between = nullptr) {
  absl::Time deadline = absl::Now() + patience;
  while (absl::Now() < deadline) {
    if (between) between();
    std::optional<WatchResponse> r = w.Next(absl::Milliseconds(100));
    if (!r.has_value()) continue;
    if (!r->status.ok()) return r;
    if (r->events.empty()) return r;
  }
  return std::nullopt;
}

TxnResult MustTxn(Store& store, const TxnRequest& req) {
  absl::StatusOr<TxnResult> r = store.Txn(req);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : TxnResult{};
}

int64_t MustPut(Store& store, absl::string_view key, absl::string_view value, int64_t lease = 0) {
  absl::StatusOr<int64_t> r = store.Put(key, value, lease);
  EXPECT_TRUE(r.ok()) << key << ": " << r.status();
  return r.ok() ? *r : 0;
}

std::optional<KeyValue> MustGet(Store& store, absl::string_view key, int64_t revision = 0) {
  absl::StatusOr<std::optional<KeyValue>> r = store.Get(key, revision);
  EXPECT_TRUE(r.ok()) << key << "@" << revision << ": " << r.status();
  return r.ok() ? *std::move(r) : std::nullopt;
}

int64_t MustRevision(Store& store) {
  absl::StatusOr<int64_t> r = store.CurrentRevision();
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : -1;
}

// Whether `compare` holds, by running it as a transaction that writes nothing.
bool Holds(Store& store, Compare compare) {
  TxnRequest req;
  req.compares.push_back(std::move(compare));
  return MustTxn(store, req).succeeded;
}

// Polls (in real time) until `key` is gone; false after kPatience.
bool WaitUntilGone(Store& store, absl::string_view key,
                   const std::function<void()>& between = nullptr) {
  absl::Time deadline = absl::Now() + kPatience;
  while (absl::Now() < deadline) {
    if (between) between();
    absl::StatusOr<std::optional<KeyValue>> kv = store.Get(key);
    if (kv.ok() && !kv->has_value()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Revisions, versions, puts and deletes.

TEST_P(StoreConformanceTest, NewStoreIsEmptyAtRevisionOne) {
  if (!factory().fresh_revision) GTEST_SKIP() << "the backend's stores share a revision";
  EXPECT_EQ(MustRevision(*store_), 1);
  ASSERT_OK_AND_ASSIGN(int64_t compacted, store_->CompactRevision());
  EXPECT_EQ(compacted, 0);
  ASSERT_OK_AND_ASSIGN(RangeResult all, store_->Range(KeyRange::Prefix("")));
  EXPECT_TRUE(all.kvs.empty());
  EXPECT_EQ(all.count, 0);
  EXPECT_EQ(all.revision, 1);
}

TEST_P(StoreConformanceTest, EachPutAdvancesTheRevisionByOne) {
  EXPECT_EQ(MustPut(*store_, "a", "1"), base_ + 1);
  EXPECT_EQ(MustPut(*store_, "b", "1"), base_ + 2);
  EXPECT_EQ(MustPut(*store_, "a", "2"), base_ + 3);
  EXPECT_EQ(MustRevision(*store_), base_ + 3);

  std::optional<KeyValue> a = MustGet(*store_, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->key, "a");
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->create_revision, base_ + 1);
  EXPECT_EQ(a->mod_revision, base_ + 3);
  EXPECT_EQ(a->version, 2);
  EXPECT_EQ(a->lease, 0);
  std::optional<KeyValue> b = MustGet(*store_, "b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->create_revision, base_ + 2);
  EXPECT_EQ(b->mod_revision, base_ + 2);
  EXPECT_EQ(b->version, 1);
}

TEST_P(StoreConformanceTest, PutOfTheSameValueStillWrites) {
  MustPut(*store_, "a", "same");
  EXPECT_EQ(MustPut(*store_, "a", "same"), base_ + 2);
  std::optional<KeyValue> a = MustGet(*store_, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->version, 2);
}

TEST_P(StoreConformanceTest, ValuesAreBinary) {
  std::string value("\0\xff\x01zero", 7);
  std::string key("k\xff\x00x", 4);
  MustPut(*store_, key, value);
  std::optional<KeyValue> kv = MustGet(*store_, key);
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->key, key);
  EXPECT_EQ(kv->value, value);
  MustPut(*store_, "empty", "");
  kv = MustGet(*store_, "empty");
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->value, "");
}

TEST_P(StoreConformanceTest, DeleteEndsTheKeyAndARecreateStartsAtVersionOne) {
  MustPut(*store_, "a", "1");
  MustPut(*store_, "a", "2");
  ASSERT_OK_AND_ASSIGN(int64_t deleted, store_->Delete(KeyRange::Single("a")));
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(MustRevision(*store_), base_ + 3);
  EXPECT_FALSE(MustGet(*store_, "a").has_value());

  // Deleting nothing is not a write.
  ASSERT_OK_AND_ASSIGN(deleted, store_->Delete(KeyRange::Single("a")));
  EXPECT_EQ(deleted, 0);
  EXPECT_EQ(MustRevision(*store_), base_ + 3);

  EXPECT_EQ(MustPut(*store_, "a", "3"), base_ + 4);
  std::optional<KeyValue> a = MustGet(*store_, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "3");
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->create_revision, base_ + 4);
  EXPECT_EQ(a->mod_revision, base_ + 4);
}

TEST_P(StoreConformanceTest, DeleteRangeCountsAndWritesOneRevision) {
  MustPut(*store_, "p/a", "1");
  MustPut(*store_, "p/b", "1");
  MustPut(*store_, "p/c", "1");
  MustPut(*store_, "q", "1");
  ASSERT_OK_AND_ASSIGN(int64_t deleted, store_->Delete(KeyRange::Prefix("p/")));
  EXPECT_EQ(deleted, 3);
  EXPECT_EQ(MustRevision(*store_), base_ + 5);
  ASSERT_OK_AND_ASSIGN(RangeResult rest, store_->Range(KeyRange::Prefix("")));
  EXPECT_EQ(Keys(rest), std::vector<std::string>({"q"}));
}

TEST_P(StoreConformanceTest, EmptyKeyIsInvalid) {
  absl::StatusOr<int64_t> put = store_->Put("", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument) << put.status();
  absl::StatusOr<RangeResult> range = store_->Range(KeyRange{"", ""});
  EXPECT_EQ(range.status().code(), absl::StatusCode::kInvalidArgument) << range.status();
  EXPECT_EQ(MustRevision(*store_), base_);
}

// ---------------------------------------------------------------------------------------------
// Range reads.

TEST_P(StoreConformanceTest, RangeBySingleKeyPrefixIntervalAndOpenEnd) {
  for (const char* k : {"c", "ab", "a", "b", "abc"}) MustPut(*store_, k, k);

  ASSERT_OK_AND_ASSIGN(RangeResult single, store_->Range(KeyRange::Single("a")));
  EXPECT_EQ(Keys(single), std::vector<std::string>({"a"}));
  ASSERT_OK_AND_ASSIGN(RangeResult prefix, store_->Range(KeyRange::Prefix("ab")));
  EXPECT_EQ(Keys(prefix), std::vector<std::string>({"ab", "abc"}));
  ASSERT_OK_AND_ASSIGN(RangeResult interval, store_->Range(Range("ab", "c")));
  EXPECT_EQ(Keys(interval), std::vector<std::string>({"ab", "abc", "b"}));
  ASSERT_OK_AND_ASSIGN(RangeResult open, store_->Range(Range("b", OpenEnd())));
  EXPECT_EQ(Keys(open), std::vector<std::string>({"b", "c"}));
  ASSERT_OK_AND_ASSIGN(RangeResult all, store_->Range(KeyRange::Prefix("")));
  EXPECT_EQ(Keys(all), std::vector<std::string>({"a", "ab", "abc", "b", "c"}));
  EXPECT_EQ(all.count, 5);
  EXPECT_FALSE(all.more);
  EXPECT_EQ(all.revision, base_ + 5);
  ASSERT_OK_AND_ASSIGN(RangeResult none, store_->Range(KeyRange::Prefix("zz")));
  EXPECT_TRUE(none.kvs.empty());
  EXPECT_EQ(none.count, 0);
  ASSERT_OK_AND_ASSIGN(RangeResult missing, store_->Range(KeyRange::Single("abcd")));
  EXPECT_TRUE(missing.kvs.empty());
  EXPECT_EQ(missing.revision, base_ + 5);
}

TEST_P(StoreConformanceTest, AnIntervalEndingAtOrBeforeItsStartIsEmpty) {
  for (const char* k : {"a", "b", "c"}) MustPut(*store_, k, k);
  ASSERT_OK_AND_ASSIGN(RangeResult inverted, store_->Range(Range("c", "a")));
  EXPECT_TRUE(inverted.kvs.empty());
  EXPECT_EQ(inverted.count, 0);
  ASSERT_OK_AND_ASSIGN(RangeResult same, store_->Range(Range("b", "b")));
  EXPECT_TRUE(same.kvs.empty());
  ASSERT_OK_AND_ASSIGN(int64_t deleted, store_->Delete(Range("c", "a")));
  EXPECT_EQ(deleted, 0);
  EXPECT_EQ(MustRevision(*store_), base_ + 3);
}

TEST_P(StoreConformanceTest, RangeLimitReportsMoreAndTheFullCount) {
  for (int i = 0; i < 10; ++i) MustPut(*store_, absl::StrCat("k", i), "v");
  RangeOptions options;
  options.limit = 3;
  ASSERT_OK_AND_ASSIGN(RangeResult three, store_->Range(KeyRange::Prefix("k"), options));
  EXPECT_EQ(Keys(three), std::vector<std::string>({"k0", "k1", "k2"}));
  EXPECT_TRUE(three.more);
  EXPECT_EQ(three.count, 10);
  options.limit = 10;
  ASSERT_OK_AND_ASSIGN(RangeResult ten, store_->Range(KeyRange::Prefix("k"), options));
  EXPECT_EQ(ten.kvs.size(), 10u);
  EXPECT_FALSE(ten.more);
  EXPECT_EQ(ten.count, 10);
  options.limit = 50;
  ASSERT_OK_AND_ASSIGN(RangeResult fifty, store_->Range(KeyRange::Prefix("k"), options));
  EXPECT_EQ(fifty.kvs.size(), 10u);
  EXPECT_FALSE(fifty.more);
}

TEST_P(StoreConformanceTest, RangeCountOnlyAndKeysOnly) {
  for (int i = 0; i < 4; ++i) MustPut(*store_, absl::StrCat("k", i), "value");
  RangeOptions count_only;
  count_only.count_only = true;
  ASSERT_OK_AND_ASSIGN(RangeResult counted, store_->Range(KeyRange::Prefix("k"), count_only));
  EXPECT_TRUE(counted.kvs.empty());
  EXPECT_EQ(counted.count, 4);

  RangeOptions keys_only;
  keys_only.keys_only = true;
  ASSERT_OK_AND_ASSIGN(RangeResult keys, store_->Range(KeyRange::Prefix("k"), keys_only));
  ASSERT_EQ(keys.kvs.size(), 4u);
  for (const KeyValue& kv : keys.kvs) {
    EXPECT_EQ(kv.value, "");
    EXPECT_EQ(kv.version, 1);
    EXPECT_GT(kv.mod_revision, base_);
  }
  EXPECT_EQ(keys.count, 4);
}

TEST_P(StoreConformanceTest, RangeAtAPastRevisionSeesTheStoreAsItWas) {
  int64_t r1 = MustPut(*store_, "a", "1");
  int64_t r2 = MustPut(*store_, "b", "1");
  int64_t r3 = MustPut(*store_, "a", "2");
  ASSERT_OK_AND_ASSIGN(int64_t deleted, store_->Delete(KeyRange::Single("b")));
  ASSERT_EQ(deleted, 1);
  int64_t r4 = MustRevision(*store_);
  ASSERT_EQ(r4, base_ + 4);

  RangeOptions at;
  at.revision = r1;
  ASSERT_OK_AND_ASSIGN(RangeResult v1, store_->Range(KeyRange::Prefix(""), at));
  ASSERT_EQ(Keys(v1), std::vector<std::string>({"a"}));
  EXPECT_EQ(v1.kvs[0].value, "1");
  EXPECT_EQ(v1.revision, r4);  // The header revision is the current one.
  at.revision = r2;
  ASSERT_OK_AND_ASSIGN(RangeResult v2, store_->Range(KeyRange::Prefix(""), at));
  EXPECT_EQ(Keys(v2), std::vector<std::string>({"a", "b"}));
  EXPECT_EQ(v2.count, 2);
  at.revision = r3;
  ASSERT_OK_AND_ASSIGN(RangeResult v3, store_->Range(KeyRange::Prefix(""), at));
  ASSERT_EQ(v3.kvs.size(), 2u);
  EXPECT_EQ(v3.kvs[0].value, "2");
  EXPECT_EQ(v3.kvs[0].version, 2);
  EXPECT_EQ(v3.kvs[0].create_revision, r1);
  EXPECT_EQ(v3.kvs[0].mod_revision, r3);
  at.revision = r4;
  ASSERT_OK_AND_ASSIGN(RangeResult v4, store_->Range(KeyRange::Prefix(""), at));
  EXPECT_EQ(Keys(v4), std::vector<std::string>({"a"}));

  std::optional<KeyValue> old = MustGet(*store_, "b", r3);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->value, "1");
  EXPECT_FALSE(MustGet(*store_, "b", r4).has_value());
}

TEST_P(StoreConformanceTest, RangeAtAFutureRevisionIsOutOfRange) {
  MustPut(*store_, "a", "1");
  RangeOptions at;
  at.revision = base_ + 2;
  absl::StatusOr<RangeResult> r = store_->Range(KeyRange::Single("a"), at);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange) << r.status();
  EXPECT_FALSE(IsCompacted(r.status()));
}

// ---------------------------------------------------------------------------------------------
// Transactions.

TEST_P(StoreConformanceTest, CompareOnEveryTargetOfAnExistingKey) {
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600));
  int64_t created = MustPut(*store_, "k", "m");
  int64_t modified = MustPut(*store_, "k", "m", lease.id);  // version 2
  using Op = Compare::Op;

  EXPECT_TRUE(Holds(*store_, Compare::Value("k", Op::kEqual, "m")));
  EXPECT_FALSE(Holds(*store_, Compare::Value("k", Op::kEqual, "n")));
  EXPECT_TRUE(Holds(*store_, Compare::Value("k", Op::kNotEqual, "n")));
  EXPECT_TRUE(Holds(*store_, Compare::Value("k", Op::kLess, "n")));
  EXPECT_TRUE(Holds(*store_, Compare::Value("k", Op::kLess, "mm")));  // byte order
  EXPECT_FALSE(Holds(*store_, Compare::Value("k", Op::kLess, "m")));
  EXPECT_TRUE(Holds(*store_, Compare::Value("k", Op::kGreater, "l")));
  EXPECT_FALSE(Holds(*store_, Compare::Value("k", Op::kGreater, "m")));

  EXPECT_TRUE(Holds(*store_, Compare::Version("k", Op::kEqual, 2)));
  EXPECT_FALSE(Holds(*store_, Compare::Version("k", Op::kEqual, 1)));
  EXPECT_TRUE(Holds(*store_, Compare::Version("k", Op::kNotEqual, 1)));
  EXPECT_TRUE(Holds(*store_, Compare::Version("k", Op::kGreater, 1)));
  EXPECT_FALSE(Holds(*store_, Compare::Version("k", Op::kGreater, 2)));
  EXPECT_TRUE(Holds(*store_, Compare::Version("k", Op::kLess, 3)));
  EXPECT_FALSE(Holds(*store_, Compare::Version("k", Op::kLess, 2)));

  EXPECT_TRUE(Holds(*store_, Compare::CreateRevision("k", Op::kEqual, created)));
  EXPECT_FALSE(Holds(*store_, Compare::CreateRevision("k", Op::kEqual, modified)));
  EXPECT_TRUE(Holds(*store_, Compare::CreateRevision("k", Op::kLess, modified)));
  EXPECT_TRUE(Holds(*store_, Compare::CreateRevision("k", Op::kGreater, created - 1)));
  EXPECT_TRUE(Holds(*store_, Compare::CreateRevision("k", Op::kNotEqual, modified)));

  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("k", Op::kEqual, modified)));
  EXPECT_FALSE(Holds(*store_, Compare::ModRevision("k", Op::kEqual, created)));
  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("k", Op::kGreater, created)));
  EXPECT_FALSE(Holds(*store_, Compare::ModRevision("k", Op::kLess, modified)));
  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("k", Op::kNotEqual, created)));

  EXPECT_TRUE(Holds(*store_, Compare::Lease("k", Op::kEqual, lease.id)));
  EXPECT_FALSE(Holds(*store_, Compare::Lease("k", Op::kEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::Lease("k", Op::kNotEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::Lease("k", Op::kGreater, 0)));

  // None of these wrote.
  EXPECT_EQ(MustRevision(*store_), modified);
  ASSERT_OK(store_->LeaseRevoke(lease.id));
}

TEST_P(StoreConformanceTest, CompareOnAMissingKeySeesZeros) {
  using Op = Compare::Op;
  EXPECT_TRUE(Holds(*store_, Compare::Version("missing", Op::kEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::CreateRevision("missing", Op::kEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("missing", Op::kEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("missing", Op::kLess, 1)));
  EXPECT_TRUE(Holds(*store_, Compare::Lease("missing", Op::kEqual, 0)));
  EXPECT_FALSE(Holds(*store_, Compare::Version("missing", Op::kGreater, 0)));
  // A value never compares true on a missing key.
  EXPECT_FALSE(Holds(*store_, Compare::Value("missing", Op::kEqual, "")));
  EXPECT_FALSE(Holds(*store_, Compare::Value("missing", Op::kNotEqual, "x")));
  EXPECT_FALSE(Holds(*store_, Compare::Value("missing", Op::kGreater, "")));
  // So is a deleted key.
  MustPut(*store_, "gone", "v");
  ASSERT_OK(store_->Delete(KeyRange::Single("gone")).status());
  EXPECT_TRUE(Holds(*store_, Compare::ModRevision("gone", Op::kEqual, 0)));
  EXPECT_TRUE(Holds(*store_, Compare::Version("gone", Op::kEqual, 0)));
}

TEST_P(StoreConformanceTest, CompareOnARangeMustHoldForEveryKey) {
  MustPut(*store_, "r/a", "1");
  MustPut(*store_, "r/b", "1");
  Compare all_v1 = Compare::Version("r/a", Compare::Op::kEqual, 1);
  all_v1.range = KeyRange::Prefix("r/");
  EXPECT_TRUE(Holds(*store_, all_v1));
  MustPut(*store_, "r/b", "2");
  EXPECT_FALSE(Holds(*store_, all_v1));
}

TEST_P(StoreConformanceTest, TxnRunsTheSuccessOrTheFailureBranch) {
  int64_t created = MustPut(*store_, "k", "v1");
  // Create-if-absent fails: the key exists, so the failure branch reads it.
  TxnRequest create;
  create.compares.push_back(Compare::ModRevision("k", Compare::Op::kEqual, 0));
  create.success.push_back(TxnOp::Put("k", "other"));
  create.failure.push_back(TxnOp::Get(KeyRange::Single("k")));
  TxnResult failed = MustTxn(*store_, create);
  EXPECT_FALSE(failed.succeeded);
  EXPECT_EQ(failed.revision, created);
  ASSERT_EQ(failed.results.size(), 1u);
  EXPECT_EQ(failed.results[0].type, TxnOp::Type::kRange);
  ASSERT_EQ(failed.results[0].range.kvs.size(), 1u);
  EXPECT_EQ(failed.results[0].range.kvs[0].value, "v1");
  EXPECT_EQ(MustGet(*store_, "k")->value, "v1");

  // Compare-and-swap on mod_revision succeeds.
  TxnRequest cas;
  cas.compares.push_back(Compare::ModRevision("k", Compare::Op::kEqual, created));
  cas.success.push_back(TxnOp::Put("k", "v2"));
  cas.success.push_back(TxnOp::Get(KeyRange::Single("k")));
  cas.failure.push_back(TxnOp::Get(KeyRange::Single("k")));
  TxnResult swapped = MustTxn(*store_, cas);
  EXPECT_TRUE(swapped.succeeded);
  EXPECT_EQ(swapped.revision, created + 1);
  ASSERT_EQ(swapped.results.size(), 2u);
  EXPECT_EQ(swapped.results[0].type, TxnOp::Type::kPut);
  EXPECT_EQ(swapped.results[1].type, TxnOp::Type::kRange);
  ASSERT_EQ(swapped.results[1].range.kvs.size(), 1u);
  EXPECT_EQ(swapped.results[1].range.kvs[0].value, "v2");  // Reads see earlier ops.

  // The same swap again is stale.
  TxnResult stale = MustTxn(*store_, cas);
  EXPECT_FALSE(stale.succeeded);
  EXPECT_EQ(stale.revision, created + 1);
  EXPECT_EQ(MustRevision(*store_), created + 1);
}

TEST_P(StoreConformanceTest, TxnWithAllComparesHoldingOrNone) {
  MustPut(*store_, "a", "1");
  TxnRequest req;
  req.compares.push_back(Compare::Value("a", Compare::Op::kEqual, "1"));
  req.compares.push_back(Compare::Version("b", Compare::Op::kEqual, 0));
  req.success.push_back(TxnOp::Put("b", "new"));
  EXPECT_TRUE(MustTxn(*store_, req).succeeded);
  EXPECT_FALSE(MustTxn(*store_, req).succeeded);  // b exists now.
  TxnRequest empty;                               // No compares: success.
  EXPECT_TRUE(MustTxn(*store_, empty).succeeded);
}

TEST_P(StoreConformanceTest, TxnThatWritesNothingKeepsTheRevision) {
  MustPut(*store_, "a", "1");
  TxnRequest req;
  req.success.push_back(TxnOp::Get(KeyRange::Prefix("")));
  req.success.push_back(TxnOp::Delete(KeyRange::Single("missing")));
  TxnResult r = MustTxn(*store_, req);
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(r.revision, base_ + 1);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[1].type, TxnOp::Type::kDelete);
  EXPECT_EQ(r.results[1].deleted, 0);
  EXPECT_EQ(MustRevision(*store_), base_ + 1);
}

TEST_P(StoreConformanceTest, WritesOfOneTxnShareOneRevision) {
  MustPut(*store_, "old", "x");
  TxnRequest req;
  req.success.push_back(TxnOp::Put("a", "1"));
  req.success.push_back(TxnOp::Put("b", "1"));
  req.success.push_back(TxnOp::Delete(KeyRange::Single("old")));
  TxnResult r = MustTxn(*store_, req);
  EXPECT_TRUE(r.succeeded);
  EXPECT_EQ(r.revision, base_ + 2);
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[2].deleted, 1);
  EXPECT_EQ(MustRevision(*store_), base_ + 2);
  EXPECT_EQ(MustGet(*store_, "a")->mod_revision, base_ + 2);
  EXPECT_EQ(MustGet(*store_, "b")->mod_revision, base_ + 2);
  EXPECT_EQ(MustGet(*store_, "b")->create_revision, base_ + 2);
  EXPECT_FALSE(MustGet(*store_, "old").has_value());
}

TEST_P(StoreConformanceTest, TxnPuttingOneKeyTwiceIsInvalid) {
  TxnRequest req;
  req.success.push_back(TxnOp::Put("a", "1"));
  req.success.push_back(TxnOp::Put("a", "2"));
  absl::StatusOr<TxnResult> r = store_->Txn(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_EQ(MustRevision(*store_), base_);
  EXPECT_FALSE(MustGet(*store_, "a").has_value());
}

TEST_P(StoreConformanceTest, PutAndDeleteReturnPreviousValuesWhenAsked) {
  TxnRequest first;
  first.success.push_back(TxnOp::Put("a", "1", 0, /*prev_kv=*/true));
  TxnResult r1 = MustTxn(*store_, first);
  ASSERT_EQ(r1.results.size(), 1u);
  EXPECT_TRUE(r1.results[0].prev_kvs.empty());

  TxnRequest second;
  second.success.push_back(TxnOp::Put("a", "2", 0, /*prev_kv=*/true));
  TxnResult r2 = MustTxn(*store_, second);
  ASSERT_EQ(r2.results.size(), 1u);
  ASSERT_EQ(r2.results[0].prev_kvs.size(), 1u);
  EXPECT_EQ(r2.results[0].prev_kvs[0].value, "1");
  EXPECT_EQ(r2.results[0].prev_kvs[0].mod_revision, base_ + 1);
  EXPECT_EQ(r2.results[0].prev_kvs[0].version, 1);

  TxnRequest quiet;
  quiet.success.push_back(TxnOp::Put("a", "3"));
  TxnResult r3 = MustTxn(*store_, quiet);
  ASSERT_EQ(r3.results.size(), 1u);
  EXPECT_TRUE(r3.results[0].prev_kvs.empty());

  MustPut(*store_, "b", "b");
  TxnRequest del;
  del.success.push_back(TxnOp::Delete(Range("a", "c"), /*prev_kv=*/true));
  TxnResult r4 = MustTxn(*store_, del);
  ASSERT_EQ(r4.results.size(), 1u);
  EXPECT_EQ(r4.results[0].deleted, 2);
  ASSERT_EQ(r4.results[0].prev_kvs.size(), 2u);
  EXPECT_EQ(r4.results[0].prev_kvs[0].key, "a");
  EXPECT_EQ(r4.results[0].prev_kvs[0].value, "3");
  EXPECT_EQ(r4.results[0].prev_kvs[1].key, "b");
}

// ---------------------------------------------------------------------------------------------
// Watches.

TEST_P(StoreConformanceTest, WatchFromNowSeesPutsAndDeletes) {
  MustPut(*store_, "a", "before");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  int64_t put = MustPut(*store_, "a", "after");
  ASSERT_OK(store_->Delete(KeyRange::Single("a")).status());
  Collected c = Collect(*w, 2);
  ASSERT_OK(c.status);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(c.events[0].kv.key, "a");
  EXPECT_EQ(c.events[0].kv.value, "after");
  EXPECT_EQ(c.events[0].kv.mod_revision, put);
  EXPECT_EQ(c.events[0].kv.create_revision, base_ + 1);
  EXPECT_EQ(c.events[0].kv.version, 2);
  EXPECT_FALSE(c.events[0].prev_kv.has_value());
  EXPECT_EQ(c.events[1].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(c.events[1].kv.key, "a");
  EXPECT_EQ(c.events[1].kv.mod_revision, put + 1);
  EXPECT_FALSE(c.events[1].prev_kv.has_value());
  for (const WatchResponse& r : c.responses) {
    EXPECT_GE(r.revision, r.events.back().kv.mod_revision);
  }
}

TEST_P(StoreConformanceTest, WatchFromAPastRevisionReplaysThenFollows) {
  MustPut(*store_, "a", "1");
  MustPut(*store_, "b", "1");
  MustPut(*store_, "a", "2");
  WatchOptions options;
  options.start_revision = base_ + 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), options));
  MustPut(*store_, "c", "1");
  Collected c = Collect(*w, 3);
  ASSERT_OK(c.status);
  ASSERT_EQ(c.events.size(), 3u);
  EXPECT_EQ(c.events[0].kv.key, "b");
  EXPECT_EQ(c.events[0].kv.mod_revision, base_ + 2);
  EXPECT_EQ(c.events[1].kv.key, "a");
  EXPECT_EQ(c.events[1].kv.value, "2");
  EXPECT_EQ(c.events[1].kv.version, 2);
  EXPECT_EQ(c.events[2].kv.key, "c");
  EXPECT_EQ(c.events[2].kv.mod_revision, base_ + 4);
}

TEST_P(StoreConformanceTest, WatchFromTheNextRevisionIsAllowed) {
  MustPut(*store_, "a", "1");
  WatchOptions options;
  options.start_revision = base_ + 2;  // current + 1
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), options));
  MustPut(*store_, "a", "2");
  Collected c = Collect(*w, 1);
  ASSERT_OK(c.status);
  EXPECT_EQ(c.events[0].kv.mod_revision, base_ + 2);
}

TEST_P(StoreConformanceTest, WatchBeyondTheNextRevisionIsOutOfRange) {
  MustPut(*store_, "a", "1");
  WatchOptions options;
  options.start_revision = base_ + 3;
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch(KeyRange::Prefix(""), options);
  EXPECT_EQ(w.status().code(), absl::StatusCode::kOutOfRange) << w.status();
  EXPECT_FALSE(IsCompacted(w.status()));
}

TEST_P(StoreConformanceTest, WatchDeliversOnlyItsKeyRange) {
  WatchOptions options;
  options.start_revision = base_ + 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> single,
                       store_->Watch(KeyRange::Single("a"), options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> prefix,
                       store_->Watch(KeyRange::Prefix("a"), options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> interval, store_->Watch(Range("b", "d"), options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> open,
                       store_->Watch(Range("c", OpenEnd()), options));
  for (const char* k : {"a", "ab", "b", "c", "d", "a"}) MustPut(*store_, k, "v");
  auto keys = [](const Collected& c) {
    std::vector<std::string> out;
    for (const WatchEvent& e : c.events) out.push_back(e.kv.key);
    return out;
  };
  Collected s = Collect(*single, 2);
  ASSERT_OK(s.status);
  EXPECT_EQ(keys(s), std::vector<std::string>({"a", "a"}));
  Collected p = Collect(*prefix, 3);
  ASSERT_OK(p.status);
  EXPECT_EQ(keys(p), std::vector<std::string>({"a", "ab", "a"}));
  Collected i = Collect(*interval, 2);
  ASSERT_OK(i.status);
  EXPECT_EQ(keys(i), std::vector<std::string>({"b", "c"}));
  Collected o = Collect(*open, 2);
  ASSERT_OK(o.status);
  EXPECT_EQ(keys(o), std::vector<std::string>({"c", "d"}));
  // Nothing else arrives for the single-key watch: a final write to it comes next.
  MustPut(*store_, "a", "last");
  Collected s2 = Collect(*single, 1);
  ASSERT_OK(s2.status);
  EXPECT_EQ(s2.events[0].kv.value, "last");
}

TEST_P(StoreConformanceTest, WatchAttachesPreviousValuesWhenAsked) {
  MustPut(*store_, "a", "1");
  WatchOptions with;
  with.prev_kv = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), with));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> plain, store_->Watch(KeyRange::Prefix("")));
  MustPut(*store_, "a", "2");
  MustPut(*store_, "b", "1");
  ASSERT_OK(store_->Delete(KeyRange::Single("a")).status());
  Collected c = Collect(*w, 3);
  ASSERT_OK(c.status);
  ASSERT_TRUE(c.events[0].prev_kv.has_value());
  EXPECT_EQ(c.events[0].prev_kv->value, "1");
  EXPECT_EQ(c.events[0].prev_kv->mod_revision, base_ + 1);
  EXPECT_FALSE(c.events[1].prev_kv.has_value());  // b was new.
  EXPECT_EQ(c.events[2].type, WatchEvent::Type::kDelete);
  ASSERT_TRUE(c.events[2].prev_kv.has_value());
  EXPECT_EQ(c.events[2].prev_kv->value, "2");
  EXPECT_EQ(c.events[2].prev_kv->version, 2);
  Collected p = Collect(*plain, 3);
  ASSERT_OK(p.status);
  for (const WatchEvent& e : p.events) EXPECT_FALSE(e.prev_kv.has_value());
}

TEST_P(StoreConformanceTest, WatchReplayAttachesPreviousValues) {
  MustPut(*store_, "a", "1");
  MustPut(*store_, "a", "2");
  WatchOptions options;
  options.start_revision = base_ + 2;
  options.prev_kv = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), options));
  Collected c = Collect(*w, 1);
  ASSERT_OK(c.status);
  ASSERT_TRUE(c.events[0].prev_kv.has_value());
  EXPECT_EQ(c.events[0].prev_kv->value, "1");
}

TEST_P(StoreConformanceTest, WatchDeliversTheEventsOfOneTxnTogetherInOrder) {
  MustPut(*store_, "z", "old");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  TxnRequest req;
  req.success.push_back(TxnOp::Put("c", "1"));
  req.success.push_back(TxnOp::Put("a", "1"));
  req.success.push_back(TxnOp::Delete(KeyRange::Single("z")));
  req.success.push_back(TxnOp::Put("b", "1"));
  int64_t rev = MustTxn(*store_, req).revision;
  std::optional<WatchResponse> r;
  while (true) {
    r = w->Next(kPatience);
    ASSERT_TRUE(r.has_value());
    ASSERT_OK(r->status);
    if (!r->events.empty()) break;
  }
  ASSERT_EQ(r->events.size(), 4u);
  std::vector<std::string> keys;
  for (const WatchEvent& e : r->events) {
    keys.push_back(e.kv.key);
    EXPECT_EQ(e.kv.mod_revision, rev);
  }
  EXPECT_EQ(keys, std::vector<std::string>({"c", "a", "z", "b"}));
  EXPECT_EQ(r->events[2].type, WatchEvent::Type::kDelete);
  EXPECT_GE(r->revision, rev);
}

TEST_P(StoreConformanceTest, RequestProgressReportsTheCurrentRevision) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("watched/")));
  MustPut(*store_, "watched/a", "1");
  int64_t last = MustPut(*store_, "other", "1");  // Not in the watched range.
  Collected c = Collect(*w, 1);
  ASSERT_OK(c.status);
  w->RequestProgress();
  std::optional<WatchResponse> p = NextProgress(*w, kPatience);
  ASSERT_TRUE(p.has_value());
  ASSERT_OK(p->status);
  EXPECT_TRUE(p->events.empty());
  EXPECT_GE(p->revision, last);
}

TEST_P(StoreConformanceTest, ProgressNotifyWhileIdle) {
  if (!factory().advance_time || factory().progress_notify_interval <= absl::ZeroDuration()) {
    GTEST_SKIP() << "needs advance_time and a progress_notify_interval";
  }
  int64_t last = MustPut(*store_, "other", "1");
  WatchOptions options;
  options.progress_notify = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w,
                       store_->Watch(KeyRange::Prefix("watched/"), options));
  const absl::Duration step = factory().progress_notify_interval;
  std::optional<WatchResponse> p =
      NextProgress(*w, kPatience, [&] { factory().advance_time(step); });
  ASSERT_TRUE(p.has_value());
  ASSERT_OK(p->status);
  EXPECT_GE(p->revision, last);
}

TEST_P(StoreConformanceTest, WatchOfACompactedRevisionFailsWithTheCompactionPoint) {
  for (int i = 0; i < 5; ++i) MustPut(*store_, "a", absl::StrCat(i));
  const int64_t compact_at = base_ + 4;
  ASSERT_OK(store_->Compact(compact_at));
  WatchOptions options;
  options.start_revision = base_ + 2;
  absl::StatusOr<std::unique_ptr<Watcher>> w = store_->Watch(KeyRange::Prefix(""), options);
  if (w.ok()) {
    // A remote backend may learn of the compaction from its first response.
    WatchResponse end = WaitForEnd(**w);
    EXPECT_TRUE(IsCompacted(end.status)) << end.status;
    EXPECT_EQ(end.compact_revision, compact_at);
  } else {
    EXPECT_TRUE(IsCompacted(w.status())) << w.status();
    EXPECT_EQ(CompactedRevision(w.status()), compact_at);
  }
  // The compaction point itself can still be watched.
  options.start_revision = compact_at;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> ok, store_->Watch(KeyRange::Prefix(""), options));
  Collected c = Collect(*ok, 2);
  ASSERT_OK(c.status);
  EXPECT_EQ(c.events[0].kv.mod_revision, compact_at);
  EXPECT_EQ(c.events[1].kv.mod_revision, compact_at + 1);
}

TEST_P(StoreConformanceTest, CancelEndsTheWatch) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  w->Cancel();
  WatchResponse end = WaitForEnd(*w);
  EXPECT_EQ(end.status.code(), absl::StatusCode::kCancelled) << end.status;
  // And stays ended, at once.
  std::optional<WatchResponse> again = w->Next(absl::ZeroDuration());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status.code(), absl::StatusCode::kCancelled);
  MustPut(*store_, "a", "after cancel");
  again = w->Next(absl::ZeroDuration());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status.code(), absl::StatusCode::kCancelled);
}

TEST_P(StoreConformanceTest, DestroyingWatchersLeavesTheStoreServing) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
    MustPut(*store_, "k", absl::StrCat(i));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  MustPut(*store_, "k", "last");
  Collected c = Collect(*w, 1);
  ASSERT_OK(c.status);
  EXPECT_EQ(c.events[0].kv.value, "last");
}

TEST_P(StoreConformanceTest, ReadyCallbackFiresWhenAResponseIsAvailable) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  std::atomic<int> calls{0};
  w->SetReadyCallback([&calls] { calls.fetch_add(1); });
  MustPut(*store_, "a", "1");
  absl::Time deadline = absl::Now() + kPatience;
  while (calls.load() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_GT(calls.load(), 0);
  Collected c = Collect(*w, 1);
  ASSERT_OK(c.status);
  w->SetReadyCallback(nullptr);
  w.reset();  // No callback after destruction (would touch `calls` after scope under ASan).
}

TEST_P(StoreConformanceTest, SlowWatcherIsCutOffAndOthersKeepGoing) {
  WatchOptions slow_options;
  slow_options.max_buffered_events = 5;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> slow,
                       store_->Watch(KeyRange::Prefix(""), slow_options));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> healthy, store_->Watch(KeyRange::Prefix("")));
  constexpr int kWrites = 40;
  for (int i = 0; i < kWrites; ++i) MustPut(*store_, absl::StrCat("k", i), "v");
  // Once the healthy watcher has everything, the slow one has been offered everything too.
  Collected h = Collect(*healthy, kWrites);
  ASSERT_OK(h.status);
  Collected s = Collect(*slow, kWrites);
  EXPECT_EQ(s.status.code(), absl::StatusCode::kResourceExhausted) << s.status;
  EXPECT_LT(s.events.size(), static_cast<size_t>(kWrites));
  // The store keeps serving the others.
  MustPut(*store_, "after", "v");
  Collected h2 = Collect(*healthy, 1);
  ASSERT_OK(h2.status);
  EXPECT_EQ(h2.events[0].kv.key, "after");
}

TEST_P(StoreConformanceTest, ManyWatchersSeeIdenticalSequences) {
  constexpr int kWatchers = 20;
  constexpr int kWrites = 30;
  std::vector<std::unique_ptr<Watcher>> watchers;
  WatchOptions options;
  options.start_revision = base_ + 1;
  for (int i = 0; i < kWatchers; ++i) {
    if (i == kWatchers / 2) {
      for (int j = 0; j < kWrites / 2; ++j) MustPut(*store_, absl::StrCat("k", j % 7), "v");
    }
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), options));
    watchers.push_back(std::move(w));
  }
  for (int j = kWrites / 2; j < kWrites; ++j) {
    TxnRequest req;
    req.success.push_back(TxnOp::Put(absl::StrCat("k", j % 7), absl::StrCat(j)));
    req.success.push_back(TxnOp::Put(absl::StrCat("t", j), "v"));
    MustTxn(*store_, req);
  }
  const size_t total = kWrites / 2 + 2 * (kWrites - kWrites / 2);
  Collected first = Collect(*watchers[0], total);
  ASSERT_OK(first.status);
  for (int i = 1; i < kWatchers; ++i) {
    Collected c = Collect(*watchers[i], total);
    ASSERT_OK(c.status);
    ASSERT_EQ(c.events.size(), first.events.size());
    for (size_t e = 0; e < c.events.size(); ++e) {
      EXPECT_EQ(c.events[e].kv, first.events[e].kv) << "watcher " << i << " event " << e;
      EXPECT_EQ(c.events[e].type, first.events[e].type);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Compaction.

TEST_P(StoreConformanceTest, CompactionDiscardsHistoryBelowThePoint) {
  for (int i = 0; i < 5; ++i) MustPut(*store_, "a", absl::StrCat(i));
  MustPut(*store_, "gone", "x");
  ASSERT_OK(store_->Delete(KeyRange::Single("gone")).status());
  const int64_t current = MustRevision(*store_);
  const int64_t compact_at = base_ + 3;
  ASSERT_OK(store_->Compact(compact_at));
  ASSERT_OK_AND_ASSIGN(int64_t point, store_->CompactRevision());
  EXPECT_EQ(point, compact_at);

  RangeOptions below;
  below.revision = compact_at - 1;
  absl::StatusOr<RangeResult> old = store_->Range(KeyRange::Single("a"), below);
  EXPECT_TRUE(IsCompacted(old.status())) << old.status();
  EXPECT_EQ(CompactedRevision(old.status()), compact_at);

  RangeOptions at;
  at.revision = compact_at;
  ASSERT_OK_AND_ASSIGN(RangeResult kept, store_->Range(KeyRange::Single("a"), at));
  ASSERT_EQ(kept.kvs.size(), 1u);
  EXPECT_EQ(kept.kvs[0].value, "2");
  EXPECT_EQ(kept.kvs[0].version, 3);
  EXPECT_EQ(kept.kvs[0].create_revision, base_ + 1);

  // The present is untouched; compaction is not a write.
  EXPECT_EQ(MustRevision(*store_), current);
  std::optional<KeyValue> a = MustGet(*store_, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "4");
  EXPECT_EQ(a->version, 5);
  EXPECT_FALSE(MustGet(*store_, "gone").has_value());

  // Compacting again at or below the point is the compaction error; above the present is
  // out of range.
  absl::Status again = store_->Compact(compact_at);
  EXPECT_TRUE(IsCompacted(again)) << again;
  absl::Status future = store_->Compact(current + 1);
  EXPECT_EQ(future.code(), absl::StatusCode::kOutOfRange) << future;
  EXPECT_FALSE(IsCompacted(future));

  // Compacting at the present keeps the present readable.
  ASSERT_OK(store_->Compact(current));
  at.revision = current;
  ASSERT_OK_AND_ASSIGN(RangeResult now, store_->Range(KeyRange::Prefix(""), at));
  EXPECT_EQ(Keys(now), std::vector<std::string>({"a"}));
  EXPECT_EQ(MustPut(*store_, "a", "after"), current + 1);
  EXPECT_EQ(MustGet(*store_, "a")->version, 6);
}

// ---------------------------------------------------------------------------------------------
// Leases.

TEST_P(StoreConformanceTest, LeaseGrantTimeToLiveAndKeepAlive) {
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600));
  EXPECT_NE(lease.id, 0);
  EXPECT_EQ(lease.granted_ttl, 600);
  MustPut(*store_, "l/a", "1", lease.id);
  MustPut(*store_, "l/b", "1", lease.id);
  MustPut(*store_, "free", "1");
  std::optional<KeyValue> a = MustGet(*store_, "l/a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->lease, lease.id);

  ASSERT_OK_AND_ASSIGN(LeaseInfo ttl, store_->LeaseTimeToLive(lease.id, /*keys=*/true));
  EXPECT_EQ(ttl.id, lease.id);
  EXPECT_EQ(ttl.granted_ttl, 600);
  EXPECT_GT(ttl.ttl, 0);
  EXPECT_LE(ttl.ttl, 600);
  std::set<std::string> keys(ttl.keys.begin(), ttl.keys.end());
  EXPECT_EQ(keys, std::set<std::string>({"l/a", "l/b"}));
  ASSERT_OK_AND_ASSIGN(LeaseInfo no_keys, store_->LeaseTimeToLive(lease.id));
  EXPECT_TRUE(no_keys.keys.empty());

  ASSERT_OK_AND_ASSIGN(int64_t renewed, store_->LeaseKeepAlive(lease.id));
  EXPECT_EQ(renewed, 600);
  ASSERT_OK(store_->LeaseRevoke(lease.id));
}

TEST_P(StoreConformanceTest, LeaseGrantWithAChosenId) {
  const int64_t id = 0x7e57'0000'0000 + (base_ & 0xffff);
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600, id));
  EXPECT_EQ(lease.id, id);
  absl::StatusOr<LeaseInfo> again = store_->LeaseGrant(600, id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  ASSERT_OK(store_->LeaseRevoke(id));
}

TEST_P(StoreConformanceTest, UnknownLeasesAreNotFound) {
  const int64_t unknown = 0x0bad'0000'0000 + (base_ & 0xffff);
  EXPECT_EQ(store_->LeaseRevoke(unknown).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseKeepAlive(unknown).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseTimeToLive(unknown).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<int64_t> put = store_->Put("k", "v", unknown);
  EXPECT_EQ(put.status().code(), absl::StatusCode::kNotFound) << put.status();
  EXPECT_EQ(MustRevision(*store_), base_);
  EXPECT_FALSE(MustGet(*store_, "k").has_value());
}

TEST_P(StoreConformanceTest, LeaseRevokeDeletesItsKeysInOneRevision) {
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600));
  MustPut(*store_, "l/a", "1", lease.id);
  MustPut(*store_, "l/b", "1", lease.id);
  MustPut(*store_, "l/c", "1", lease.id);
  MustPut(*store_, "l/c", "detached");  // A put without the lease detaches the key.
  MustPut(*store_, "other", "1");
  const int64_t before = MustRevision(*store_);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("l/")));

  ASSERT_OK(store_->LeaseRevoke(lease.id));
  EXPECT_EQ(MustRevision(*store_), before + 1);
  ASSERT_OK_AND_ASSIGN(RangeResult left, store_->Range(KeyRange::Prefix("")));
  EXPECT_EQ(Keys(left), std::vector<std::string>({"l/c", "other"}));
  EXPECT_EQ(store_->LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseRevoke(lease.id).code(), absl::StatusCode::kNotFound);

  Collected c = Collect(*w, 2);
  ASSERT_OK(c.status);
  ASSERT_EQ(c.responses.size(), 1u);  // One revision, one response.
  std::set<std::string> deleted;
  for (const WatchEvent& e : c.events) {
    EXPECT_EQ(e.type, WatchEvent::Type::kDelete);
    EXPECT_EQ(e.kv.mod_revision, before + 1);
    deleted.insert(e.kv.key);
  }
  EXPECT_EQ(deleted, std::set<std::string>({"l/a", "l/b"}));
}

TEST_P(StoreConformanceTest, RevokingALeaseWithoutKeysWritesNothing) {
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600));
  ASSERT_OK(store_->LeaseRevoke(lease.id));
  EXPECT_EQ(MustRevision(*store_), base_);
}

TEST_P(StoreConformanceTest, LeaseExpiryDeletesItsKeys) {
  const bool fake = static_cast<bool>(factory().advance_time);
  const int64_t ttl = fake ? 10 : factory().short_ttl_seconds;
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(ttl));
  MustPut(*store_, "l/a", "1", lease.id);
  MustPut(*store_, "l/b", "1", lease.id);
  MustPut(*store_, "keep", "1");
  const int64_t before = MustRevision(*store_);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix("")));
  if (fake) factory().advance_time(absl::Seconds(ttl + 1));
  ASSERT_TRUE(WaitUntilGone(*store_, "l/a"));
  EXPECT_FALSE(MustGet(*store_, "l/b").has_value());
  EXPECT_TRUE(MustGet(*store_, "keep").has_value());
  EXPECT_EQ(MustRevision(*store_), before + 1);
  EXPECT_EQ(store_->LeaseTimeToLive(lease.id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->LeaseKeepAlive(lease.id).status().code(), absl::StatusCode::kNotFound);
  Collected c = Collect(*w, 2);
  ASSERT_OK(c.status);
  for (const WatchEvent& e : c.events) {
    EXPECT_EQ(e.type, WatchEvent::Type::kDelete);
    EXPECT_EQ(e.kv.mod_revision, before + 1);
  }
}

TEST_P(StoreConformanceTest, KeepAlivePostponesExpiry) {
  if (!factory().advance_time) GTEST_SKIP() << "needs advance_time (a fake clock)";
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(10));
  MustPut(*store_, "l/a", "1", lease.id);
  for (int i = 0; i < 5; ++i) {
    factory().advance_time(absl::Seconds(6));
    ASSERT_OK_AND_ASSIGN(int64_t ttl, store_->LeaseKeepAlive(lease.id));
    EXPECT_EQ(ttl, 10);
  }
  ASSERT_OK_AND_ASSIGN(LeaseInfo info, store_->LeaseTimeToLive(lease.id));
  EXPECT_GT(info.ttl, 0);
  EXPECT_LE(info.ttl, 10);
  EXPECT_TRUE(MustGet(*store_, "l/a").has_value());
  factory().advance_time(absl::Seconds(11));
  EXPECT_TRUE(WaitUntilGone(*store_, "l/a"));
}

TEST_P(StoreConformanceTest, TimeToLiveCountsDown) {
  if (!factory().advance_time) GTEST_SKIP() << "needs advance_time (a fake clock)";
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(100));
  factory().advance_time(absl::Seconds(30));
  ASSERT_OK_AND_ASSIGN(LeaseInfo info, store_->LeaseTimeToLive(lease.id));
  EXPECT_GE(info.ttl, 69);
  EXPECT_LE(info.ttl, 70);
  EXPECT_EQ(info.granted_ttl, 100);
  ASSERT_OK(store_->LeaseRevoke(lease.id));
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

TEST_P(StoreConformanceTest, ConcurrentWritersAndWatchersSeeOneGaplessHistory) {
  constexpr int kWriters = 8;
  constexpr int kOpsPerWriter = 60;
  constexpr int kKeysPerWriter = 5;
  constexpr int kWatchers = 4;
  const int64_t total_revisions = kWriters * kOpsPerWriter;

  WatchOptions options;
  options.start_revision = base_ + 1;
  options.prev_kv = true;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w,
                         store_->Watch(KeyRange::Prefix("c/"), options));
    watchers.push_back(std::move(w));
  }

  std::atomic<bool> failed{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kOpsPerWriter; ++i) {
        std::string key = absl::StrCat("c/w", w, "/k", i % kKeysPerWriter);
        TxnRequest req;
        if (i % 10 == 9) {
          // A two-key transaction guarded by a compare that always holds.
          req.compares.push_back(Compare::Version(key, Compare::Op::kGreater, 0));
          req.success.push_back(TxnOp::Put(key, absl::StrCat(i)));
          req.success.push_back(TxnOp::Put(absl::StrCat("c/w", w, "/txn"), absl::StrCat(i)));
        } else {
          req.success.push_back(TxnOp::Put(key, absl::StrCat(i)));
        }
        absl::StatusOr<TxnResult> r = store_->Txn(req);
        if (!r.ok() || !r->succeeded) failed = true;
      }
    });
  }
  // A reader running alongside: every read is one consistent snapshot.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      absl::StatusOr<RangeResult> r = store_->Range(KeyRange::Prefix("c/"));
      if (!r.ok() || static_cast<int64_t>(r->kvs.size()) != r->count) failed = true;
    }
  });
  // A watcher started mid-way from the first revision must replay the same history.
  absl::SleepFor(absl::Milliseconds(1));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> late,
                       store_->Watch(KeyRange::Prefix("c/"), options));
  watchers.push_back(std::move(late));

  for (std::thread& t : writers) t.join();
  done = true;
  reader.join();
  ASSERT_FALSE(failed.load());
  ASSERT_EQ(MustRevision(*store_), base_ + total_revisions);

  const size_t total_events = kWriters * (kOpsPerWriter + kOpsPerWriter / 10);
  std::vector<WatchEvent> reference;
  for (size_t i = 0; i < watchers.size(); ++i) {
    Collected c = Collect(*watchers[i], total_events);
    ASSERT_TRUE(c.status.ok()) << "watcher " << i << ": " << c.status;
    ASSERT_EQ(c.events.size(), total_events);
    // Gapless and ordered: revisions go base+1, base+2, ... with each revision's events
    // adjacent and within one response.
    int64_t expected = base_ + 1;
    for (size_t e = 0; e < c.events.size(); ++e) {
      int64_t rev = c.events[e].kv.mod_revision;
      if (e > 0 && rev == c.events[e - 1].kv.mod_revision) continue;
      ASSERT_EQ(rev, expected) << "watcher " << i << " event " << e;
      ++expected;
    }
    EXPECT_EQ(expected, base_ + total_revisions + 1);
    for (const WatchResponse& r : c.responses) {
      EXPECT_GE(r.revision, r.events.back().kv.mod_revision);
    }
    // prev_kv chains: each put's previous value is the key's preceding event.
    std::map<std::string, KeyValue> last;
    for (const WatchEvent& e : c.events) {
      auto it = last.find(e.kv.key);
      if (it == last.end()) {
        EXPECT_FALSE(e.prev_kv.has_value());
      } else {
        ASSERT_TRUE(e.prev_kv.has_value());
        EXPECT_EQ(*e.prev_kv, it->second);
      }
      last[e.kv.key] = e.kv;
    }
    if (i == 0) {
      reference = c.events;
    } else {
      for (size_t e = 0; e < reference.size(); ++e) {
        ASSERT_EQ(c.events[e].kv, reference[e].kv) << "watcher " << i << " event " << e;
      }
    }
  }

  // Final state: every writer's keys hold its last value.
  for (int w = 0; w < kWriters; ++w) {
    for (int k = 0; k < kKeysPerWriter; ++k) {
      int last_i = kOpsPerWriter - kKeysPerWriter + k;
      std::optional<KeyValue> kv = MustGet(*store_, absl::StrCat("c/w", w, "/k", k));
      ASSERT_TRUE(kv.has_value());
      EXPECT_EQ(kv->value, absl::StrCat(last_i));
      EXPECT_EQ(kv->version, kOpsPerWriter / kKeysPerWriter);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Durability.

TEST_P(StoreConformanceTest, ReopenKeepsDataHistoryCompactionAndLeases) {
  if (!factory().reopen) GTEST_SKIP() << "not a durable backend";
  ASSERT_OK_AND_ASSIGN(LeaseInfo lease, store_->LeaseGrant(600));
  MustPut(*store_, "a", "1");
  MustPut(*store_, "a", "2");
  MustPut(*store_, "b", "1", lease.id);
  MustPut(*store_, "gone", "1");
  ASSERT_OK(store_->Delete(KeyRange::Single("gone")).status());
  ASSERT_OK(store_->Compact(base_ + 2));
  const int64_t rev = MustRevision(*store_);

  ASSERT_OK_AND_ASSIGN(store_, factory().reopen(std::move(store_)));
  EXPECT_EQ(MustRevision(*store_), rev);
  ASSERT_OK_AND_ASSIGN(int64_t compacted, store_->CompactRevision());
  EXPECT_EQ(compacted, base_ + 2);
  std::optional<KeyValue> a = MustGet(*store_, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->version, 2);
  EXPECT_EQ(a->create_revision, base_ + 1);
  EXPECT_FALSE(MustGet(*store_, "gone").has_value());
  std::optional<KeyValue> gone = MustGet(*store_, "gone", base_ + 4);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->value, "1");
  RangeOptions below;
  below.revision = base_ + 1;
  EXPECT_TRUE(IsCompacted(store_->Range(KeyRange::Single("a"), below).status()));

  // Watch replay from the retained history.
  WatchOptions options;
  options.start_revision = base_ + 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Watcher> w, store_->Watch(KeyRange::Prefix(""), options));
  Collected c = Collect(*w, 4);
  ASSERT_OK(c.status);
  EXPECT_EQ(c.events[0].kv.value, "2");
  EXPECT_EQ(c.events[3].type, WatchEvent::Type::kDelete);

  ASSERT_OK_AND_ASSIGN(LeaseInfo info, store_->LeaseTimeToLive(lease.id, true));
  EXPECT_EQ(info.keys, std::vector<std::string>({"b"}));
  ASSERT_OK(store_->LeaseRevoke(lease.id));
  EXPECT_FALSE(MustGet(*store_, "b").has_value());
  EXPECT_EQ(MustRevision(*store_), rev + 1);
  EXPECT_EQ(MustPut(*store_, "a", "3"), rev + 2);
}

}  // namespace
}  // namespace rudder::store
