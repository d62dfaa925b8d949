#pragma once
// Command-line handling shared by zonecastd and the zonecast CLI, on top of
// Abseil flags, so both accept the same spellings and fail the same way:
// dashes or underscores in names, --help and --version anywhere before a
// bare "--", and a clear message (not Abseil's exit 1) for a bad flag.
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zonecast {

// argv[0] followed by argv[first..argc) with flag names rewritten to
// underscores ("--data-dir=x" -> "--data_dir=x"; Abseil names cannot hold
// '-'). Values and positional arguments are left alone: the argument after
// a non-boolean flag given without '=' is its value, and everything after a
// bare "--" is positional.
std::vector<std::string> NormalizeFlagArgs(int argc, char** argv, int first = 1);

// True if argv[first..) asks for help (--help, -h, -help, --helpfull).
bool WantsHelp(int argc, char** argv, int first = 1);
// True if argv[first..) asks for the version (--version).
bool WantsVersion(int argc, char** argv, int first = 1);

// What Abseil would reject by printing its own message and exiting 1: an
// unknown flag, a missing value, a value that does not parse. `args` as
// NormalizeFlagArgs returns them. Returns the problem, or nullopt. (A value
// that parses sets the flag; the Abseil parse that follows sets it again.)
std::optional<std::string> CheckFlags(const std::vector<std::string>& args);

// Turns `args` into the argc/argv pair absl::ParseCommandLine takes. The
// pointers point into `args`, which must outlive them.
std::vector<char*> ArgvOf(std::vector<std::string>& args);

// Prints `usage`, then each named flag as "--name=default" and its help.
void PrintFlagHelp(std::ostream& out, absl::string_view usage,
                   const std::vector<std::string>& flag_names);
// The names of the flags defined in source files whose paths end with one
// of `file_suffixes`, sorted.
std::vector<std::string> FlagsDefinedIn(std::initializer_list<absl::string_view> file_suffixes);

// The bearer token in the file a flag names (--http_token_file): its first
// line, trimmed. NotFound naming the file if it cannot be read.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace zonecast
