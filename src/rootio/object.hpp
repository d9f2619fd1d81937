// Reads ROOT-serialized objects: byte-count/version headers, the class-tag and back-reference
// protocol of pointers (TBufferFile::ReadObjectAny), the custom streamers of core classes
// (TObject, TString, TObjArray, TList, TClonesArray, TArray*, TRef, TRefArray, TStreamerInfo and
// its elements), and every other class through the file's streamer records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/cursor.hpp"
#include "rootio/streamer.hpp"
#include "rootio/value.hpp"

namespace trigml::rootio {

// A C++ type as written in streamer records and branch class names.
struct TypeDesc {
  enum class Kind { Basic, StdString, TString, Sequence, Map, Bitset, Class };
  Kind kind = Kind::Class;
  int basic = 0;     // type_code of a Basic
  std::string name;  // class name, or the container's template name
  std::vector<TypeDesc> arguments;
  int bitset_size = 0;
};
TypeDesc parse_type(std::string_view type_name);
// Basic type code for a C++/ROOT numeric type name, or -1.
int basic_type_code(std::string_view type_name);
size_t basic_type_size(int code);
// Double32_t / Float16_t stored with only `nbits` of mantissa (TBufferFile::ReadWithNbits).
float unpack_truncated_float(uint8_t exponent, uint16_t mantissa, int nbits);

struct VersionHeader {
  size_t start = 0;         // position of the header
  uint32_t byte_count = 0;  // 0 when the object has no byte count
  int version = 0;
  bool memberwise = false;
  size_t end() const { return start + 4 + byte_count; }
};

class ObjectReader {
 public:
  // key_length: positions in back-references count from the start of the key, so they are
  // buffer positions plus the key's header length.
  ObjectReader(io::Cursor& cursor, const StreamerRegistry* streamers, int64_t key_length);

  Value read_object_any();                          // a pointer: null, back-reference or new object
  Value read_class(const std::string& class_name);  // an object with its own version header
  Value read_type(const TypeDesc& type, bool header = true);
  Value read_basic(int code, const PackedFloatRange* packed = nullptr);
  VersionHeader read_version();
  void check_end(const VersionHeader& header, std::string_view what);

  // Reads an object whose version header was already consumed, through its streamer record.
  Value read_members(const std::string& class_name, const VersionHeader& header);

  // One member described by a streamer element (counted arrays look up their count in `record`).
  Value read_element_value(const StreamerElement& element, Record& record);

  io::Cursor& cursor() { return cursor_; }

 private:
  Value read_custom(const std::string& class_name, const VersionHeader& header, bool& handled);
  void read_tobject_into(Record& record);
  void read_element(const StreamerElement& element, Record& record);
  Value read_sequence(const TypeDesc& type, bool header);
  Value read_map(const TypeDesc& type, bool header);
  Value read_many(const TypeDesc& type, int64_t count);
  Value read_memberwise_objects(const std::string& class_name, int64_t count);
  Value read_streamer_element(const std::string& class_name, const VersionHeader& header);
  Value read_embedded_basket();

  io::Cursor& cursor_;
  const StreamerRegistry* streamers_;
  int64_t key_length_;
  std::unordered_map<uint64_t, std::string> class_refs_;
  std::unordered_map<uint64_t, Value> object_refs_;
  int depth_ = 0;
};

// Builds the registry from the decompressed StreamerInfo key (a TList of TStreamerInfo).
StreamerRegistry parse_streamer_list(const Value& list);

}  // namespace trigml::rootio
