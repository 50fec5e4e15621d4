#include "agent/volume_watch.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace mysqlset {

struct VolumeWatcher::Shared {
  std::mutex mu;
  std::condition_variable wake;
  bool stop = false;
  std::optional<VolumeSpace> last;
  std::chrono::steady_clock::time_point read_at{};
};

VolumeWatcher::VolumeWatcher(Read read, std::chrono::milliseconds period,
                             std::chrono::milliseconds max_age)
    : shared_(std::make_shared<Shared>()), max_age_(max_age) {
  // The thread owns a reference to the shared state, so it may outlive this object.
  std::thread([shared = shared_, read = std::move(read), period] {
    std::unique_lock lock(shared->mu);
    while (!shared->stop) {
      lock.unlock();
      std::optional<VolumeSpace> v = read();
      const auto now = std::chrono::steady_clock::now();
      lock.lock();
      shared->last = v;
      shared->read_at = now;
      shared->wake.wait_for(lock, period, [&] { return shared->stop; });
    }
  }).detach();
}

VolumeWatcher::~VolumeWatcher() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stop = true;
  }
  shared_->wake.notify_all();
}

std::optional<VolumeSpace> VolumeWatcher::Latest() const {
  std::lock_guard lock(shared_->mu);
  if (!shared_->last || std::chrono::steady_clock::now() - shared_->read_at > max_age_) {
    return std::nullopt;
  }
  return shared_->last;
}

}  // namespace mysqlset
