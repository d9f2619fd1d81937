// Layer 5 of the reader: how a branch's basket bytes become values. An interpretation never
// touches the file: it gets a basket's data and entry offsets and appends to a column
// (the split between TBasket and interpretation that uproot makes).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "io/cursor.hpp"
#include "rootio/column.hpp"

namespace trigml::rootio {

struct Branch;
class StreamerRegistry;

struct BasketView {
  std::span<const std::byte> data;    // the payload up to the entry offsets
  std::span<const uint32_t> offsets;  // entries + 1 byte offsets into data, or empty
  uint64_t entries = 0;
  int key_length = 0;
  const io::BufferOrigin* origin = nullptr;
};

class Interpretation {
 public:
  virtual ~Interpretation() = default;
  virtual Column make_column() const = 0;
  // Appends entries [from, to) of the basket (indices local to the basket) to `out`.
  virtual void append(const BasketView& basket, uint64_t from, uint64_t to, Column& out) const = 0;
  // Plain numbers that are stored as they are held in memory, only big-endian, can be decompressed
  // straight into the column and converted there, which saves copying every value once more.
  virtual bool decodes_in_place() const { return false; }
  // Appends entries [from, to) of a basket whose payload was decompressed into `out.values` from
  // byte `start` on (basket.data points there): their values are moved to `start` and converted
  // in place, and `out.values` ends after them. Only when decodes_in_place().
  virtual void append_in_place(const BasketView& basket, uint64_t from, uint64_t to, size_t start,
                               Column& out) const;
  // Variable-size entries: without entry offsets in the basket, they must come from a counter.
  virtual bool variable_size() const = 0;
  // Bytes of one entry before its values, and of one item, when entry sizes follow from counts.
  virtual size_t header_bytes() const { return 0; }
  virtual size_t item_bytes() const { return 0; }
  // Entries of variable layout but constant size (leaf lists): offsets follow from this size.
  virtual size_t fixed_entry_bytes() const { return 0; }
  virtual std::string type_name() const = 0;
};

// Chooses the interpretation of a branch from its leaves, TBranchElement fields and the file's
// streamer records. UnsupportedError names the branch and the construct.
std::unique_ptr<Interpretation> interpret(const Branch& branch, const StreamerRegistry& streamers,
                                          const std::string& file_name);

}  // namespace trigml::rootio
