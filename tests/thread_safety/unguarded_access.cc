// Not part of any program. The thread_safety_catches_unguarded_access test
// compiles it with clang's -Wthread-safety and expects the error: a field
// ABSL_GUARDED_BY a mutex is read without holding it.
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

class Counter {
 public:
  int Read() const { return value_; }  // no lock: the analysis must refuse this

 private:
  mutable absl::Mutex mutex_;
  int value_ ABSL_GUARDED_BY(mutex_) = 0;
};

int main() { return Counter().Read(); }
