#include "text/protobuf_wire.h"

#include <cstring>

#include "util/error.h"

namespace ss::text {

uint64_t WireReader::read_varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size())
      throw Error(where_ + ": truncated varint at byte " + std::to_string(pos_));
    auto b = static_cast<uint8_t>(data_[pos_++]);
    v |= uint64_t(b & 0x7F) << shift;
    if (b < 0x80) return v;
  }
  throw Error(where_ + ": varint longer than 10 bytes at byte " + std::to_string(pos_));
}

bool WireReader::next(Field& f) {
  if (pos_ >= data_.size()) return false;
  const size_t start = pos_;
  const uint64_t key = read_varint();
  f = Field{};
  f.number = static_cast<uint32_t>(key >> 3);
  f.wire_type = static_cast<int>(key & 7);
  if (f.number == 0 || key >> 3 > 0x1FFFFFFF)
    throw Error(where_ + ": bad field number at byte " + std::to_string(start));
  auto need = [&](uint64_t n) {
    if (n > data_.size() - pos_)
      throw Error(where_ + ": field " + std::to_string(f.number) + " at byte " +
                  std::to_string(start) + " needs " + std::to_string(n) + " bytes, " +
                  std::to_string(data_.size() - pos_) + " left (truncated?)");
  };
  switch (f.wire_type) {
    case 0:
      f.varint = read_varint();
      break;
    case 1:
      need(8);
      pos_ += 8;
      break;
    case 2: {
      const uint64_t n = read_varint();
      need(n);
      f.bytes = data_.substr(pos_, n);
      pos_ += n;
      break;
    }
    case 5:
      need(4);
      std::memcpy(&f.fixed32, data_.data() + pos_, 4);
      pos_ += 4;
      break;
    default:
      throw Error(where_ + ": field " + std::to_string(f.number) + " has wire type " +
                  std::to_string(f.wire_type) + " (expected 0, 1, 2 or 5)");
  }
  return true;
}

}  // namespace ss::text
