// zonecast keygen: a CURVE key pair for a device or the broker.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli_common.h"
#include "commands.h"
#include "shared/curve_keys.h"

namespace zonecast::cli {

int RunKeygen() {
  const std::string command = "keygen";
  if (PositionalArgs().size() != 1) {
    return UsageError(command, "give one PATH (writes PATH.key and PATH.pub)");
  }
  const std::string& path = PositionalArgs()[0];
  absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
  if (!keys.ok()) return Failure(command, keys.status());
  const std::string secret_path = absl::StrCat(path, ".key");
  const std::string public_path = absl::StrCat(path, ".pub");
  if (absl::Status status = WriteCurveKeyFiles(*keys, secret_path, public_path); !status.ok()) {
    return Failure(command, status);
  }
  std::cerr << "zonecast keygen: wrote " << secret_path << " (secret, mode 0600) and "
            << public_path << "\n";
  std::cout << keys->public_key << std::endl;
  return kExitOk;
}

}  // namespace zonecast::cli
