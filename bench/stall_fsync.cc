// A disk that stalls on demand, for tests: preloaded into zonecastd
// (LD_PRELOAD), it holds every fdatasync and fsync while the file named by
// ZONECAST_STALL_FILE exists, then lets it through. The broker under test is
// real; only the disk's latency is staged.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

namespace {

using SyncFn = int (*)(int);

void WaitWhileStalled() {
  const char* path = std::getenv("ZONECAST_STALL_FILE");
  if (path == nullptr) return;
  const timespec pause = {0, 1000000};  // 1 ms
  while (::access(path, F_OK) == 0) ::nanosleep(&pause, nullptr);
}

SyncFn Real(const char* name) { return reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, name)); }

}  // namespace

extern "C" int fdatasync(int fd) {
  static const SyncFn real = Real("fdatasync");
  WaitWhileStalled();
  return real(fd);
}

extern "C" int fsync(int fd) {
  static const SyncFn real = Real("fsync");
  WaitWhileStalled();
  return real(fd);
}
