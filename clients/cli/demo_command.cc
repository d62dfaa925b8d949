// zonecast demo: the Jincheng night on the center's wall. Runs the night
// driver of this build tree (bench/jincheng_night: a real zonecastd with
// the Jincheng zones and their outlines, the center's operators, ten patrol
// groups of terminals walking their zones, incidents, officers who accept
// or stay silent, one kill -9 of the broker) at a pace a person can follow,
// and prints the wall's URL, with a fresh token, for a browser.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli_common.h"
#include "commands.h"

namespace zonecast::cli {

namespace {

// The build tree this zonecast sits in: <build>/clients/zonecast.
std::filesystem::path BuildTree() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path();
}

}  // namespace

int RunDemo() {
  const std::string command = "demo";
  const std::filesystem::path build = BuildTree();
  const std::filesystem::path driver = build / "bench" / "jincheng_night";
  const std::filesystem::path broker = build / "broker" / "zonecastd";
  const std::filesystem::path zones =
      std::filesystem::path(ZONECAST_SOURCE_DIR) / "deploy" / "zones" / "jincheng.json";
  for (const std::filesystem::path& needed : {driver, broker, zones}) {
    if (::access(needed.c_str(), R_OK) != 0) {
      std::cerr << "zonecast demo: " << needed.string()
                << " is missing. The demo runs from a build tree of the repository: "
                   "cmake --build --preset release --target zonecast zonecastd jincheng_night, "
                   "then build-release/clients/zonecast demo\n";
      return kExitFailure;
    }
  }
  const std::string out =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/zonecast-demo-", ::getpid());
  // Thirty minutes of the night at twice the pace: fifteen to watch. The
  // caller's options come last and win.
  std::vector<std::string> args = {
      driver.string(), "--zonecastd", broker.string(), "--zones", zones.string(), "--out", out,
      "--minutes",     "30",          "--speed",       "2"};
  for (const std::string& arg : PositionalArgs()) args.push_back(arg);
  std::cerr << "zonecast demo: the Jincheng night in " << out
            << "; the wall's URL follows (Ctrl-C ends the night)\n";
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  return Failure(command, absl::ErrnoToStatus(errno, absl::StrCat("cannot run ", args[0])));
}

}  // namespace zonecast::cli
