#include "common/flag_help.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"

namespace zonecast {

void NormalizeFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (std::strcmp(arg, "--") == 0) break;  // the rest are not flags
    if (std::strncmp(arg, "--", 2) != 0) continue;
    for (char* c = arg + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

bool WantsHelp(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h" || arg == "--helpfull" || arg == "-help") return true;
  }
  return false;
}

void PrintFlagHelp(std::ostream& out, absl::string_view usage,
                   std::initializer_list<absl::string_view> file_suffixes) {
  out << usage << "\n";
  struct Line {
    std::string name, value, help;
  };
  std::vector<Line> lines;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string file = flag->Filename();
    bool wanted = false;
    for (absl::string_view suffix : file_suffixes) wanted |= absl::EndsWith(file, suffix);
    if (!wanted) continue;
    lines.push_back({std::string(name), flag->DefaultValue(), flag->Help()});
  }
  if (lines.empty()) return;
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.name < b.name; });
  out << "\nFlags (dashes and underscores in names are interchangeable):\n";
  for (const Line& line : lines) {
    out << "  --" << line.name;
    if (!line.value.empty()) out << "=" << line.value;
    out << "\n      " << line.help << "\n";
  }
}

}  // namespace zonecast
