#include "io/safetensors_stream.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "io/checked_math.h"
#include "util/error.h"

namespace ss::io {

namespace {

// Compaction moves data through a buffer of this size, whatever the file's size.
constexpr uint64_t kCopyChunk = uint64_t{1} << 20;

std::vector<int64_t> with_items(int64_t items, const std::vector<int64_t>& item_shape) {
  std::vector<int64_t> shape{items};
  shape.insert(shape.end(), item_shape.begin(), item_shape.end());
  return shape;
}

}  // namespace

SafetensorsStreamWriter::SafetensorsStreamWriter(const std::string& path, int64_t items,
                                                 const std::vector<ItemTensor>& per_item,
                                                 const std::vector<RawTensor>& whole,
                                                 const std::map<std::string, std::string>& metadata)
    : file_(path), items_(items), metadata_(metadata) {
  if (items < 0) throw Error(path + ": the item count must be >= 0, got " + std::to_string(items));
  std::vector<HeaderEntry> entries;
  std::unordered_map<std::string, uint64_t> item_bytes;
  std::unordered_map<std::string, const RawTensor*> whole_data;
  for (const ItemTensor& t : per_item) {
    const std::vector<int64_t> shape = with_items(items, t.item_shape);
    const auto one = checked_nbytes(t.item_shape, t.dtype);
    const auto all = checked_nbytes(shape, t.dtype);
    if (!one || !all)
      throw Error(path + ": tensor '" + t.name + "' of " + dtype_name(t.dtype) + " " + shape_str(shape) +
                  " overflows 64-bit sizes");
    entries.push_back({t.name, t.dtype, shape, *all});
    item_bytes[t.name] = *one;
  }
  for (const RawTensor& t : whole) {
    entries.push_back(checked_entry(path, t));
    whole_data[t.name] = &t;
  }
  order_for_writing(path, entries);
  uint64_t offset = 0;
  for (HeaderEntry& e : entries) {
    const auto end = checked_add(offset, e.nbytes);
    if (!end) throw Error(path + ": the tensors of " + std::to_string(items) + " items overflow 64-bit sizes");
    const auto ib = item_bytes.find(e.name);
    const bool per_item_tensor = ib != item_bytes.end();
    slots_.push_back({std::move(e), offset, per_item_tensor ? ib->second : 0, per_item_tensor});
    offset = *end;
  }

  const std::string header = encode_header(path, entries_for(items), metadata);
  header_size_ = header.size();
  const std::string len = encode_header_length(header_size_);
  file_.append(len.data(), len.size());
  file_.append(header.data(), header.size());
  for (const Slot& s : slots_) {
    auto it = whole_data.find(s.entry.name);
    if (it != whole_data.end()) file_.write_at(data_start() + s.begin, it->second->data, it->second->nbytes);
  }
}

std::vector<HeaderEntry> SafetensorsStreamWriter::entries_for(int64_t items) const {
  std::vector<HeaderEntry> out;
  for (const Slot& s : slots_) {
    out.push_back(s.entry);
    if (s.per_item) {
      out.back().shape[0] = items;
      out.back().nbytes = static_cast<uint64_t>(items) * s.item_bytes;  // at most the checked full size
    }
  }
  return out;
}

void SafetensorsStreamWriter::append(const std::vector<RawTensor>& batch) {
  const std::string& path = file_.path();
  const size_t n_item_tensors = static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.per_item; }));
  if (batch.size() != n_item_tensors)
    throw Error(path + ": a batch must hold the " + std::to_string(n_item_tensors) + " per-item tensors, got " +
                std::to_string(batch.size()));
  const int64_t b = batch.empty() || batch[0].shape.empty() ? 0 : batch[0].shape[0];
  std::vector<std::pair<const Slot*, const RawTensor*>> writes;
  std::unordered_set<std::string> seen;
  for (const RawTensor& t : batch) {
    auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.entry.name == t.name; });
    if (slot == slots_.end() || !slot->per_item || !seen.insert(t.name).second)
      throw Error(path + ": tensor '" + t.name + "' is not a per-item tensor of this file, or comes twice in a batch");
    std::vector<int64_t> expected = slot->entry.shape;
    expected[0] = b;
    if (t.dtype != slot->entry.dtype || t.shape != expected)
      throw Error(path + ": tensor '" + t.name + "' is " + dtype_name(t.dtype) + " " + shape_str(t.shape) +
                  ", expected " + dtype_name(slot->entry.dtype) + " " + shape_str(expected) +
                  " (every item must have the shape of the first batch's)");
    checked_entry(path, t);
    writes.emplace_back(&*slot, &t);
  }
  if (b > items_ - written_)
    throw Error(path + ": a batch of " + std::to_string(b) + " items after " + std::to_string(written_) +
                " exceeds the " + std::to_string(items_) + " items declared");
  for (const auto& [slot, t] : writes)
    file_.write_at(data_start() + slot->begin + static_cast<uint64_t>(written_) * slot->item_bytes, t->data, t->nbytes);
  written_ += b;
}

void SafetensorsStreamWriter::move_down(uint64_t from, uint64_t to, uint64_t n) {
  if (from == to || n == 0) return;
  // `to` < `from`: copying front to back never overwrites bytes still to be read (memmove's rule).
  std::vector<uint8_t> buf(static_cast<size_t>(std::min(n, kCopyChunk)));
  for (uint64_t done = 0; done < n;) {
    const size_t step = static_cast<size_t>(std::min<uint64_t>(n - done, buf.size()));
    file_.read_at(from + done, buf.data(), step);
    file_.write_at(to + done, buf.data(), step);
    done += step;
  }
}

void SafetensorsStreamWriter::finish(const std::map<std::string, std::string>& metadata) {
  const std::string& path = file_.path();
  const std::vector<HeaderEntry> entries = entries_for(written_);
  std::string header = encode_header(path, entries, metadata);
  if (header.size() > header_size_)
    throw Error(path + ": the final header needs " + std::to_string(header.size()) + " bytes but only " +
                std::to_string(header_size_) + " were reserved when the file was started");
  header.append(header_size_ - header.size(), ' ');
  // Tensors shrink from `items_` to `written_` items in the same order, so each one's new offset is
  // at or below its old one and moving them in order never overwrites data still to be moved.
  uint64_t offset = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    move_down(data_start() + slots_[i].begin, data_start() + offset, entries[i].nbytes);
    offset += entries[i].nbytes;
  }
  file_.write_at(8, header.data(), header.size());
  file_.truncate(data_start() + offset);
  file_.commit();
}

}  // namespace ss::io
