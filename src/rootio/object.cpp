#include "rootio/object.hpp"

#include <bit>
#include <cctype>

namespace trigml::rootio {

namespace {

constexpr uint32_t kByteCountMask = 0x40000000;
constexpr uint32_t kNewClassTag = 0xFFFFFFFF;
constexpr uint32_t kClassMask = 0x80000000;
constexpr uint64_t kMapOffset = 2;
constexpr int kStreamedMemberWise = 1 << 14;
constexpr uint32_t kIsReferenced = 1 << 4;
constexpr uint32_t kHasUUID = 1 << 7;
constexpr int kMaxDepth = 100;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "a, b<c, d>" at top-level commas.
std::vector<std::string_view> split_arguments(std::string_view text) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') ++depth;
    if (text[i] == '>') --depth;
    if (text[i] == ',' && depth == 0) {
      out.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(text.substr(start)));
  return out;
}

struct DepthGuard {
  int& depth;
  const io::Cursor& cursor;
  DepthGuard(int& d, const io::Cursor& c) : depth(d), cursor(c) {
    if (++depth > kMaxDepth)
      cursor.fail("objects nested more than 100 deep (corrupt or self-referencing data)");
  }
  ~DepthGuard() { --depth; }
};

std::shared_ptr<Record> new_record(std::string class_name) {
  auto record = std::make_shared<Record>();
  record->class_name = std::move(class_name);
  return record;
}

}  // namespace

int basic_type_code(std::string_view name) {
  using namespace type_code;
  static const std::pair<std::string_view, int> table[] = {
      {"char", kChar},
      {"Char_t", kChar},
      {"int8_t", kChar},
      {"short", kShort},
      {"Short_t", kShort},
      {"int16_t", kShort},
      {"int", kInt},
      {"Int_t", kInt},
      {"int32_t", kInt},
      {"long", kLong},
      {"Long_t", kLong},
      {"float", kFloat},
      {"Float_t", kFloat},
      {"double", kDouble},
      {"Double_t", kDouble},
      {"Double32_t", kDouble32},
      {"unsigned char", kUChar},
      {"UChar_t", kUChar},
      {"uint8_t", kUChar},
      {"unsigned short", kUShort},
      {"UShort_t", kUShort},
      {"uint16_t", kUShort},
      {"unsigned int", kUInt},
      {"unsigned", kUInt},
      {"UInt_t", kUInt},
      {"uint32_t", kUInt},
      {"unsigned long", kULong},
      {"ULong_t", kULong},
      {"long long", kLong64},
      {"Long64_t", kLong64},
      {"int64_t", kLong64},
      {"unsigned long long", kULong64},
      {"ULong64_t", kULong64},
      {"uint64_t", kULong64},
      {"bool", kBool},
      {"Bool_t", kBool},
      {"Float16_t", kFloat16},
  };
  for (const auto& [n, code] : table)
    if (n == name) return code;
  return -1;
}

size_t basic_type_size(int code) {
  using namespace type_code;
  switch (code) {
    case kChar:
    case kUChar:
    case kBool:
    case kLegacyChar: return 1;
    case kShort:
    case kUShort: return 2;
    case kInt:
    case kUInt:
    case kFloat:
    case kCounter:
    case kBits:
    case kDouble32:
    case kFloat16: return 4;
    case kLong:
    case kULong:
    case kLong64:
    case kULong64:
    case kDouble: return 8;
    default: return 0;
  }
}

TypeDesc parse_type(std::string_view raw) {
  std::string name = canonical_type_name(trim(raw));
  while (!name.empty() && (name.back() == '*' || name.back() == ' ')) name.pop_back();
  if (name.rfind("const ", 0) == 0) name = name.substr(6);
  TypeDesc type;
  int code = basic_type_code(name);
  if (code >= 0) {
    type.kind = TypeDesc::Kind::Basic;
    type.basic = code;
    type.name = name;
    return type;
  }
  if (name == "string") {
    type.kind = TypeDesc::Kind::StdString;
    type.name = name;
    return type;
  }
  if (name == "TString") {
    type.kind = TypeDesc::Kind::TString;
    type.name = name;
    return type;
  }
  auto open = name.find('<');
  if (open != std::string::npos && name.back() == '>') {
    std::string head = name.substr(0, open);
    auto arguments = split_arguments(std::string_view(name).substr(open + 1, name.size() - open - 2));
    type.name = head;
    if (head == "vector" || head == "list" || head == "deque" || head == "set" || head == "multiset" ||
        head == "unordered_set" || head == "unordered_multiset" || head == "ROOT::VecOps::RVec" ||
        head == "ROOT::RVec") {
      type.kind = TypeDesc::Kind::Sequence;
      type.arguments.push_back(parse_type(arguments.at(0)));
      return type;
    }
    if ((head == "map" || head == "multimap" || head == "unordered_map" || head == "unordered_multimap") &&
        arguments.size() >= 2) {
      type.kind = TypeDesc::Kind::Map;
      type.arguments.push_back(parse_type(arguments[0]));
      type.arguments.push_back(parse_type(arguments[1]));
      return type;
    }
    if (head == "bitset") {
      type.kind = TypeDesc::Kind::Bitset;
      type.bitset_size = std::atoi(std::string(arguments.at(0)).c_str());
      return type;
    }
  }
  type.kind = TypeDesc::Kind::Class;
  type.name = name;
  return type;
}

ObjectReader::ObjectReader(io::Cursor& cursor, const StreamerRegistry* streamers, int64_t key_length)
    : cursor_(cursor), streamers_(streamers), key_length_(key_length) {}

VersionHeader ObjectReader::read_version() {
  VersionHeader header;
  header.start = cursor_.position();
  uint32_t first = cursor_.u32();
  if (first & kByteCountMask) {
    header.byte_count = first & ~kByteCountMask;
    if (header.byte_count < 2 || header.byte_count > cursor_.size() - header.start - 4)
      cursor_.fail_at(header.start,
                      fmt::format("object byte count {} runs past the end of its {}-byte buffer",
                                  header.byte_count, cursor_.size()));
  } else {
    cursor_.seek(header.start);
  }
  uint16_t version = cursor_.u16();
  header.memberwise = (version & kStreamedMemberWise) != 0;
  header.version = version & ~kStreamedMemberWise;
  return header;
}

void ObjectReader::check_end(const VersionHeader& header, std::string_view what) {
  if (header.byte_count == 0) return;
  if (cursor_.position() != header.end())
    cursor_.fail_at(
        header.start,
        fmt::format("{} (version {}) should occupy {} bytes but {} were read: the streamer "
                    "record does not match the data",
                    what, header.version, header.byte_count + 4, cursor_.position() - header.start));
}

Value ObjectReader::read_object_any() {
  DepthGuard guard(depth_, cursor_);
  size_t begin = cursor_.position();
  uint32_t byte_count = cursor_.u32();
  uint32_t tag;
  bool counted = false;
  size_t tag_position = begin;
  if (!(byte_count & kByteCountMask) || byte_count == kNewClassTag) {
    tag = byte_count;
    byte_count = 0;
  } else {
    counted = true;
    byte_count &= ~kByteCountMask;
    tag_position = cursor_.position();
    tag = cursor_.u32();
  }
  if (!(tag & kClassMask)) {
    if (tag == 0 || tag == 1) return Value{};
    auto it = object_refs_.find(tag);
    if (it != object_refs_.end()) return it->second;
    if (counted) cursor_.seek(begin + 4 + byte_count);
    return Value{};
  }
  std::string class_name;
  if (tag == kNewClassTag) {
    class_name = cursor_.cstring();
    uint64_t reference = counted ? tag_position + kMapOffset + static_cast<uint64_t>(key_length_)
                                 : class_refs_.size() + object_refs_.size() + 1;
    class_refs_[reference] = class_name;
  } else {
    uint64_t reference = tag & ~kClassMask;
    auto it = class_refs_.find(reference);
    if (it == class_refs_.end())
      cursor_.fail_at(tag_position, fmt::format("reference to unknown class tag {}", reference));
    class_name = it->second;
  }
  Value object = read_class(class_name);
  uint64_t object_reference = counted ? begin + kMapOffset + static_cast<uint64_t>(key_length_)
                                      : class_refs_.size() + object_refs_.size() + 1;
  object_refs_[object_reference] = object;
  if (counted && cursor_.position() != begin + 4 + byte_count)
    cursor_.fail_at(begin, fmt::format("object of class {} should occupy {} bytes but {} were read",
                                       class_name, byte_count + 4, cursor_.position() - begin));
  return object;
}

void ObjectReader::read_tobject_into(Record& record) {
  size_t start = cursor_.position();
  uint16_t version = cursor_.u16();
  if (version & 0x4000) {  // a byte count precedes the version
    cursor_.seek(start + 4);
    cursor_.u16();
  }
  uint32_t unique_id = cursor_.u32();
  uint32_t bits = cursor_.u32();
  if (bits & kIsReferenced) cursor_.u16();  // process id of the reference
  record.fields.emplace_back("fUniqueID", Value(static_cast<int64_t>(unique_id)));
  record.fields.emplace_back("fBits", Value(static_cast<int64_t>(bits)));
}

Value ObjectReader::read_basic(int code, const PackedFloatRange* packed) {
  using namespace type_code;
  switch (code) {
    case kChar:
    case kLegacyChar: return Value(static_cast<int64_t>(cursor_.i8()));
    case kShort: return Value(static_cast<int64_t>(cursor_.i16()));
    case kInt:
    case kCounter: return Value(static_cast<int64_t>(cursor_.i32()));
    case kLong:
    case kLong64: return Value(cursor_.i64());
    case kFloat: return Value(static_cast<double>(cursor_.f32()));
    case kDouble: return Value(cursor_.f64());
    case kUChar: return Value(static_cast<int64_t>(cursor_.u8()));
    case kUShort: return Value(static_cast<int64_t>(cursor_.u16()));
    case kUInt:
    case kBits: return Value(static_cast<int64_t>(cursor_.u32()));
    case kULong:
    case kULong64: return Value(cursor_.u64());
    case kBool: return Value(cursor_.u8() != 0);
    case kDouble32: {
      if (packed && packed->factor != 0) return Value(cursor_.u32() / packed->factor + packed->xmin);
      if (packed && packed->nbits > 0) {
        uint8_t exponent = cursor_.u8();
        uint16_t mantissa = cursor_.u16();
        return Value(static_cast<double>(unpack_truncated_float(exponent, mantissa, packed->nbits)));
      }
      return Value(static_cast<double>(cursor_.f32()));
    }
    case kFloat16: {
      if (packed && packed->factor != 0)
        return Value(static_cast<double>(static_cast<float>(cursor_.u32() / packed->factor + packed->xmin)));
      int nbits = packed && packed->nbits > 0 ? packed->nbits : 12;
      uint8_t exponent = cursor_.u8();
      uint16_t mantissa = cursor_.u16();
      return Value(static_cast<double>(unpack_truncated_float(exponent, mantissa, nbits)));
    }
    default:
      throw UnsupportedError(fmt::format("basic type code {} is not a number type", code),
                             io::context_at(cursor_.origin(), cursor_.position()));
  }
}

float unpack_truncated_float(uint8_t exponent, uint16_t mantissa, int nbits) {
  uint32_t bits = static_cast<uint32_t>(exponent) << 23;
  bits |= (mantissa & ((1u << (nbits + 1)) - 1)) << (23 - nbits);
  float value = std::bit_cast<float>(bits);
  if ((1u << (nbits + 1)) & mantissa) value = -value;
  return value;
}

Value ObjectReader::read_type(const TypeDesc& type, bool header) {
  switch (type.kind) {
    case TypeDesc::Kind::Basic: return read_basic(type.basic);
    case TypeDesc::Kind::StdString:
    case TypeDesc::Kind::TString: return Value(cursor_.tstring());
    case TypeDesc::Kind::Sequence: return read_sequence(type, header);
    case TypeDesc::Kind::Map: return read_map(type, header);
    case TypeDesc::Kind::Bitset: {
      VersionHeader h;
      if (header) h = read_version();
      int32_t n = cursor_.i32();
      if (n < 0 || static_cast<size_t>(n) > cursor_.remaining())
        cursor_.fail(fmt::format("bitset length {} is impossible", n));
      auto list = std::make_shared<List>();
      list->reserve(static_cast<size_t>(n));
      for (int32_t i = 0; i < n; ++i) list->emplace_back(cursor_.u8() != 0);
      if (header) check_end(h, "bitset");
      return Value(list);
    }
    case TypeDesc::Kind::Class: return read_class(type.name);
  }
  return Value{};
}

Value ObjectReader::read_many(const TypeDesc& type, int64_t count) {
  size_t minimum = type.kind == TypeDesc::Kind::Basic ? basic_type_size(type.basic) : 1;
  if (count < 0 || static_cast<uint64_t>(count) * minimum > cursor_.remaining())
    cursor_.fail(
        fmt::format("container length {} is impossible with {} bytes left", count, cursor_.remaining()));
  auto list = std::make_shared<List>();
  list->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) list->push_back(read_type(type, false));
  return Value(list);
}

Value ObjectReader::read_sequence(const TypeDesc& type, bool header) {
  DepthGuard guard(depth_, cursor_);
  VersionHeader h;
  if (header) h = read_version();
  const TypeDesc& item = type.arguments.at(0);
  Value out;
  if (h.memberwise) {
    if (item.kind != TypeDesc::Kind::Class)
      throw UnsupportedError(fmt::format("memberwise {}<{}>", type.name, item.name),
                             io::context_at(cursor_.origin(), h.start));
    int32_t n = cursor_.i32();
    out = read_memberwise_objects(item.name, n);
  } else {
    int32_t n = cursor_.i32();
    // Objects inside containers carry their own headers; nested containers and strings do not.
    out = read_many(item, n);
  }
  if (header) check_end(h, type.name + "<" + item.name + ">");
  return out;
}

Value ObjectReader::read_memberwise_objects(const std::string& class_name, int64_t count) {
  // Member-wise streaming: the element class's version, then each member for all elements.
  uint16_t version = cursor_.u16();
  const StreamerInfo* info =
      streamers_ ? streamers_->find(class_name, version & ~kStreamedMemberWise) : nullptr;
  if (version == 0) {
    uint32_t checksum = cursor_.u32();
    if (streamers_) info = streamers_->find_by_checksum(class_name, checksum);
  }
  if (!info)
    throw UnsupportedError(fmt::format("no streamer record for class {} (member-wise container)", class_name),
                           io::context_at(cursor_.origin(), cursor_.position()));
  if (count < 0 || static_cast<size_t>(count) > cursor_.remaining())
    cursor_.fail(fmt::format("container length {} is impossible", count));
  std::vector<std::shared_ptr<Record>> records;
  for (int64_t i = 0; i < count; ++i) records.push_back(new_record(class_name));
  for (const auto& element : info->elements) {
    if (element.kind == StreamerElement::Kind::Base)
      throw UnsupportedError(fmt::format("member-wise streaming of class {} with base classes", class_name),
                             io::context_at(cursor_.origin(), cursor_.position()));
    for (auto& record : records)
      record->fields.emplace_back(element.name, read_element_value(element, *record));
  }
  auto list = std::make_shared<List>();
  for (auto& record : records) list->emplace_back(std::move(record));
  return Value(list);
}

Value ObjectReader::read_map(const TypeDesc& type, bool header) {
  DepthGuard guard(depth_, cursor_);
  VersionHeader h;
  if (header) h = read_version();
  const TypeDesc& key_type = type.arguments.at(0);
  const TypeDesc& value_type = type.arguments.at(1);
  auto list = std::make_shared<List>();
  if (h.memberwise) {
    cursor_.skip(6);  // the version header of the pair class
    int32_t n = cursor_.i32();
    // Each block of STL keys or values (strings, containers) is preceded by its own version header.
    auto has_header = [](const TypeDesc& t) {
      return t.kind == TypeDesc::Kind::StdString || t.kind == TypeDesc::Kind::Sequence ||
             t.kind == TypeDesc::Kind::Map;
    };
    if (has_header(key_type)) cursor_.skip(6);
    Value keys = read_many(key_type, n);
    if (has_header(value_type)) cursor_.skip(6);
    Value values = read_many(value_type, n);
    for (int32_t i = 0; i < n; ++i) {
      auto pair = new_record("pair");
      pair->fields.emplace_back("first", (*keys.list())[static_cast<size_t>(i)]);
      pair->fields.emplace_back("second", (*values.list())[static_cast<size_t>(i)]);
      list->emplace_back(pair);
    }
  } else {
    int32_t n = cursor_.i32();
    if (n < 0 || static_cast<size_t>(n) > cursor_.remaining())
      cursor_.fail(fmt::format("map size {} is impossible", n));
    for (int32_t i = 0; i < n; ++i) {
      auto pair = new_record("pair");
      pair->fields.emplace_back("first", read_type(key_type, false));
      pair->fields.emplace_back("second", read_type(value_type, false));
      list->emplace_back(pair);
    }
  }
  if (header) check_end(h, "map");
  return Value(list);
}

Value ObjectReader::read_class(const std::string& class_name) {
  DepthGuard guard(depth_, cursor_);
  std::string name = canonical_type_name(class_name);
  if (name == "TObject") {
    auto record = new_record(name);
    read_tobject_into(*record);
    return Value(record);
  }
  if (name == "TRef") {
    auto record = new_record(name);
    read_tobject_into(*record);
    auto bits = static_cast<uint32_t>(record->fields.back().second.as_int());
    if (bits & kHasUUID) {
      record->fields.emplace_back("fUUID", Value(cursor_.tstring()));
    } else {
      record->fields.emplace_back("fPID", Value(static_cast<int64_t>(cursor_.u16())));
    }
    return Value(record);
  }
  if (name.rfind("TArray", 0) == 0 && name.size() == 7) {
    static const std::pair<char, int> codes[] = {{'C', type_code::kChar},  {'S', type_code::kShort},
                                                 {'I', type_code::kInt},   {'L', type_code::kLong64},
                                                 {'F', type_code::kFloat}, {'D', type_code::kDouble}};
    for (const auto& [letter, code] : codes) {
      if (name[6] != letter) continue;
      int32_t n = cursor_.i32();
      TypeDesc item;
      item.kind = TypeDesc::Kind::Basic;
      item.basic = code;
      return read_many(item, n);
    }
  }
  if (name == "TBasket") return read_embedded_basket();
  if (TypeDesc type = parse_type(name); type.kind != TypeDesc::Kind::Class) return read_type(type, true);

  VersionHeader header = read_version();
  bool handled = false;
  Value custom = read_custom(name, header, handled);
  if (handled) {
    check_end(header, name);
    return custom;
  }
  return read_members(name, header);
}

Value ObjectReader::read_members(const std::string& class_name, const VersionHeader& header) {
  const StreamerInfo* info = nullptr;
  if (streamers_) {
    if (header.version == 0 && header.byte_count) {
      uint32_t checksum = cursor_.u32();
      info = streamers_->find_by_checksum(class_name, checksum);
    }
    if (!info) info = streamers_->find(class_name, header.version);
  }
  if (!info)
    throw UnsupportedError(
        fmt::format("no streamer record for class {} version {}", class_name, header.version),
        io::context_at(cursor_.origin(), header.start));
  if (header.memberwise)
    throw UnsupportedError(fmt::format("member-wise streamed object of class {}", class_name),
                           io::context_at(cursor_.origin(), header.start));
  auto record = new_record(class_name);
  for (const auto& element : info->elements) read_element(element, *record);
  check_end(header, class_name);
  return Value(record);
}

void ObjectReader::read_element(const StreamerElement& element, Record& record) {
  if (element.kind == StreamerElement::Kind::Base) {
    if (element.name == "TObject") {
      read_tobject_into(record);
      return;
    }
    Value base = read_class(element.name);
    if (const Record* base_record = base.record()) {
      for (const auto& field : base_record->fields) record.fields.push_back(field);
    } else {
      record.fields.emplace_back(element.name, base);
    }
    return;
  }
  record.fields.emplace_back(element.name, read_element_value(element, record));
}

Value ObjectReader::read_element_value(const StreamerElement& element, Record& record) {
  using namespace type_code;
  using Kind = StreamerElement::Kind;
  int repeat = element.array_length > 0 ? element.array_length : 1;
  auto repeated = [&](auto&& read_one) -> Value {
    if (element.array_length <= 0) return read_one();
    auto list = std::make_shared<List>();
    for (int i = 0; i < repeat; ++i) list->push_back(read_one());
    return Value(list);
  };
  switch (element.kind) {
    case Kind::BasicType: {
      int code = element.type > kOffsetL && element.type < kOffsetP ? element.type - kOffsetL : element.type;
      if (code == kCharStar) {
        int32_t n = cursor_.i32();
        if (n < 0 || static_cast<size_t>(n) > cursor_.remaining()) cursor_.fail("impossible char* length");
        auto chars = cursor_.bytes(static_cast<size_t>(n));
        return Value(std::string(reinterpret_cast<const char*>(chars.data()), chars.size()));
      }
      const PackedFloatRange* packed = element.packed ? &*element.packed : nullptr;
      return repeated([&] { return read_basic(code, packed); });
    }
    case Kind::BasicPointer: {
      int code = element.type - kOffsetP;
      uint8_t present = cursor_.u8();
      const Value* count = record.find(element.count_name);
      if (!count)
        cursor_.fail(fmt::format("member {} counts its length with {}, which was not read before it",
                                 element.name, element.count_name));
      auto list = std::make_shared<List>();
      if (present) {
        int64_t n = count->as_int();
        if (n < 0 || static_cast<uint64_t>(n) * basic_type_size(code) > cursor_.remaining())
          cursor_.fail(fmt::format("array member {} claims {} elements", element.name, n));
        const PackedFloatRange* packed = element.packed ? &*element.packed : nullptr;
        for (int64_t i = 0; i < n; ++i) list->push_back(read_basic(code, packed));
      }
      return Value(list);
    }
    case Kind::String: return repeated([&] { return Value(cursor_.tstring()); });
    case Kind::Object:
    case Kind::ObjectAny: {
      TypeDesc type = parse_type(element.type_name);
      return repeated([&] { return read_type(type, true); });
    }
    case Kind::ObjectPointer:
    case Kind::ObjectAnyPointer: return repeated([&] { return read_object_any(); });
    case Kind::Stl:
    case Kind::StlString: {
      TypeDesc type = parse_type(element.type_name);
      if (type.kind == TypeDesc::Kind::StdString) {
        VersionHeader h = read_version();
        Value text(cursor_.tstring());
        check_end(h, "string");
        return text;
      }
      return repeated([&] { return read_type(type, true); });
    }
    case Kind::Loop: {
      uint8_t present = cursor_.u8();
      const Value* count = record.find(element.count_name);
      if (!count)
        cursor_.fail(fmt::format("loop member {} has no count {}", element.name, element.count_name));
      auto list = std::make_shared<List>();
      if (present) {
        int64_t n = count->as_int();
        if (n < 0 || static_cast<size_t>(n) > cursor_.remaining()) cursor_.fail("impossible loop count");
        std::string item = element.type_name;
        while (!item.empty() && item.back() == '*') item.pop_back();
        for (int64_t i = 0; i < n; ++i) list->push_back(read_class(item));
      }
      return Value(list);
    }
    case Kind::Base:
    case Kind::Artificial: break;
  }
  throw UnsupportedError(
      fmt::format("streamer element {} of type {} ({})", element.name, element.type_name, element.type),
      io::context_at(cursor_.origin(), cursor_.position()));
}

Value ObjectReader::read_custom(const std::string& name, const VersionHeader& header, bool& handled) {
  handled = true;
  if (name == "TNamed") {
    auto record = new_record(name);
    read_tobject_into(*record);
    record->fields.emplace_back("fName", Value(cursor_.tstring()));
    record->fields.emplace_back("fTitle", Value(cursor_.tstring()));
    return Value(record);
  }
  if (name == "TObjString") {
    auto record = new_record(name);
    read_tobject_into(*record);
    record->fields.emplace_back("fString", Value(cursor_.tstring()));
    return Value(record);
  }
  if (name == "TObjArray" || name == "TSeqCollection") {
    auto record = new_record(name);
    if (header.version > 2) read_tobject_into(*record);
    if (header.version > 1) cursor_.tstring();
    int32_t n = cursor_.i32();
    cursor_.i32();  // lower bound
    if (n < 0 || static_cast<size_t>(n) > cursor_.remaining())
      cursor_.fail(fmt::format("TObjArray of {} objects", n));
    auto list = std::make_shared<List>();
    for (int32_t i = 0; i < n; ++i) list->push_back(read_object_any());
    return Value(list);
  }
  if (name == "TList" || name == "THashList") {
    auto record = new_record(name);
    if (header.version > 3) read_tobject_into(*record);
    cursor_.tstring();
    int32_t n = cursor_.i32();
    if (n < 0 || static_cast<size_t>(n) > cursor_.remaining())
      cursor_.fail(fmt::format("TList of {} objects", n));
    auto list = std::make_shared<List>();
    for (int32_t i = 0; i < n; ++i) {
      list->push_back(read_object_any());
      uint32_t option_length = cursor_.u8();
      if (header.version > 4 && option_length == 255) option_length = cursor_.u32();
      cursor_.skip(option_length);
    }
    return Value(list);
  }
  if (name == "TClonesArray") {
    auto record = new_record(name);
    if (header.version > 2) read_tobject_into(*record);
    if (header.version > 1) cursor_.tstring();
    std::string class_and_version = cursor_.tstring();
    std::string item_class = class_and_version.substr(0, class_and_version.find(';'));
    int32_t n = cursor_.i32();
    if (n < 0)
      throw UnsupportedError("member-wise streamed TClonesArray",
                             io::context_at(cursor_.origin(), header.start));
    cursor_.i32();  // lower bound
    if (static_cast<size_t>(n) > cursor_.remaining())
      cursor_.fail(fmt::format("TClonesArray of {} objects", n));
    auto list = std::make_shared<List>();
    for (int32_t i = 0; i < n; ++i) {
      if (cursor_.u8() == 0) {
        list->emplace_back();
        continue;
      }
      list->push_back(read_class(item_class));
    }
    return Value(list);
  }
  if (name == "TRefArray") {
    auto record = new_record(name);
    read_tobject_into(*record);
    record->fields.emplace_back("name", Value(cursor_.tstring()));
    int32_t n = cursor_.i32();
    if (n < 0 || static_cast<size_t>(n) * 4 > cursor_.remaining())
      cursor_.fail(fmt::format("TRefArray of {} references", n));
    record->fields.emplace_back("fLast", Value(static_cast<int64_t>(n) - 1));
    record->fields.emplace_back("fLowerBound", Value(static_cast<int64_t>(cursor_.i32())));
    cursor_.u16();  // process id
    auto uids = std::make_shared<List>();
    for (int32_t i = 0; i < n; ++i) uids->emplace_back(static_cast<int64_t>(cursor_.u32()));
    record->fields.emplace_back("fUIDs", Value(uids));
    return Value(record);
  }
  if (name == "TStreamerInfo") {
    auto record = new_record(name);
    Value named = read_class("TNamed");
    for (const auto& field : named.record()->fields) record->fields.push_back(field);
    record->fields.emplace_back("fCheckSum", Value(static_cast<int64_t>(cursor_.u32())));
    record->fields.emplace_back("fClassVersion", Value(static_cast<int64_t>(cursor_.i32())));
    record->fields.emplace_back("fElements", read_object_any());
    return Value(record);
  }
  if (name.rfind("TStreamer", 0) == 0) return read_streamer_element(name, header);
  handled = false;
  return Value{};
}

Value ObjectReader::read_embedded_basket() {
  // A TBasket inside a TBranch: its key header, then (when the key has no payload elsewhere)
  // the entry offsets, a second copy of the key header and the data (TBasket::Streamer).
  size_t start = cursor_.position();
  auto record = new_record("TBasket");
  int32_t nbytes = cursor_.i32();
  cursor_.i16();  // key version
  int32_t object_length = cursor_.i32();
  cursor_.u32();  // date
  int16_t key_length = cursor_.i16();
  cursor_.i16();  // cycle
  if (key_length < 37 || static_cast<size_t>(key_length) > cursor_.size() - start)
    cursor_.fail_at(start, fmt::format("embedded basket has an impossible key length {}", key_length));
  cursor_.seek(start + static_cast<size_t>(key_length) - 19);
  cursor_.u16();  // basket version
  cursor_.i32();  // buffer size
  int32_t entry_size = cursor_.i32();
  int32_t entries = cursor_.i32();
  int32_t last = cursor_.i32();
  cursor_.u8();  // flag
  record->fields.emplace_back("fNbytes", Value(static_cast<int64_t>(nbytes)));
  record->fields.emplace_back("fObjlen", Value(static_cast<int64_t>(object_length)));
  record->fields.emplace_back("fKeylen", Value(static_cast<int64_t>(key_length)));
  record->fields.emplace_back("fNevBuf", Value(static_cast<int64_t>(entries)));
  record->fields.emplace_back("fLast", Value(static_cast<int64_t>(last)));
  if (nbytes > key_length) return Value(record);  // written to the file as a key of its own
  if (entries < 0 || last < key_length) cursor_.fail_at(start, "embedded basket has impossible sizes");
  int64_t border = last - key_length;
  if (static_cast<int64_t>(entry_size) * entries + key_length != last) {
    int32_t count = cursor_.i32();
    if (count < entries || static_cast<size_t>(entries) * 4 > cursor_.remaining())
      cursor_.fail(fmt::format("embedded basket's {} entry offsets do not fit", entries));
    auto offsets = std::make_shared<List>();
    for (int32_t i = 0; i < entries; ++i) {
      int64_t offset = static_cast<int64_t>(cursor_.i32()) - key_length;
      if (offset < 0 || offset > border)
        cursor_.fail(fmt::format("embedded basket entry offset {} is impossible", offset));
      offsets->emplace_back(offset);
    }
    offsets->emplace_back(border);
    record->fields.emplace_back("offsets", Value(offsets));
  }
  cursor_.skip(static_cast<size_t>(key_length));  // the second key header repeats the first
  auto data = cursor_.bytes(static_cast<size_t>(border));
  record->fields.emplace_back("data",
                              Value(std::string(reinterpret_cast<const char*>(data.data()), data.size())));
  return Value(record);
}

Value ObjectReader::read_streamer_element(const std::string& name, const VersionHeader& header) {
  auto read_element_base = [this](Record& record) {
    VersionHeader h = read_version();
    Value named = read_class("TNamed");
    for (const auto& field : named.record()->fields) record.fields.push_back(field);
    int32_t type = cursor_.i32();
    record.fields.emplace_back("fSize", Value(static_cast<int64_t>(cursor_.i32())));
    record.fields.emplace_back("fArrayLength", Value(static_cast<int64_t>(cursor_.i32())));
    record.fields.emplace_back("fArrayDim", Value(static_cast<int64_t>(cursor_.i32())));
    int32_t max_index_count = 5;
    if (h.version == 1) max_index_count = cursor_.i32();
    if (max_index_count < 0 || max_index_count > 5) cursor_.fail("impossible fMaxIndex length");
    auto max_index = std::make_shared<List>();
    for (int32_t i = 0; i < max_index_count; ++i)
      max_index->emplace_back(static_cast<int64_t>(cursor_.i32()));
    record.fields.emplace_back("fMaxIndex", Value(max_index));
    std::string type_name = canonical_type_name(cursor_.tstring());
    if (type == type_code::kUChar && (type_name == "Bool_t" || type_name == "bool")) type = type_code::kBool;
    record.fields.emplace_back("fType", Value(static_cast<int64_t>(type)));
    record.fields.emplace_back("fTypeName", Value(type_name));
    check_end(h, "TStreamerElement");
  };
  auto record = new_record(name);
  if (name == "TStreamerSTLstring") {
    VersionHeader stl = read_version();
    read_element_base(*record);
    record->fields.emplace_back("fSTLtype", Value(static_cast<int64_t>(cursor_.i32())));
    record->fields.emplace_back("fCtype", Value(static_cast<int64_t>(cursor_.i32())));
    check_end(stl, "TStreamerSTL");
    return Value(record);
  }
  read_element_base(*record);
  if (name == "TStreamerBase") {
    if (header.version >= 2)
      record->fields.emplace_back("fBaseVersion", Value(static_cast<int64_t>(cursor_.i32())));
  } else if (name == "TStreamerBasicPointer" || name == "TStreamerLoop") {
    record->fields.emplace_back("fCountVersion", Value(static_cast<int64_t>(cursor_.i32())));
    record->fields.emplace_back("fCountName", Value(cursor_.tstring()));
    record->fields.emplace_back("fCountClass", Value(cursor_.tstring()));
  } else if (name == "TStreamerSTL") {
    record->fields.emplace_back("fSTLtype", Value(static_cast<int64_t>(cursor_.i32())));
    record->fields.emplace_back("fCtype", Value(static_cast<int64_t>(cursor_.i32())));
  }
  return Value(record);
}

StreamerRegistry parse_streamer_list(const Value& list) {
  StreamerRegistry registry;
  const List* items = list.list();
  if (!items) throw FormatError("the streamer-info record is not a list");
  for (const Value& item : *items) {
    const Record* info_record = item.record();
    if (!info_record || info_record->class_name != "TStreamerInfo")
      continue;  // TList also holds schema rules
    StreamerInfo info;
    info.class_name = canonical_type_name(info_record->at("fName").as_string());
    info.checksum = static_cast<uint32_t>(info_record->at("fCheckSum").as_int());
    info.class_version = static_cast<int>(info_record->at("fClassVersion").as_int());
    if (const List* elements = info_record->at("fElements").list()) {
      for (const Value& element_value : *elements) {
        const Record* e = element_value.record();
        if (!e) continue;
        StreamerElement element;
        const std::string& cls = e->class_name;
        using Kind = StreamerElement::Kind;
        element.kind = cls == "TStreamerBase"               ? Kind::Base
                       : cls == "TStreamerBasicPointer"     ? Kind::BasicPointer
                       : cls == "TStreamerLoop"             ? Kind::Loop
                       : cls == "TStreamerObject"           ? Kind::Object
                       : cls == "TStreamerObjectAny"        ? Kind::ObjectAny
                       : cls == "TStreamerObjectPointer"    ? Kind::ObjectPointer
                       : cls == "TStreamerObjectAnyPointer" ? Kind::ObjectAnyPointer
                       : cls == "TStreamerString"           ? Kind::String
                       : cls == "TStreamerSTL"              ? Kind::Stl
                       : cls == "TStreamerSTLstring"        ? Kind::StlString
                       : cls == "TStreamerArtificial"       ? Kind::Artificial
                                                            : Kind::BasicType;
        element.name = e->at("fName").as_string();
        element.title = e->at("fTitle").as_string();
        element.type_name = e->at("fTypeName").as_string();
        element.type = static_cast<int>(e->at("fType").as_int());
        element.size = static_cast<int>(e->at("fSize").as_int());
        element.array_length = static_cast<int>(e->at("fArrayLength").as_int());
        element.array_dim = static_cast<int>(e->at("fArrayDim").as_int());
        if (const List* max_index = e->at("fMaxIndex").list())
          for (size_t i = 0; i < max_index->size() && i < 5; ++i)
            element.max_index[i] = static_cast<int>((*max_index)[i].as_int());
        if (const Value* v = e->find("fBaseVersion")) element.base_version = static_cast<int>(v->as_int());
        if (const Value* v = e->find("fCountName")) element.count_name = v->as_string();
        if (const Value* v = e->find("fSTLtype")) element.stl_type = static_cast<int>(v->as_int());
        if (const Value* v = e->find("fCtype")) element.content_type = static_cast<int>(v->as_int());
        int basic = element.type % 20;
        bool is_basic_number = element.type > 0 && element.type < 60;
        if (is_basic_number && (basic == type_code::kDouble32 || basic == type_code::kFloat16))
          element.packed = parse_packed_float_range(element.title, basic == type_code::kFloat16);
        info.elements.push_back(std::move(element));
      }
    }
    registry.add(std::move(info));
  }
  return registry;
}

}  // namespace trigml::rootio
