// RNTuple, the successor of TTree (format 1.0, ROOT 6.34): opening one through its anchor key and
// reading fields over entry ranges into the same `Column`s that TTree branches give, so that
// dump and ingest consume both alike. Layers: anchor and envelopes (rntuple_format.hpp) → pages
// and their encodings (rntuple_page.hpp) → fields (here).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rootio/column.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple_format.hpp"

namespace trigml::rootio {

class RNTuple {
 public:
  static constexpr std::string_view class_name = "ROOT::RNTuple";

  // The RNTuple under a key ("ntuple", "dir/ntuple;1"); NotFoundError if the key holds none.
  static std::shared_ptr<RNTuple> open(std::shared_ptr<RootFile> file, std::string_view path);

  const std::string& name() const { return description_.name; }
  uint64_t entries() const { return entries_; }
  const RootFile& file() const { return *file_; }
  const rntuple::Anchor& anchor() const { return anchor_; }
  const rntuple::Description& description() const { return description_; }

  // Top-level field ids, in schema order.
  std::vector<uint32_t> top_fields() const;
  // A field by its dotted path ("three_LV.pt"); a collection's item field "_0" may be left out
  // ("four_v_LVs.pt"). NotFoundError lists the fields there are.
  uint32_t field(std::string_view path) const;
  // The field's path from the top ("four_v_LVs._0.pt").
  std::string path_of(uint32_t field) const;
  const std::string& type_name(uint32_t field) const { return description_.fields.at(field).type_name; }

  // Reads fields over entries [first, last): one column each, in the order given. Numbers, strings
  // and collections of them (at any depth, fixed-size arrays innermost) become numeric or string
  // columns with one offsets level per collection; records, variants and what contains them
  // become one dynamic value per entry.
  std::vector<Column> read(const std::vector<uint32_t>& fields, uint64_t first, uint64_t last) const;

 private:
  struct Loaded;
  RNTuple() = default;
  std::vector<std::byte> read_envelope(uint64_t seek, uint64_t nbytes, uint64_t length,
                                       const std::string& what) const;
  // The fields from the top down to `field` (path components).
  std::vector<uint32_t> chain_of(uint32_t field) const;
  void check_readable(uint32_t field) const;

  std::shared_ptr<RootFile> file_;
  rntuple::Anchor anchor_;
  rntuple::Description description_;
  uint64_t entries_ = 0;
};

}  // namespace trigml::rootio
