// A safetensors file written one batch of items (images) at a time, so memory stays bounded by a
// batch whatever the number of items. Every per-item tensor is [items, ...] with the same per-item
// shape for all items (one run of one model at one resolution), so the whole header is known from
// the first batch: it is written at once and each batch's slices go straight to their final offsets
// in "<path>.tmp". A completed file is byte-identical to write_safetensors of the full tensors.
//
// Cut short (Ctrl-C), finish() keeps the first k items: each tensor's first k slices are moved
// down in place (bounded copies), the header is rewritten for [k, ...] shapes within its original
// length (padded with spaces, which the format allows), the file is cut after the last slice, and
// renamed into place — a valid file holding exactly the completed items.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/raw_tensor.h"
#include "io/safetensors_header.h"

namespace ss::io {

class SafetensorsStreamWriter {
 public:
  struct ItemTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> item_shape;  // one item's shape; the file holds [items, item_shape...]
  };

  // Creates "<path>.tmp" sized for `items` items and writes the header and the `whole` tensors
  // (written as given, e.g. a table shared by all items). Throws ss::Error "<path>: ..." on
  // duplicate or reserved names, sizes that overflow, or a write error.
  SafetensorsStreamWriter(const std::string& path, int64_t items, const std::vector<ItemTensor>& per_item,
                          const std::vector<RawTensor>& whole, const std::map<std::string, std::string>& metadata);

  // The next batch: exactly one RawTensor per per-item tensor (any order), each [b, item_shape...]
  // with the same b. Throws ss::Error naming the tensor when a name, dtype or shape does not match,
  // or when the batch would exceed the declared item count.
  void append(const std::vector<RawTensor>& batch);
  int64_t items_written() const { return written_; }
  int64_t items() const { return items_; }

  // Completes the file with the items written so far and renames it into place. `metadata` may
  // differ from the constructor's (e.g. list only the inputs done) as long as the new header fits
  // the space of the first one; it always does when only the item count shrinks and metadata
  // values get shorter. Destroyed without finish(), the writer removes the temporary file.
  void finish(const std::map<std::string, std::string>& metadata);

 private:
  struct Slot {
    HeaderEntry entry;       // for all `items_`; entry.shape[0] is the item count when per-item
    uint64_t begin = 0;      // data offset in the full-size layout
    uint64_t item_bytes = 0;
    bool per_item = false;   // false: a whole tensor, written once by the constructor
  };
  std::vector<HeaderEntry> entries_for(int64_t items) const;
  uint64_t data_start() const { return 8 + header_size_; }
  void move_down(uint64_t from, uint64_t to, uint64_t n);

  AtomicFile file_;
  int64_t items_, written_ = 0;
  std::vector<Slot> slots_;  // in writing order
  std::map<std::string, std::string> metadata_;
  uint64_t header_size_ = 0;
};

}  // namespace ss::io
