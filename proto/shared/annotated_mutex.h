#pragma once
// A std::mutex that clang's thread-safety analysis understands (fields
// marked ABSL_GUARDED_BY are checked against it) and that ThreadSanitizer
// sees through, since it is made of pthread calls. Debian's Abseil is not
// built for ThreadSanitizer, so an absl::Mutex would hide every ordering
// from it and turn a TSan run into noise. Used by the broker's threads and
// the client library alike.
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace zonecast {

class ABSL_LOCKABLE AnnotatedMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mutex_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mutex_.try_lock(); }

  // Waits until Notify(); may wake early. REQUIRES: held.
  void Wait() ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    wake_.wait(lock);
    lock.release();  // still held: the caller's scope unlocks it
  }
  // Waits up to `timeout` or until Notify(); may wake early. REQUIRES: held.
  void WaitFor(absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mutex_, std::adopt_lock);
    wake_.wait_for(lock, std::chrono::nanoseconds(absl::ToInt64Nanoseconds(timeout)));
    lock.release();  // still held: the caller's scope unlocks it
  }
  void Notify() { wake_.notify_all(); }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
};

class ABSL_SCOPED_LOCKABLE AnnotatedLock {
 public:
  explicit AnnotatedLock(AnnotatedMutex* mutex) ABSL_EXCLUSIVE_LOCK_FUNCTION(mutex)
      : mutex_(mutex) {
    mutex_->Lock();
  }
  ~AnnotatedLock() ABSL_UNLOCK_FUNCTION() { mutex_->Unlock(); }
  AnnotatedLock(const AnnotatedLock&) = delete;
  AnnotatedLock& operator=(const AnnotatedLock&) = delete;

 private:
  AnnotatedMutex* mutex_;
};

}  // namespace zonecast
