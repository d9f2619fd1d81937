// Layer 4 of the reader: TTree metadata (branches, leaves, basket locations) and reading
// branches over entry ranges into columns. Baskets of all requested branches are fetched with
// one vectored read and decompressed in parallel; memory is bounded by the range, not the file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/buffer.hpp"
#include "rootio/column.hpp"
#include "rootio/file.hpp"

namespace trigml::rootio {

class Interpretation;
struct Branch;

struct Leaf {
  std::string class_name;  // TLeafF, TLeafElement, ...
  std::string name;
  std::string title;
  int length = 1;       // fLen: values per entry for fixed arrays
  int length_type = 0;  // fLenType: bytes per value
  int offset = 0;
  bool is_unsigned = false;
  const Leaf* count = nullptr;  // fLeafCount: the leaf holding this leaf's length per entry
  const Branch* count_branch = nullptr;
  int element_id = -1;  // TLeafElement fID / fType
  int element_type = 0;
  std::vector<uint32_t> dimensions;  // fixed dimensions parsed from the title ("x[3][2]")
};

// A basket kept inside the TTree object itself (written before the file was closed properly).
struct EmbeddedBasket {
  uint64_t first_entry = 0;
  uint64_t entries = 0;
  int key_length = 0;
  std::vector<std::byte> data;
  std::vector<uint32_t> entry_offsets;  // entries + 1 byte offsets into data, or empty
};

struct Branch {
  std::string class_name;  // TBranch, TBranchElement, TBranchObject
  std::string name;
  std::string title;
  std::string path;  // parent names joined with '/'
  int compress = 0;
  int basket_size = 0;
  int entry_offset_length = 0;
  int split_level = 0;
  int64_t entries = 0;
  int64_t total_bytes = 0;
  int64_t zipped_bytes = 0;
  std::vector<int32_t> basket_bytes;  // one per written basket
  std::vector<int64_t> basket_entry;  // first entry of each basket
  std::vector<uint64_t> basket_seek;
  std::vector<EmbeddedBasket> embedded;
  std::vector<Leaf> leaves;
  std::vector<std::unique_ptr<Branch>> branches;
  const Branch* parent = nullptr;

  // TBranchElement
  std::string element_class;  // fClassName
  std::string parent_class;   // fParentName
  std::string clones_class;   // fClonesName
  int class_version = 0;
  int element_id = -1;     // fID
  int element_type = 0;    // fType: 0 member/top, 3 TClonesArray, 4 STL, 31/41 their members, -1 ...
  int streamer_type = -1;  // fStreamerType

  size_t basket_count() const { return basket_seek.size(); }
  // Entries [first, last) of basket i (written or embedded).
  std::pair<uint64_t, uint64_t> basket_entries(size_t i) const;
  size_t total_baskets() const { return basket_count() + embedded.size(); }
};

struct BasketInfo {
  size_t index = 0;
  uint64_t first_entry = 0;
  uint64_t entries = 0;
  uint64_t seek = 0;
  uint32_t bytes = 0;
};

class Tree {
 public:
  static std::shared_ptr<Tree> open(std::shared_ptr<RootFile> file, std::string_view path,
                                    std::optional<int> cycle = std::nullopt);
  ~Tree();

  const std::string& name() const { return name_; }
  const std::string& title() const { return title_; }
  uint64_t entries() const { return entries_; }
  const RootFile& file() const { return *file_; }
  int64_t auto_flush() const { return auto_flush_; }

  const std::vector<std::unique_ptr<Branch>>& branches() const { return branches_; }
  // Every branch, depth first.
  std::vector<const Branch*> all_branches() const;
  // By name ("Electron.PT"), by path ("Electron/Electron.PT"); NotFoundError lists near names.
  const Branch& branch(std::string_view name) const;
  const Branch* find_branch(std::string_view name) const;

  // How a branch's bytes become values; UnsupportedError names the branch and the construct.
  const Interpretation& interpretation(const Branch& branch) const;
  std::string type_name(const Branch& branch) const;  // human-readable ("float[]", "vector<TLorentzVector>")

  // Reads branches over entries [first, last): one column each, in the order given. For repeated
  // reads (cluster after cluster) a TreeReader reuses its buffers instead.
  std::vector<Column> read(const std::vector<const Branch*>& branches, uint64_t first, uint64_t last,
                           unsigned threads = 0) const;
  Column read(const Branch& branch, uint64_t first, uint64_t last) const;

  // Entry boundaries at which every branch starts a new basket (clusters), for chunked reading.
  std::vector<uint64_t> cluster_boundaries() const;

 private:
  Tree() = default;
  void build(const Value& tree_object);

  std::shared_ptr<RootFile> file_;
  std::string name_;
  std::string title_;
  uint64_t entries_ = 0;
  int64_t auto_flush_ = 0;
  std::vector<std::unique_ptr<Branch>> branches_;
  std::unordered_map<std::string, const Branch*> by_name_;
  mutable std::unordered_map<const Branch*, std::unique_ptr<Interpretation>> interpretations_;
  mutable std::mutex interpretations_mutex_;
};

// Reads a fixed set of branches range after range, reusing every buffer: after the first range,
// reading allocates only when a range needs more room than any before it. Baskets are fetched
// with one vectored read per range and decompressed on up to `threads` threads.
class TreeReader {
 public:
  TreeReader(const Tree& tree, std::vector<const Branch*> branches, unsigned threads = 1);
  TreeReader(const Tree& tree, const std::vector<std::string>& branch_names, unsigned threads = 1);
  ~TreeReader();
  TreeReader(const TreeReader&) = delete;
  TreeReader& operator=(const TreeReader&) = delete;

  // Columns for entries [first, last), in the order of the branches; valid until the next read.
  std::vector<Column>& read(uint64_t first, uint64_t last);
  // Announces the range the read after the next one will ask for. When the source is not in
  // memory, the next read then fetches that range's baskets in the background (up to
  // io::remote_options().read_ahead_bytes) while it decodes its own, so the network's round trip
  // overlaps the decoding instead of adding to it.
  void read_ahead(uint64_t first, uint64_t last);
  const std::vector<const Branch*>& branches() const { return branches_; }
  const Tree& tree() const { return tree_; }

 private:
  struct Slot;
  struct Loaded;
  struct Fetched;
  struct Ahead;
  // The baskets overlapping [first, last) as (branch, basket) pairs, each branch's in entry order.
  template <class Visit>
  void for_each_basket(uint64_t first, uint64_t last, Visit&& visit) const;
  // Moves an already fetched basket (carried over or read ahead) into the slot; false if none.
  bool take_fetched(Slot& slot);
  void start_read_ahead(uint64_t first, uint64_t last);
  // Decompresses into `in_place`'s values (when given) or the branch's scratch buffer.
  void load_basket(const Slot& slot, const Branch& branch, Loaded& loaded, Column* in_place);
  void size_entries_from_counter(Loaded& loaded, const Branch& branch, const Interpretation& interpretation);

  const Tree& tree_;
  std::vector<const Branch*> branches_;
  std::vector<const Interpretation*> interpretations_;
  std::vector<Column> layouts_;  // each branch's empty column, made once
  unsigned threads_;
  std::vector<Column> columns_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::pair<size_t, size_t>> branch_slots_;  // each branch's slots [begin, end) in this read
  std::vector<Loaded> loaded_;  // each branch's basket being decoded, with its buffers
  // Compressed baskets fetched before the read that decodes them: the previous read's that reach
  // past its end (so a basket spanning two ranges is fetched once), and the read-ahead's.
  std::vector<Fetched> carried_;
  std::unique_ptr<Ahead> ahead_;
  std::optional<std::pair<uint64_t, uint64_t>> announced_;  // by read_ahead()
  std::vector<ByteBuffer> spare_;                           // buffers of consumed baskets, reused
};

}  // namespace trigml::rootio
