#pragma once
// The wall's files, compiled into zonecastd (see CMakeLists.txt): the page
// at /wall, its script and its style.
#include <string>

#include "absl/strings/string_view.h"

namespace zonecast {

struct WallFile {
  absl::string_view content_type;
  absl::string_view body;
};

// The file served at `path` ("/wall", "/wall/", "/wall/wall.js",
// "/wall/wall.css"), or nullptr.
const WallFile* FindWallFile(absl::string_view path);

}  // namespace zonecast
