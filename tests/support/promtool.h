#pragma once
// Runs Prometheus's promtool on text the broker renders, so that tests check
// the /metrics exposition with the reference parser and linter rather than
// with our own idea of the format. promtool comes from Debian's `prometheus`
// package (deploy/install-deps.sh installs it).
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace zonecast::testing {

// The path of the first executable `promtool` on $PATH, if any.
std::optional<std::string> FindPromtool();

// Runs `promtool check metrics` with `exposition` on its stdin (from a file in
// a fresh directory under $TMPDIR, removed afterwards). OK when promtool
// accepts it, lint included. FailedPrecondition("promtool not installed")
// when it is not on $PATH. Internal with promtool's output when it rejects
// the text or a lint rule fails; Internal also when it cannot be run or
// killed by a signal, Unavailable when the temporary files cannot be written,
// DeadlineExceeded (after killing it) when it runs past `timeout`.
absl::Status CheckWithPromtool(const std::string& exposition,
                               absl::Duration timeout = absl::Seconds(60));

}  // namespace zonecast::testing
