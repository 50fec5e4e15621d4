#include "agent/volume_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mysqlset {
namespace {

using std::chrono::milliseconds;

// Until `pred` holds, or about 10 s.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

TEST(VolumeWatcherTest, ServesTheLastReadAndForgetsItWhenTheReadHangs) {
  // Shared with the reading thread, which may outlive the watcher (and this test's frame).
  struct Fs {
    std::atomic<bool> hang{false};
    std::atomic<uint64_t> free_bytes{100};
  };
  auto fs = std::make_shared<Fs>();
  VolumeWatcher w(
      [fs]() -> std::optional<VolumeSpace> {
        while (fs->hang) std::this_thread::sleep_for(milliseconds(5));
        return VolumeSpace{fs->free_bytes, 1000};
      },
      milliseconds(20), milliseconds(300));
  ASSERT_TRUE(Eventually([&] { return w.Latest() == VolumeSpace{100, 1000}; }));
  fs->free_bytes = 50;
  ASSERT_TRUE(Eventually([&] { return w.Latest() == VolumeSpace{50, 1000}; }));
  // The file system hangs: the value turns unknown rather than staying, and Latest() itself
  // never waits for the read.
  fs->hang = true;
  ASSERT_TRUE(Eventually([&] { return !w.Latest().has_value(); }));
  fs->hang = false;
  EXPECT_TRUE(Eventually([&] { return w.Latest().has_value(); }));
}

TEST(VolumeWatcherTest, AFailedReadIsUnknown) {
  VolumeWatcher w([]() -> std::optional<VolumeSpace> { return std::nullopt; }, milliseconds(10),
                  milliseconds(1000));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(w.Latest().has_value());
}

// Destroying the watcher while a read hangs returns at once; the read's thread ends later.
TEST(VolumeWatcherTest, DestructionDoesNotWaitForAHungRead) {
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto entered = std::make_shared<std::atomic<bool>>(false);
  {
    VolumeWatcher w(
        [release, entered]() -> std::optional<VolumeSpace> {
          *entered = true;
          while (!*release) std::this_thread::sleep_for(milliseconds(5));
          return VolumeSpace{1, 2};
        },
        milliseconds(10), milliseconds(100));
    ASSERT_TRUE(Eventually([&] { return entered->load(); }));
  }  // would block here if the destructor joined
  *release = true;
}

}  // namespace
}  // namespace mysqlset
