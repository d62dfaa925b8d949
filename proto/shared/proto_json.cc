#include "shared/proto_json.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace zonecast {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::Struct;
using google::protobuf::Value;

// Walks a message and protobuf's JSON image of it (as a Struct) together:
// the image gives every value in the proto3 JSON mapping (enum names,
// base64 bytes, escaped strings), the message gives the field order and the
// exact 64-bit integers.
class Printer {
 public:
  explicit Printer(bool pretty) : pretty_(pretty) {}

  void Object(const Message& message, const Struct& image, int depth) {
    const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
    Open('{');
    bool first = true;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      auto it = image.fields().find(field->name());
      if (it == image.fields().end()) continue;
      Key(field->name(), depth + 1, &first);
      Field(message, field, it->second, depth + 1);
    }
    Close('}', depth, first);
  }

  std::string Take() { return std::move(out_); }

 private:
  static bool Is64Bit(const FieldDescriptor* field) {
    return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
           field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
  }
  static std::string Integer(const Message& message, const FieldDescriptor* field, int index) {
    const Reflection* r = message.GetReflection();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      return absl::StrCat(index < 0 ? r->GetInt64(message, field)
                                    : r->GetRepeatedInt64(message, field, index));
    }
    return absl::StrCat(index < 0 ? r->GetUInt64(message, field)
                                  : r->GetRepeatedUInt64(message, field, index));
  }

  void Open(char c) { out_ += c; }
  void Close(char c, int depth, bool empty) {
    if (!empty) Newline(depth);
    out_ += c;
  }
  void Newline(int depth) {
    if (!pretty_) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(depth) * 2, ' ');
  }
  void Separator(int depth, bool* first) {
    if (!*first) out_ += ',';
    *first = false;
    Newline(depth);
  }
  void Key(const std::string& key, int depth, bool* first) {
    Separator(depth, first);
    Scalar(Quoted(key));
    out_ += pretty_ ? ": " : ":";
  }
  void Scalar(const Value& value) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(value, &json).ok();
    out_ += json;
  }
  static Value Quoted(const std::string& text) {
    Value value;
    value.set_string_value(text);
    return value;
  }

  void Field(const Message& message, const FieldDescriptor* field, const Value& image, int depth) {
    const Reflection* r = message.GetReflection();
    if (field->is_map()) {
      Map(message, field, image, depth);
    } else if (field->is_repeated()) {
      Open('[');
      bool first = true;
      const int n = std::min(r->FieldSize(message, field), image.list_value().values_size());
      for (int i = 0; i < n; ++i) {
        Separator(depth + 1, &first);
        const Value& item = image.list_value().values(i);
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && item.has_struct_value()) {
          Object(r->GetRepeatedMessage(message, field, i), item.struct_value(), depth + 1);
        } else if (Is64Bit(field)) {
          out_ += Integer(message, field, i);
        } else {
          Scalar(item);
        }
      }
      Close(']', depth, first);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && image.has_struct_value()) {
      Object(r->GetMessage(message, field), image.struct_value(), depth);
    } else if (Is64Bit(field)) {
      out_ += Integer(message, field, -1);
    } else {
      Scalar(image);
    }
  }

  // Entries sorted by key, so that output is stable from run to run.
  void Map(const Message& message, const FieldDescriptor* field, const Value& image, int depth) {
    const Reflection* r = message.GetReflection();
    const FieldDescriptor* key_field = field->message_type()->map_key();
    const FieldDescriptor* value_field = field->message_type()->map_value();
    std::vector<std::pair<std::string, int>> keys;
    for (int i = 0; i < r->FieldSize(message, field); ++i) {
      const Message& entry = r->GetRepeatedMessage(message, field, i);
      std::string key;
      switch (key_field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          key = entry.GetReflection()->GetString(entry, key_field);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
        case FieldDescriptor::CPPTYPE_UINT64:
          key = Integer(entry, key_field, -1);
          break;
        default:
          continue;  // other key types: not used by zonecast's messages
      }
      keys.emplace_back(std::move(key), i);
    }
    std::sort(keys.begin(), keys.end());
    Open('{');
    bool first = true;
    for (const auto& [key, index] : keys) {
      auto it = image.struct_value().fields().find(key);
      if (it == image.struct_value().fields().end()) continue;
      const Message& entry = r->GetRepeatedMessage(message, field, index);
      Key(key, depth + 1, &first);
      if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
          it->second.has_struct_value()) {
        Object(entry.GetReflection()->GetMessage(entry, value_field), it->second.struct_value(),
               depth + 1);
      } else if (Is64Bit(value_field)) {
        out_ += Integer(entry, value_field, -1);
      } else {
        Scalar(it->second);
      }
    }
    Close('}', depth, first);
  }

  bool pretty_;
  std::string out_;
};

}  // namespace

std::string ProtoToJson(const Message& message, JsonOptions options) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = options.all_fields;
  std::string json;
  Struct image;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok() ||
      !google::protobuf::util::JsonStringToMessage(json, &image).ok()) {
    return "{}";  // cannot happen for the broker's own messages
  }
  Printer printer(options.pretty);
  printer.Object(message, image, 0);
  return printer.Take();
}

std::string JsonString(absl::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json).ok();
  return json;
}

std::string JsonWithMember(const std::string& object, absl::string_view key,
                           const std::string& value) {
  if (object.size() < 2 || object.front() != '{') return object;
  const bool empty = object.find_first_not_of(" \n", 1) == object.size() - 1;
  return absl::StrCat("{", JsonString(key), ":", value, empty ? "" : ",", object.substr(1));
}

absl::Status ReadJsonFile(const std::string& path, absl::string_view what,
                          google::protobuf::Message* message) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " is not a readable file"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), message, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": ", std::string(parsed.message())));
  }
  return absl::OkStatus();
}

}  // namespace zonecast
