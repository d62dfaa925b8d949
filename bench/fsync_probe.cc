// fsync_probe: how long this disk takes to make a small append durable, the
// floor under every group commit. Appends --count blocks of --block_bytes to
// a fresh file in --dir, calling fdatasync after each, and reports the
// latency percentiles; the file is removed afterwards.
//
//   ./build-release/bench/fsync_probe --dir /var/tmp --count 200
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::string dir = "/var/tmp";
  int count = 200;
  size_t block = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--count")
      count = std::atoi(argv[i + 1]);
    else if (a == "--block_bytes")
      block = static_cast<size_t>(std::atol(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: fsync_probe [--dir D] [--count N] [--block_bytes B]\n");
      return 2;
    }
  }
  std::string path = dir + "/fsync-probe-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    std::perror("fsync_probe: mkstemp");
    return 1;
  }
  const std::string data(block, 'z');
  std::vector<double> us;
  for (int i = 0; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
        fdatasync(fd) != 0) {
      std::perror("fsync_probe: write/fdatasync");
      close(fd);
      unlink(path.c_str());
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  close(fd);
  unlink(path.c_str());
  double total = 0;
  for (double u : us) total += u;
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))];
  };
  std::printf(
      "fsync probe (%d x %zu B append + fdatasync in %s): mean=%.0f us p50=%.0f us p99=%.0f us "
      "max=%.0f us (%.0f syncs/s)\n",
      count, block, dir.c_str(), total / count, pct(0.5), pct(0.99), us.back(),
      1e6 * count / total);
  return 0;
}
