#include "core/ready_file.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace zonecast {

absl::Status WriteReadyFile(const std::string& path, const std::string& http,
                            const std::string& zmq, const std::string& dispatch) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!http.empty()) out << "http=" << http << "\n";
    if (!zmq.empty()) out << "zmq=" << zmq << "\n";
    if (!dispatch.empty()) out << "dispatch=" << dispatch << "\n";
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ready file ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ready file to ", path));
  }
  return absl::OkStatus();
}

}  // namespace zonecast
