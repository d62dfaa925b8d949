#include "protocol/deliver.h"

#include <string>

namespace zonecast {

v1::Frame NewDeliver(absl::string_view topic, v1::Priority priority, absl::string_view publisher,
                     int64_t broker_unix_ms) {
  v1::Frame frame;
  v1::Deliver* deliver = frame.mutable_deliver();
  deliver->set_topic(std::string(topic));
  deliver->set_priority(priority);
  deliver->set_delivery_count(1);
  deliver->set_publisher(std::string(publisher));
  deliver->set_broker_unix_ms(broker_unix_ms);
  return frame;
}

}  // namespace zonecast
