#include "shared/request_ids.h"

namespace zonecast {

uint64_t RequestIdOf(const v1::Frame& frame) {
  switch (frame.body_case()) {
    // Requests, client to broker.
    case v1::Frame::kSubscribe:
      return frame.subscribe().request_id();
    case v1::Frame::kUnsubscribe:
      return frame.unsubscribe().request_id();
    case v1::Frame::kPublish:
      return frame.publish().request_id();
    case v1::Frame::kStatsRequest:
      return frame.stats_request().request_id();
    case v1::Frame::kHistoryRequest:
      return frame.history_request().request_id();
    case v1::Frame::kTimelineRequest:
      return frame.timeline_request().request_id();
    // Replies, broker to client.
    case v1::Frame::kPubAck:
      return frame.pub_ack().request_id();
    case v1::Frame::kSubscribed:
      return frame.subscribed().request_id();
    case v1::Frame::kStatsReply:
      return frame.stats_reply().request_id();
    case v1::Frame::kHistoryReply:
      return frame.history_reply().request_id();
    case v1::Frame::kTimelineReply:
      return frame.timeline_reply().request_id();
    case v1::Frame::kError:
      return frame.error().request_id();
    default:
      return 0;
  }
}

}  // namespace zonecast
