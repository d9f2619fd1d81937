// The file's TStreamerInfo records: how every class stored in the file lays out its members.
// They drive the generic object reader (metadata, unsplit objects) and tell split branches
// what type each member has.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trigml::rootio {

// TVirtualStreamerInfo::EReadWrite codes.
namespace type_code {
inline constexpr int kBase = 0, kChar = 1, kShort = 2, kInt = 3, kLong = 4, kFloat = 5, kCounter = 6,
                     kCharStar = 7, kDouble = 8, kDouble32 = 9, kLegacyChar = 10, kUChar = 11, kUShort = 12,
                     kUInt = 13, kULong = 14, kBits = 15, kLong64 = 16, kULong64 = 17, kBool = 18,
                     kFloat16 = 19, kOffsetL = 20, kOffsetP = 40, kObject = 61, kAny = 62, kObjectp = 63,
                     kObjectP = 64, kTString = 65, kTObject = 66, kTNamed = 67, kAnyp = 68, kAnyP = 69,
                     kAnyPnoVT = 70, kSTLp = 71, kSTL = 300, kSTLstring = 365, kStreamer = 500,
                     kStreamLoop = 501;
}  // namespace type_code

// Range and precision of a Double32_t / Float16_t, from a title such as "[-2.71, 10, 32]".
struct PackedFloatRange {
  double xmin = 0;
  double xmax = 0;
  int nbits = 0;      // with factor == 0: mantissa bits kept (0: stored as a plain float)
  double factor = 0;  // non-zero: stored as an integer in [0, 2^nbits), value = int/factor + xmin
};
std::optional<PackedFloatRange> parse_packed_float_range(std::string_view title, bool float16);

struct StreamerElement {
  enum class Kind {
    Base,
    BasicType,
    BasicPointer,
    Loop,
    Object,
    ObjectAny,
    ObjectPointer,
    ObjectAnyPointer,
    String,
    Stl,
    StlString,
    Artificial
  };
  Kind kind = Kind::BasicType;
  std::string name;
  std::string title;
  std::string type_name;
  int type = 0;
  int size = 0;
  int array_length = 0;
  int array_dim = 0;
  int max_index[5] = {0, 0, 0, 0, 0};
  int base_version = 0;
  std::string count_name;  // BasicPointer/Loop: the member holding the length
  int stl_type = 0;  // Stl: 1 vector, 2 list, 3 deque, 4 map, 5 multimap, 6 set, 7 multiset, 8 bitset ...
  int content_type = 0;
  std::optional<PackedFloatRange> packed;  // Double32_t / Float16_t members
};

struct StreamerInfo {
  std::string class_name;
  uint32_t checksum = 0;
  int class_version = 0;
  std::vector<StreamerElement> elements;
};

class StreamerRegistry {
 public:
  void add(StreamerInfo info);
  // The record for this class and version; with no exact match, the highest version.
  const StreamerInfo* find(std::string_view class_name, std::optional<int> version = std::nullopt) const;
  const StreamerInfo* find_by_checksum(std::string_view class_name, uint32_t checksum) const;
  size_t size() const { return count_; }
  std::vector<const StreamerInfo*> all() const;

 private:
  std::map<std::string, std::map<int, StreamerInfo>, std::less<>> by_name_;
  size_t count_ = 0;
};

// Removes "std::" and normalises spacing so that names from different ROOT versions compare
// equal ("vector<vector<float> >" == "vector<vector<float>>").
std::string canonical_type_name(std::string_view name);

}  // namespace trigml::rootio
