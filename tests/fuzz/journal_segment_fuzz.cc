// Fuzz entry point for journal segment bytes as recovery reads them after a
// crash or damage: the scanner walks the records, resyncs past damage, and
// every publish payload it finds is decoded. Must never crash, hang or read
// outside the input, and must make progress.
#include <cstddef>
#include <cstdint>

#include "journal/journal_format.h"
#include "journal/journal_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace zj = zonecast::journal;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A small resync window keeps each input cheap; the rules are the same.
  zj::SegmentScanner scanner(bytes, /*resync_window=*/4096);
  zj::ScannedRecord record;
  uint64_t last_offset = 0;
  for (int rounds = 0; rounds < 2; ++rounds) {
    while (scanner.Next(&record)) {
      // Records come in order and lie inside the input.
      if (record.offset < last_offset && last_offset != 0) __builtin_trap();
      if (record.payload.data() < bytes.data() ||
          record.payload.data() + record.payload.size() > bytes.data() + bytes.size()) {
        __builtin_trap();
      }
      last_offset = record.offset;
      if (record.type == zj::RecordType::kPublish) {
        zj::PublishRecord publish;
        (void)zj::DecodePublish(record.payload, &publish);
      }
    }
    if (scanner.good_bytes() > size) __builtin_trap();
    if (scanner.end() != zj::SegmentScanner::End::kDamaged || !scanner.ResyncPastDamage()) break;
  }
  return 0;
}
