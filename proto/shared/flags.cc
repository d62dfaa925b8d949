#include "shared/flags.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace zonecast {
namespace {

// True for an argument Abseil reads as a flag: "-x..." or "--x...".
bool IsFlagArgument(absl::string_view arg) { return arg.size() > 1 && arg[0] == '-'; }

// The text of flag argument `arg` after its dashes: "name" or "name=value".
absl::string_view FlagText(absl::string_view arg) {
  if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
  return arg;
}

// The flag `name` names, or null. "nofoo" names the boolean flag foo, as
// Abseil reads it; *negated says so.
const absl::CommandLineFlag* FindFlag(absl::string_view name, bool* negated) {
  *negated = false;
  if (const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name)) return flag;
  if (absl::ConsumePrefix(&name, "no")) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag != nullptr && flag->IsOfType<bool>()) {
      *negated = true;
      return flag;
    }
  }
  return nullptr;
}

// Whether the argument after flag argument `arg` is its value, as Abseil
// decides: when `arg` has no '=' and names a flag that is not boolean.
bool TakesNextAsValue(absl::string_view arg) {
  const absl::string_view text = FlagText(arg);
  if (text.find('=') != absl::string_view::npos) return false;
  bool negated = false;
  const absl::CommandLineFlag* flag = FindFlag(text, &negated);
  return flag != nullptr && !flag->IsOfType<bool>();
}

bool AsksFor(int argc, char** argv, int first, std::initializer_list<absl::string_view> words) {
  for (int i = first; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    for (absl::string_view word : words) {
      if (arg == word) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> NormalizeFlagArgs(int argc, char** argv, int first) {
  std::vector<std::string> args;
  args.emplace_back(argc > 0 ? argv[0] : "");
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (; i < argc; ++i) args.emplace_back(argv[i]);
      break;
    }
    if (!IsFlagArgument(arg)) {
      args.push_back(std::move(arg));
      continue;
    }
    for (size_t j = arg.size() - FlagText(arg).size(); j < arg.size() && arg[j] != '='; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
    const bool value_follows = TakesNextAsValue(arg) && i + 1 < argc;
    args.push_back(std::move(arg));
    if (value_follows) args.emplace_back(argv[++i]);
  }
  return args;
}

bool WantsHelp(int argc, char** argv, int first) {
  return AsksFor(argc, argv, first, {"--help", "-h", "-help", "--helpfull"});
}

bool WantsVersion(int argc, char** argv, int first) {
  return AsksFor(argc, argv, first, {"--version", "-version"});
}

std::optional<std::string> CheckFlags(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (!IsFlagArgument(arg)) continue;
    const absl::string_view text = FlagText(arg);
    const size_t equals = text.find('=');
    const absl::string_view name = text.substr(0, equals);
    bool negated = false;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && FindFlag(name, &negated) != nullptr &&
        equals == absl::string_view::npos) {
      continue;  // --nofoo for a boolean foo
    }
    if (flag == nullptr) return absl::StrCat("unknown flag --", name);
    std::string value;
    if (equals != absl::string_view::npos) {
      value = std::string(text.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::StrCat("flag --", name, " needs a value");
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::StrCat("bad value '", value, "' for --", name, ": ", error);
    }
  }
  return std::nullopt;
}

std::vector<char*> ArgvOf(std::vector<std::string>& args) {
  std::vector<char*> pointers;
  pointers.reserve(args.size());
  for (std::string& arg : args) pointers.push_back(arg.data());
  return pointers;
}

void PrintFlagHelp(std::ostream& out, absl::string_view usage,
                   const std::vector<std::string>& flag_names) {
  out << usage << "\n";
  if (flag_names.empty()) return;
  out << "\nFlags (dashes and underscores in names are interchangeable):\n";
  for (const std::string& name : flag_names) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    out << "  --" << name;
    if (!flag->DefaultValue().empty()) out << "=" << flag->DefaultValue();
    out << "\n      " << flag->Help() << "\n";
  }
}

std::vector<std::string> FlagsDefinedIn(std::initializer_list<absl::string_view> file_suffixes) {
  std::vector<std::string> names;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string file = flag->Filename();
    for (absl::string_view suffix : file_suffixes) {
      if (absl::EndsWith(file, suffix)) {
        names.emplace_back(name);
        break;
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace zonecast
