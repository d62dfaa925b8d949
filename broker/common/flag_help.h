#pragma once
// Command-line helpers shared by zonecastd and the zonecast CLI, on top of
// Abseil flags.
#include <initializer_list>
#include <ostream>

#include "absl/strings/string_view.h"

namespace zonecast {

// Rewrites "--data-dir=x" to "--data_dir=x" in place (names only, never
// values), so both spellings work; Abseil flag names cannot hold dashes.
void NormalizeFlagNames(int argc, char** argv);

// True if argv asks for help (--help, -h, --helpfull, help).
bool WantsHelp(int argc, char** argv, int first = 1);

// Prints `usage`, then each flag defined in a source file whose path ends
// with one of `file_suffixes`: "--name=default  help", sorted by name.
void PrintFlagHelp(std::ostream& out, absl::string_view usage,
                   std::initializer_list<absl::string_view> file_suffixes);

}  // namespace zonecast
