// PublishIndex: the history thread's index of publish records, kept
// between scans, against segment files written as the journal writes them.
#include "journal/publish_index.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

class PublishIndexTest : public ::testing::Test {
 protected:
  PublishIndexTest() {
    char dir[] = "/tmp/publish_index_testXXXXXX";
    dir_ = mkdtemp(dir);
  }
  ~PublishIndexTest() override {
    for (const journal::SegmentInfo& s : segments_) std::remove(s.path.c_str());
    rmdir(dir_.c_str());
  }

  // Starts segment `index` with its header.
  void StartSegment(uint64_t index, uint64_t first_seq) {
    journal::SegmentInfo info;
    info.index = index;
    info.first_seq = first_seq;
    info.path = absl::StrCat(dir_, "/", journal::SegmentFileName(index));
    segments_.push_back(info);
    data_.push_back(journal::EncodeSegmentHeader({index, first_seq}));
    Sync();
  }
  // Appends a publish of `seq` (and a delivery record between, as acks
  // interleave) to the newest segment, and makes it durable.
  void AddPublish(uint64_t seq) {
    std::string payload;
    const std::string topic = "alert.jincheng.z03";
    const std::string id = absl::StrCat("A-", seq);
    journal::PublishRecord record;
    record.seq = seq;
    record.topic = topic;
    record.alert_id = id;
    record.frame = "frame";
    journal::EncodePublish(record, &payload);
    journal::AppendRecord(&data_.back(), journal::RecordType::kPublish, payload);
    journal::AppendRecord(&data_.back(), journal::RecordType::kDelivery, "ack");
    Sync();
  }
  void Sync() {
    std::ofstream(segments_.back().path, std::ios::binary | std::ios::trunc) << data_.back();
    segments_.back().bytes = data_.back().size();
  }
  std::vector<uint64_t> ScanFrom(uint64_t from, size_t limit = SIZE_MAX) {
    std::vector<uint64_t> seqs;
    index_.Scan(segments_, from, [&](const journal::PublishRecord& p) {
      seqs.push_back(p.seq);
      EXPECT_EQ(p.alert_id, absl::StrCat("A-", p.seq));
      return seqs.size() < limit;
    });
    return seqs;
  }

  std::string dir_;
  std::vector<journal::SegmentInfo> segments_;
  std::vector<std::string> data_;
  PublishIndex index_;
};

TEST_F(PublishIndexTest, ScansFromASeqAcrossSegmentsAndStopsWhenAsked) {
  StartSegment(1, 1);
  for (uint64_t seq = 1; seq <= 5; ++seq) AddPublish(seq);
  StartSegment(2, 6);
  for (uint64_t seq = 6; seq <= 9; ++seq) AddPublish(seq);
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ScanFrom(4), (std::vector<uint64_t>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ScanFrom(7), (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_EQ(ScanFrom(10), (std::vector<uint64_t>{}));
  EXPECT_EQ(ScanFrom(3, 2), (std::vector<uint64_t>{3, 4}));
}

TEST_F(PublishIndexTest, SeesWhatTheNewestSegmentGainedSinceTheLastScan) {
  StartSegment(1, 1);
  AddPublish(1);
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{1}));
  AddPublish(2);
  AddPublish(3);
  EXPECT_EQ(ScanFrom(2), (std::vector<uint64_t>{2, 3}));
  // Bytes past the durable size are not read, though in the file.
  journal::SegmentInfo durable = segments_.back();
  AddPublish(4);
  segments_.back().bytes = durable.bytes;
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(PublishIndexTest, ForgetsSegmentsNoLongerListed) {
  StartSegment(1, 1);
  AddPublish(1);
  StartSegment(2, 2);
  AddPublish(2);
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(index_.mapped_segments(), 2u);
  // Retention removed the oldest.
  std::remove(segments_.front().path.c_str());
  segments_.erase(segments_.begin());
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{2}));
  EXPECT_EQ(index_.mapped_segments(), 1u);
}

TEST_F(PublishIndexTest, DamageStopsTheSegmentWhereAFreshScanWould) {
  StartSegment(1, 1);
  AddPublish(1);
  const size_t good = data_.back().size();
  AddPublish(2);
  AddPublish(3);
  data_.back()[good + 2] ^= 0x55;  // the checksum of seq 2's record
  Sync();
  EXPECT_EQ(ScanFrom(1), (std::vector<uint64_t>{1}));
}

}  // namespace
}  // namespace zonecast
