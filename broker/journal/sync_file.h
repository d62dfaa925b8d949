#pragma once
// Small files written so that they survive a crash: the whole file is on
// disk (fsync) before its name is, and a replaced file is either the old one
// or the new one, never a mix.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zonecast::journal {

// Unavailable("<what>: <strerror(errno)>").
absl::Status ErrnoStatus(absl::string_view what);

// Creates `path` (which must not exist), writes `bytes` and fsyncs it.
absl::Status WriteNewFile(const std::string& path, absl::string_view bytes);

// Writes `bytes` to `path`.tmp, fsyncs it, renames it over `path` and fsyncs
// the directory.
absl::Status ReplaceFile(const std::string& dir, const std::string& path, absl::string_view bytes);

// fsync of a directory, so that names created or renamed in it last.
absl::Status SyncDir(const std::string& dir);

}  // namespace zonecast::journal
