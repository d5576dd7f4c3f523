// Just enough of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/) to
// read a SentencePiece .model, with every length checked against the bytes that are there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ss::text {

class WireReader {
 public:
  // `where` prefixes error messages ("<file>: <message path>").
  WireReader(std::string_view data, std::string where) : data_(data), where_(std::move(where)) {}

  struct Field {
    uint32_t number = 0;
    int wire_type = 0;       // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
    uint64_t varint = 0;     // wire type 0
    uint32_t fixed32 = 0;    // wire type 5 (e.g. a float's bits)
    std::string_view bytes;  // wire type 2 (a string, bytes or a nested message)
  };

  // The next field, false at the end of the message. Throws ss::Error for truncated or
  // malformed input (bad varint, unknown or group wire type, a length past the end).
  bool next(Field& f);

  const std::string& where() const { return where_; }

 private:
  uint64_t read_varint();

  std::string_view data_;
  size_t pos_ = 0;
  std::string where_;
};

}  // namespace ss::text
