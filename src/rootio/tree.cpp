#include "rootio/tree.hpp"

#include <algorithm>
#include <functional>
#include <future>
#include <set>

#include "common/parallel.hpp"
#include "rootio/interpretation.hpp"
#include "rootio/object.hpp"

namespace trigml::rootio {

namespace {

int64_t int_field(const Record& record, std::string_view name, int64_t fallback = 0) {
  const Value* v = record.find(name);
  return v && !v->is_null() ? v->as_int() : fallback;
}

std::string string_field(const Record& record, std::string_view name) {
  const Value* v = record.find(name);
  return v ? v->as_string() : std::string{};
}

const List* list_field(const Record& record, std::string_view name) {
  const Value* v = record.find(name);
  return v ? v->list() : nullptr;
}

// Fixed dimensions from a leaf title: "x[3][2]" -> {3, 2}; counter dimensions ("[nJet]") are skipped.
std::vector<uint32_t> title_dimensions(const std::string& title) {
  std::vector<uint32_t> dims;
  size_t pos = 0;
  while ((pos = title.find('[', pos)) != std::string::npos) {
    size_t close = title.find(']', pos);
    if (close == std::string::npos) break;
    std::string inside = title.substr(pos + 1, close - pos - 1);
    if (!inside.empty() && std::all_of(inside.begin(), inside.end(), ::isdigit))
      dims.push_back(static_cast<uint32_t>(std::stoul(inside)));
    pos = close + 1;
  }
  return dims;
}

struct BuildContext {
  std::unordered_map<const Record*, const Leaf*> leaf_by_record;
  std::vector<std::pair<Leaf*, const Record*>> pending_counts;
};

std::unique_ptr<Branch> build_branch(const Record& record, const Branch* parent, BuildContext& context) {
  auto branch = std::make_unique<Branch>();
  branch->class_name = record.class_name;
  branch->name = string_field(record, "fName");
  branch->title = string_field(record, "fTitle");
  branch->path = parent ? parent->path + "/" + branch->name : branch->name;
  branch->parent = parent;
  branch->compress = static_cast<int>(int_field(record, "fCompress"));
  branch->basket_size = static_cast<int>(int_field(record, "fBasketSize"));
  branch->entry_offset_length = static_cast<int>(int_field(record, "fEntryOffsetLen"));
  branch->split_level = static_cast<int>(int_field(record, "fSplitLevel"));
  branch->entries = int_field(record, "fEntries");
  branch->total_bytes = int_field(record, "fTotBytes");
  branch->zipped_bytes = int_field(record, "fZipBytes");
  int64_t written = int_field(record, "fWriteBasket");
  const List* bytes = list_field(record, "fBasketBytes");
  const List* entry = list_field(record, "fBasketEntry");
  const List* seek = list_field(record, "fBasketSeek");
  if (written < 0 || !bytes || !entry || !seek || static_cast<size_t>(written) > bytes->size() ||
      static_cast<size_t>(written) >= entry->size() + 1 || static_cast<size_t>(written) > seek->size())
    throw FormatError(fmt::format("branch '{}' has inconsistent basket tables ({} baskets written)",
                                  branch->name, written));
  for (int64_t i = 0; i < written; ++i) {
    branch->basket_bytes.push_back(static_cast<int32_t>((*bytes)[static_cast<size_t>(i)].as_int()));
    branch->basket_entry.push_back((*entry)[static_cast<size_t>(i)].as_int());
    branch->basket_seek.push_back(static_cast<uint64_t>((*seek)[static_cast<size_t>(i)].as_int()));
  }
  if (const List* baskets = list_field(record, "fBaskets")) {
    for (const Value& basket : *baskets) {
      const Record* b = basket.record();
      if (!b || b->class_name != "TBasket" || !b->find("data")) continue;
      EmbeddedBasket embedded;
      embedded.entries = static_cast<uint64_t>(int_field(*b, "fNevBuf"));
      embedded.key_length = static_cast<int>(int_field(*b, "fKeylen"));
      std::string data = string_field(*b, "data");
      const auto* p = reinterpret_cast<const std::byte*>(data.data());
      embedded.data.assign(p, p + data.size());
      if (const List* offsets = list_field(*b, "offsets"))
        for (const Value& o : *offsets) embedded.entry_offsets.push_back(static_cast<uint32_t>(o.as_int()));
      branch->embedded.push_back(std::move(embedded));
    }
  }
  // Embedded baskets follow the written ones; their first entries come from the basket table.
  uint64_t next = written > 0 ? static_cast<uint64_t>(branch->basket_entry.back()) : 0;
  if (!branch->embedded.empty() && written > 0) {
    next = static_cast<uint64_t>((*entry)[static_cast<size_t>(written)].as_int());
  }
  for (auto& embedded : branch->embedded) {
    embedded.first_entry = next;
    next += embedded.entries;
  }
  if (record.class_name == "TBranchElement") {
    branch->element_class = canonical_type_name(string_field(record, "fClassName"));
    branch->parent_class = string_field(record, "fParentName");
    branch->clones_class = string_field(record, "fClonesName");
    branch->class_version = static_cast<int>(int_field(record, "fClassVersion"));
    branch->element_id = static_cast<int>(int_field(record, "fID", -1));
    branch->element_type = static_cast<int>(int_field(record, "fType"));
    branch->streamer_type = static_cast<int>(int_field(record, "fStreamerType", -1));
  } else if (record.class_name == "TBranchObject") {
    branch->element_class = canonical_type_name(string_field(record, "fClassName"));
  }
  if (const List* leaves = list_field(record, "fLeaves")) {
    for (const Value& leaf_value : *leaves) {
      const Record* l = leaf_value.record();
      if (!l) continue;
      Leaf leaf;
      leaf.class_name = l->class_name;
      leaf.name = string_field(*l, "fName");
      leaf.title = string_field(*l, "fTitle");
      leaf.length = static_cast<int>(int_field(*l, "fLen", 1));
      leaf.length_type = static_cast<int>(int_field(*l, "fLenType"));
      leaf.offset = static_cast<int>(int_field(*l, "fOffset"));
      leaf.is_unsigned = int_field(*l, "fIsUnsigned") != 0;
      leaf.element_id = static_cast<int>(int_field(*l, "fID", -1));
      leaf.element_type = static_cast<int>(int_field(*l, "fType"));
      leaf.dimensions = title_dimensions(leaf.title);
      branch->leaves.push_back(std::move(leaf));
    }
    // Pointers into branch->leaves are stable from here on.
    size_t i = 0;
    for (const Value& leaf_value : *leaves) {
      const Record* l = leaf_value.record();
      if (!l) continue;
      Leaf& leaf = branch->leaves[i++];
      context.leaf_by_record[l] = &leaf;
      if (const Value* count = l->find("fLeafCount"); count && count->record())
        context.pending_counts.emplace_back(&leaf, count->record());
    }
  }
  if (const List* children = list_field(record, "fBranches")) {
    for (const Value& child : *children)
      if (const Record* c = child.record())
        branch->branches.push_back(build_branch(*c, branch.get(), context));
  }
  return branch;
}

void collect(const std::vector<std::unique_ptr<Branch>>& branches, std::vector<const Branch*>& out) {
  for (const auto& b : branches) {
    out.push_back(b.get());
    collect(b->branches, out);
  }
}

}  // namespace

std::pair<uint64_t, uint64_t> Branch::basket_entries(size_t i) const {
  if (i < basket_count()) {
    uint64_t first = static_cast<uint64_t>(basket_entry[i]);
    uint64_t last = i + 1 < basket_count() ? static_cast<uint64_t>(basket_entry[i + 1])
                    : !embedded.empty()    ? embedded.front().first_entry
                                           : static_cast<uint64_t>(entries);
    return {first, last};
  }
  const EmbeddedBasket& e = embedded.at(i - basket_count());
  return {e.first_entry, e.first_entry + e.entries};
}

Tree::~Tree() = default;

std::shared_ptr<Tree> Tree::open(std::shared_ptr<RootFile> file, std::string_view path,
                                 std::optional<int> cycle) {
  KeyEntry entry = file->find_key(path, cycle);
  if (entry.key.class_name != "TTree" && entry.key.class_name != "TNtuple" &&
      entry.key.class_name != "TNtupleD")
    throw NotFoundError(fmt::format("'{}' is a {}, not a TTree", entry.path, entry.key.class_name),
                        {file->name()});
  std::shared_ptr<Tree> tree(new Tree());
  tree->file_ = file;
  try {
    tree->build(file->read_object(entry.key));
  } catch (const FormatError& e) {
    ErrorContext context = e.context();
    if (context.file.empty()) context.file = file->name();
    if (context.object.empty()) context.object = entry.key.describe();
    throw FormatError(e.detail(), context);
  }
  return tree;
}

void Tree::build(const Value& tree_object) {
  const Record* record = tree_object.record();
  if (!record) throw FormatError("TTree object is empty", {file_->name()});
  name_ = string_field(*record, "fName");
  title_ = string_field(*record, "fTitle");
  int64_t entries = int_field(*record, "fEntries");
  if (entries < 0)
    throw FormatError(fmt::format("tree '{}' has a negative entry count", name_), {file_->name()});
  entries_ = static_cast<uint64_t>(entries);
  auto_flush_ = int_field(*record, "fAutoFlush");
  BuildContext context;
  if (const List* branches = list_field(*record, "fBranches"))
    for (const Value& b : *branches)
      if (const Record* r = b.record()) branches_.push_back(build_branch(*r, nullptr, context));
  std::unordered_map<const Leaf*, const Branch*> branch_of_leaf;
  for (const Branch* b : all_branches()) {
    by_name_.try_emplace(b->name, b);
    by_name_.try_emplace(b->path, b);
    for (const Leaf& leaf : b->leaves) branch_of_leaf[&leaf] = b;
  }
  for (auto& [leaf, count_record] : context.pending_counts) {
    auto it = context.leaf_by_record.find(count_record);
    if (it == context.leaf_by_record.end()) continue;
    leaf->count = it->second;
    leaf->count_branch = branch_of_leaf[it->second];
  }
}

std::vector<const Branch*> Tree::all_branches() const {
  std::vector<const Branch*> out;
  collect(branches_, out);
  return out;
}

const Branch* Tree::find_branch(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

const Branch& Tree::branch(std::string_view name) const {
  if (const Branch* b = find_branch(name)) return *b;
  std::string near;
  int shown = 0;
  std::string wanted(name);
  for (const Branch* b : all_branches()) {
    bool similar = b->name.find(wanted.substr(0, std::min<size_t>(3, wanted.size()))) != std::string::npos;
    if (similar && shown < 8) {
      near += fmt::format("{}{}", shown ? ", " : "", b->name);
      ++shown;
    }
  }
  throw NotFoundError(fmt::format("tree '{}' has no branch '{}'{}", name_, name,
                                  near.empty() ? "" : fmt::format(" (similar: {})", near)),
                      {file_->name()});
}

const Interpretation& Tree::interpretation(const Branch& branch) const {
  std::lock_guard lock(interpretations_mutex_);
  auto it = interpretations_.find(&branch);
  if (it != interpretations_.end()) return *it->second;
  auto interpretation = interpret(branch, file_->streamers(), file_->name());
  auto& slot = interpretations_[&branch];
  slot = std::move(interpretation);
  return *slot;
}

std::string Tree::type_name(const Branch& branch) const {
  try {
    return interpretation(branch).type_name();
  } catch (const UnsupportedError& e) {
    return fmt::format("unsupported ({})", e.detail());
  }
}

std::vector<uint64_t> Tree::cluster_boundaries() const {
  std::set<uint64_t> common;
  bool first = true;
  for (const Branch* b : all_branches()) {
    if (b->total_baskets() == 0) continue;
    std::set<uint64_t> starts;
    for (size_t i = 0; i < b->total_baskets(); ++i) starts.insert(b->basket_entries(i).first);
    if (first) {
      common = std::move(starts);
      first = false;
    } else {
      std::set<uint64_t> both;
      std::set_intersection(common.begin(), common.end(), starts.begin(), starts.end(),
                            std::inserter(both, both.begin()));
      common = std::move(both);
    }
  }
  common.insert(0);
  common.insert(entries_);
  std::vector<uint64_t> out;
  for (uint64_t e : common)
    if (e <= entries_) out.push_back(e);
  return out;
}

Column Tree::read(const Branch& branch, uint64_t first, uint64_t last) const {
  return std::move(read({&branch}, first, last, 1).front());
}

std::vector<Column> Tree::read(const std::vector<const Branch*>& branches, uint64_t first, uint64_t last,
                               unsigned threads) const {
  TreeReader reader(*this, branches, threads);
  return std::move(reader.read(first, last));
}

// One basket of one branch within a read: where its bytes are (in the source's memory, or in
// `buffer` after the vectored read). Slots keep their buffers between reads.
struct TreeReader::Slot {
  size_t branch = 0;
  size_t basket = 0;
  std::span<const std::byte> raw;
  ByteBuffer buffer;
};

// The basket of one branch being decoded, split into values and entry offsets. The payload is
// decompressed into `payload`, so it is still in cache when decoded, or straight into the
// column's values when its interpretation converts them in place; the buffers and the origin
// are reused from basket to basket and from read to read.
struct TreeReader::Loaded {
  ByteBuffer payload;
  UninitializedVector<uint32_t> offsets;       // entries + 1 byte offsets into `data`, or empty
  std::span<const uint32_t> embedded_offsets;  // an embedded basket's, used where they are
  std::span<const std::byte> data;
  io::BufferOrigin origin;
  uint64_t first_entry = 0;
  uint64_t entries = 0;
  int key_length = 0;
  std::optional<size_t> in_column_at;  // where in the column's values the payload was decompressed

  std::span<const uint32_t> entry_offsets() const {
    return embedded_offsets.empty() ? std::span<const uint32_t>(offsets) : embedded_offsets;
  }
  BasketView view() const { return {data, entry_offsets(), entries, key_length, &origin}; }
};

struct TreeReader::Fetched {
  size_t branch = 0;
  size_t basket = 0;
  ByteBuffer bytes;
};

// The read-ahead's baskets and the background request filling them. It is waited for before
// its first basket is used; destroying it waits too (the future of std::async blocks).
struct TreeReader::Ahead {
  std::vector<Fetched> baskets;
  std::vector<io::ByteRange> ranges;
  std::vector<std::byte*> outputs;
  std::future<void> done;
  bool waited = false;

  void wait() {
    if (waited) return;
    waited = true;
    done.get();
  }
};

TreeReader::TreeReader(const Tree& tree, std::vector<const Branch*> branches, unsigned threads)
    : tree_(tree), branches_(std::move(branches)), threads_(threads) {
  columns_.resize(branches_.size());
  branch_slots_.resize(branches_.size());
  loaded_.resize(branches_.size());
  for (size_t b = 0; b < branches_.size(); ++b) {
    const Interpretation& interpretation = tree_.interpretation(*branches_[b]);
    interpretations_.push_back(&interpretation);
    layouts_.push_back(interpretation.make_column());
    loaded_[b].origin.file = tree_.file().name();
    loaded_[b].origin.basket_branch = &branches_[b]->name;
  }
}

namespace {
std::vector<const Branch*> resolve(const Tree& tree, const std::vector<std::string>& names) {
  std::vector<const Branch*> out;
  for (const auto& name : names) out.push_back(&tree.branch(name));
  return out;
}

// Entry offsets are stored big-endian and counted from the key's start. Converts `count` of them
// into offsets into the payload and returns the largest: an offset before the payload's start
// wraps around to a huge value, so one comparison of the result validates the whole table. The
// loop has no branches and vectorises (into byte shuffles where AVX2 is available).
__attribute__((target_clones("avx2", "default"))) uint32_t payload_offsets(const std::byte* stored,
                                                                           size_t count, uint32_t key_length,
                                                                           uint32_t* out) {
  uint32_t largest = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t offset = io::load_big_endian<uint32_t>(stored + 4 * i) - key_length;
    largest = std::max(largest, offset);
    out[i] = offset;
  }
  return largest;
}
}  // namespace

TreeReader::TreeReader(const Tree& tree, const std::vector<std::string>& branch_names, unsigned threads)
    : TreeReader(tree, resolve(tree, branch_names), threads) {}

TreeReader::~TreeReader() = default;

void TreeReader::load_basket(const Slot& slot, const Branch& branch, Loaded& loaded, Column* in_place) {
  size_t basket = slot.basket;
  loaded.in_column_at.reset();
  auto [start, stop] = branch.basket_entries(basket);
  loaded.first_entry = start;
  loaded.entries = stop - start;
  loaded.offsets.clear();
  loaded.embedded_offsets = {};
  io::BufferOrigin& origin = loaded.origin;
  origin.basket_index = basket;
  if (basket >= branch.basket_count()) {
    const EmbeddedBasket& e = branch.embedded[basket - branch.basket_count()];
    origin.basket_embedded = true;
    origin.file_offset = 0;
    origin.decompressed = true;
    loaded.data = e.data;
    loaded.key_length = e.key_length;
    loaded.embedded_offsets = e.entry_offsets;  // checked against the data when the TTree was read
    return;
  }
  uint64_t seek = branch.basket_seek[basket];
  origin.basket_embedded = false;
  origin.file_offset = seek;
  origin.decompressed = false;
  io::Cursor cursor(slot.raw, &origin);
  Key key = read_key_header(cursor, KeyNames::Skip);
  if (key.nbytes != static_cast<int32_t>(slot.raw.size()))
    cursor.fail_at(0, fmt::format("basket key says {} bytes but the branch's table says {}", key.nbytes,
                                  slot.raw.size()));
  if (key.key_length < 19 || static_cast<size_t>(key.key_length) > slot.raw.size())
    cursor.fail_at(0, fmt::format("impossible basket key length {}", key.key_length));
  cursor.seek(static_cast<size_t>(key.key_length) - 19);
  cursor.u16();  // TBasket version
  cursor.i32();  // buffer size
  cursor.i32();  // fNevBufSize
  int32_t stored_entries = cursor.i32();
  int32_t last_byte = cursor.i32();
  if (stored_entries < 0 || static_cast<uint64_t>(stored_entries) != loaded.entries)
    cursor.fail(fmt::format("basket holds {} entries but the branch's table says {}", stored_entries,
                            loaded.entries));
  loaded.key_length = key.key_length;
  auto stored = slot.raw.subspan(static_cast<size_t>(key.key_length));
  std::span<const std::byte> payload;
  if (!key.compressed()) {
    payload = stored;
    origin.file_offset = seek + static_cast<uint64_t>(key.key_length);
  } else {
    std::span<std::byte> target;
    if (in_place) {
      loaded.in_column_at = in_place->values.size();
      in_place->values.resize(*loaded.in_column_at + static_cast<size_t>(key.object_length));
      target = std::span(in_place->values).subspan(*loaded.in_column_at);
    } else {
      loaded.payload.resize(static_cast<size_t>(key.object_length));
      target = loaded.payload;
    }
    decompress(stored, target, origin);
    origin.decompressed = true;
    payload = target;
  }
  // The data end at fLast (counted from the key start); entry offsets, if any, follow: a count,
  // then one offset per entry, also counted from the key start.
  int64_t border = static_cast<int64_t>(last_byte) - key.key_length;
  if (border < 0 || static_cast<size_t>(border) > payload.size())
    throw FormatError(
        fmt::format("basket's data end {} lies outside its {}-byte payload", border, payload.size()),
        io::context_at(&origin, 0));
  loaded.data = payload.first(static_cast<size_t>(border));
  if (static_cast<size_t>(border) == payload.size()) return;
  io::Cursor table(payload, &origin, static_cast<size_t>(border));
  uint32_t count = table.u32();
  if (count < loaded.entries || static_cast<uint64_t>(count) * 4 > table.remaining())
    table.fail(
        fmt::format("entry-offset table of {} values for {} entries does not fit", count, loaded.entries));
  // The table fits (checked above), so it is converted without per-value bounds checks; offsets
  // before the data start or past its end are found afterwards, from the largest.
  loaded.offsets.resize(loaded.entries + 1);
  const uint32_t limit = static_cast<uint32_t>(border);
  uint32_t largest = payload_offsets(table.data().data() + table.position(), loaded.entries,
                                     static_cast<uint32_t>(key.key_length), loaded.offsets.data());
  if (largest > limit) {
    for (uint64_t i = 0; i < loaded.entries; ++i)
      if (loaded.offsets[i] > limit)
        table.fail_at(table.position() + 4 * i,
                      fmt::format("entry {} starts at byte {}, outside the {}-byte data", i,
                                  static_cast<int32_t>(loaded.offsets[i]), border));
  }
  loaded.offsets[loaded.entries] = limit;
}

void TreeReader::size_entries_from_counter(Loaded& loaded, const Branch& branch,
                                           const Interpretation& interp) {
  if (interp.fixed_entry_bytes() > 0) {
    for (uint64_t e = 0; e <= loaded.entries; ++e)
      loaded.offsets.push_back(static_cast<uint32_t>(e * interp.fixed_entry_bytes()));
    return;
  }
  // No entry offsets (ROOT with fEntryOffsetLen = 0): entry sizes follow from the counter branch.
  const Branch* counter = branch.leaves.empty() ? nullptr : branch.leaves[0].count_branch;
  if (!counter || interp.item_bytes() == 0)
    throw FormatError("basket has no entry offsets and the branch has no counter to size its entries",
                      io::context_at(&loaded.origin, 0));
  Column counts = tree_.read(*counter, loaded.first_entry, loaded.first_entry + loaded.entries);
  loaded.offsets.assign(1, 0);
  uint64_t position = 0;
  for (uint64_t e = 0; e < loaded.entries; ++e) {
    double n = counts.number(e);
    if (n < 0)
      throw FormatError(fmt::format("negative count {} in branch '{}'", n, counter->name),
                        {tree_.file().name()});
    position += interp.header_bytes() + static_cast<uint64_t>(n) * interp.item_bytes();
    if (position > loaded.data.size())
      throw FormatError(fmt::format("counter '{}' sizes entries past the end of the {}-byte basket",
                                    counter->name, loaded.data.size()),
                        io::context_at(&loaded.origin, 0));
    loaded.offsets.push_back(static_cast<uint32_t>(position));
  }
}

std::vector<Column>& TreeReader::read(uint64_t first, uint64_t last) {
  const RootFile& file = tree_.file();
  if (first > last || last > tree_.entries())
    throw UsageError(fmt::format("entry range [{}, {}) is outside the {} entries of tree '{}'", first, last,
                                 tree_.entries(), tree_.name()),
                     {file.name()});
  for (const Branch* branch : branches_) {
    uint64_t covered = 0;
    for (size_t i = 0; i < branch->total_baskets(); ++i) {
      auto [start, stop] = branch->basket_entries(i);
      if (stop > start) covered = std::max(covered, stop);
    }
    if (covered < last)
      throw FormatError(
          fmt::format("baskets cover entries up to {} but the tree has {}", covered, tree_.entries()),
          {file.name(), std::nullopt, fmt::format("branch '{}'", branch->name)});
  }
  size_t jobs = 0;
  for (auto& range : branch_slots_) range = {0, 0};
  for_each_basket(first, last, [&](size_t b, size_t basket) {
    if (branch_slots_[b].first == branch_slots_[b].second) branch_slots_[b] = {jobs, jobs};
    if (jobs == slots_.size()) slots_.push_back(std::make_unique<Slot>());
    slots_[jobs]->branch = b;
    slots_[jobs]->basket = basket;
    branch_slots_[b].second = ++jobs;
  });
  // Baskets are used in place when the source is in memory; otherwise those not fetched before
  // (carried over from the previous read or read ahead) come in one vectored read.
  std::span<const std::byte> in_memory = file.source().contiguous();
  std::vector<io::ByteRange> ranges;
  std::vector<std::byte*> outputs;
  for (size_t j = 0; j < jobs; ++j) {
    Slot& slot = *slots_[j];
    const Branch& branch = *branches_[slot.branch];
    if (slot.basket >= branch.basket_count()) continue;
    int32_t bytes = branch.basket_bytes[slot.basket];
    uint64_t seek = branch.basket_seek[slot.basket];
    if (bytes <= 0 || seek > file.source().size() ||
        static_cast<uint64_t>(bytes) > file.source().size() - seek)
      throw FormatError(
          fmt::format("basket {} at [{}, {}) lies outside the {}-byte file (truncated?)", slot.basket, seek,
                      seek + static_cast<uint64_t>(std::max(bytes, 0)), file.source().size()),
          {file.name(), seek, fmt::format("branch '{}'", branch.name)});
    if (!in_memory.empty()) {
      slot.raw = in_memory.subspan(seek, static_cast<size_t>(bytes));
      continue;
    }
    if (take_fetched(slot)) continue;
    slot.buffer.resize(static_cast<size_t>(bytes));
    slot.raw = slot.buffer;
    ranges.push_back({seek, static_cast<uint64_t>(bytes)});
    outputs.push_back(slot.buffer.data());
  }
  if (!ranges.empty()) file.source().read_many(ranges, outputs);
  for (Fetched& fetched : carried_) spare_.push_back(std::move(fetched.bytes));
  carried_.clear();
  if (ahead_ && ahead_->waited)
    for (Fetched& fetched : ahead_->baskets) spare_.push_back(std::move(fetched.bytes));
  ahead_.reset();
  if (announced_ && in_memory.empty()) start_read_ahead(first, last);
  announced_.reset();

  // Per branch (in parallel across branches), each basket is decompressed and decoded at once,
  // in entry order: the payload is still in cache when decoded, and at most one decompressed
  // basket per branch exists at a time.
  trigml::parallel_for(branches_.size(), threads_, [&](size_t b) {
    const Branch& branch = *branches_[b];
    const Interpretation& interp = *interpretations_[b];
    Column& column = columns_[b];
    column.reset_like(layouts_[b]);
    Loaded& loaded = loaded_[b];
    Column* in_place = interp.decodes_in_place() ? &column : nullptr;
    for (size_t j = branch_slots_[b].first; j < branch_slots_[b].second; ++j) {
      load_basket(*slots_[j], branch, loaded, in_place);
      uint64_t from = std::max(first, loaded.first_entry) - loaded.first_entry;
      uint64_t to = std::min(last, loaded.first_entry + loaded.entries) - loaded.first_entry;
      if (interp.variable_size() && loaded.entry_offsets().empty())
        size_entries_from_counter(loaded, branch, interp);
      try {
        if (loaded.in_column_at)
          interp.append_in_place(loaded.view(), from, to, *loaded.in_column_at, column);
        else
          interp.append(loaded.view(), from, to, column);
      } catch (const FormatError& e) {
        ErrorContext context = e.context();
        if (context.object.find("branch") == std::string::npos)
          context.object =
              fmt::format("branch '{}'{}", branch.name, context.object.empty() ? "" : ", " + context.object);
        throw FormatError(e.detail(), context);
      }
    }
  });
  // A branch's last basket may reach into the next range: kept, it is not fetched again.
  if (in_memory.empty())
    for (size_t b = 0; b < branches_.size(); ++b) {
      if (branch_slots_[b].first == branch_slots_[b].second) continue;
      Slot& slot = *slots_[branch_slots_[b].second - 1];
      if (slot.basket >= branches_[b]->basket_count() ||
          branches_[b]->basket_entries(slot.basket).second <= last)
        continue;
      carried_.push_back({b, slot.basket, std::move(slot.buffer)});
      slot.buffer = ByteBuffer();
    }
  return columns_;
}

void TreeReader::read_ahead(uint64_t first, uint64_t last) {
  if (first < last) announced_.emplace(first, last);
}

template <class Visit>
void TreeReader::for_each_basket(uint64_t first, uint64_t last, Visit&& visit) const {
  for (size_t b = 0; b < branches_.size(); ++b) {
    const Branch& branch = *branches_[b];
    for (size_t i = 0; i < branch.total_baskets(); ++i) {
      auto [start, stop] = branch.basket_entries(i);
      if (stop > first && start < last && stop > start) visit(b, i);
    }
  }
}

bool TreeReader::take_fetched(Slot& slot) {
  auto take = [&](Fetched& fetched) {
    std::swap(slot.buffer, fetched.bytes);
    slot.raw = slot.buffer;
  };
  for (Fetched& fetched : carried_)
    if (fetched.branch == slot.branch && fetched.basket == slot.basket) {
      take(fetched);
      return true;
    }
  if (!ahead_) return false;
  for (Fetched& fetched : ahead_->baskets)
    if (fetched.branch == slot.branch && fetched.basket == slot.basket) {
      try {
        ahead_->wait();
      } catch (...) {
        ahead_.reset();
        throw;
      }
      take(fetched);
      return true;
    }
  return false;
}

void TreeReader::start_read_ahead(uint64_t first, uint64_t last) {
  const io::ByteSource& source = tree_.file().source();
  uint64_t budget = io::remote_options().read_ahead_bytes;
  auto ahead = std::make_unique<Ahead>();
  uint64_t planned = 0;
  for_each_basket(announced_->first, announced_->second, [&](size_t b, size_t basket) {
    const Branch& branch = *branches_[b];
    if (basket >= branch.basket_count()) return;
    auto [start, stop] = branch.basket_entries(basket);
    if (start < last && stop > last && stop > first) return;  // this read's, carried over
    int32_t bytes = branch.basket_bytes[basket];
    uint64_t seek = branch.basket_seek[basket];
    // A basket outside the file is left to the read that needs it, which reports it.
    if (bytes <= 0 || seek > source.size() || static_cast<uint64_t>(bytes) > source.size() - seek) return;
    if (planned + static_cast<uint64_t>(bytes) > budget) return;
    planned += static_cast<uint64_t>(bytes);
    Fetched fetched{b, basket, {}};
    if (!spare_.empty()) {
      fetched.bytes = std::move(spare_.back());
      spare_.pop_back();
    }
    fetched.bytes.resize(static_cast<size_t>(bytes));
    ahead->ranges.push_back({seek, static_cast<uint64_t>(bytes)});
    ahead->baskets.push_back(std::move(fetched));
  });
  if (ahead->baskets.empty()) return;
  for (Fetched& fetched : ahead->baskets) ahead->outputs.push_back(fetched.bytes.data());
  ahead->done = std::async(std::launch::async, [&source, request = ahead.get()] {
    source.read_many(request->ranges, request->outputs);
  });
  ahead_ = std::move(ahead);
}

}  // namespace trigml::rootio
