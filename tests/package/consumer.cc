// Connects to nothing: only checks that headers, generated protos and the
// library link. Prints the Status of a connect to a closed port.
#include <iostream>

#include "zonecast/client.h"

int main() {
  zonecast::ClientOptions options;
  options.broker = "tcp://127.0.0.1:1";
  options.connect_timeout = absl::Milliseconds(50);
  auto client = zonecast::Client::Connect(options);
  std::cout << (client.ok() ? "connected" : client.status().ToString()) << "\n";
  return client.ok() ? 1 : 0;  // nobody listens there
}
