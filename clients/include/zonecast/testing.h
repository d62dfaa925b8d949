#pragma once
// Switches of libzonecast that only tests of the broker turn: a real
// terminal never does. Not part of the client API a program should use.
#include <memory>

#include "absl/status/statusor.h"
#include "zonecast/client.h"

namespace zonecast {

struct ClientTestSwitches {
  // false: no automatic RECEIVED for deliveries, so that a test can watch
  // the broker redeliver and dead-letter.
  bool auto_received = true;
  // false: no background thread serves the connection, so that a test can
  // make the broker drop the session of a client whose caller is busy.
  bool serve_in_background = true;
};

// Client::Connect with the switches.
absl::StatusOr<std::unique_ptr<Client>> ConnectForTesting(const ClientOptions& options,
                                                          const ClientTestSwitches& switches);

}  // namespace zonecast
