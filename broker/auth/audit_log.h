#pragma once
// AuditLog: what happened at the broker's door, for the people who must
// answer for it later: connects and disconnects with the identity, refused
// keys and handshakes, Hellos claiming another identity, requests an
// identity was refused, take-overs, key reloads and revocations.
//
// One JSON object (v1::AuditEvent) per line, appended; never rewritten.
// When the file would pass max_bytes it becomes PATH.1 (PATH.1 becomes
// PATH.2, ...; beyond `keep` files the oldest goes) and a new PATH starts.
// Lines are written with write(2) at once (no fsync: the journal carries
// what must survive a crash; this is the door's diary).
//
// Core loop thread only.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "zonecast/audit.pb.h"

namespace zonecast {

class AuditLog {
 public:
  struct Options {
    std::string path;
    uint64_t max_bytes = 16 << 20;
    int keep = 5;  // rotated files kept besides PATH
  };

  // Opens (creates) PATH for appending. Unavailable with the reason if it
  // cannot.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(Options options, const Clock& clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Stamps the event with the wall clock and appends it. False if it could
  // not be written (the broker counts that and goes on).
  bool Record(v1::AuditEvent event);

  const std::string& path() const { return options_.path; }

 private:
  AuditLog(Options options, const Clock& clock, int fd, uint64_t size)
      : options_(std::move(options)), clock_(clock), fd_(fd), size_(size) {}
  // Shifts PATH to PATH.1 and so on, and opens a new PATH.
  bool Rotate();

  Options options_;
  const Clock& clock_;
  int fd_;
  uint64_t size_;
};

}  // namespace zonecast
