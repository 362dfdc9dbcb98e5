#include "lib/base/mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rudder {
namespace {

TEST(MutexTest, SerialisesIncrementsFromManyThreads) {
  Mutex mu;
  long counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, 40000);
}

TEST(CondVarTest, WaiterSeesThePredicateSetBeforeTheSignal) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  int seen = 0;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    seen = 42;
  });
  {
    MutexLock lock(&mu);
    ready = true;
  }
  cv.SignalAll();
  waiter.join();
  EXPECT_EQ(seen, 42);
}

TEST(CondVarTest, WaitWithTimeoutReportsTheTimeout) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  EXPECT_TRUE(cv.WaitWithTimeout(&mu, absl::Milliseconds(1)));
}

}  // namespace
}  // namespace rudder
