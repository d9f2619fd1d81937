#include "rootio/writer_streamers.hpp"

#include <span>

namespace trigml::rootio {

namespace {

enum class ElementKind { Base, BasicType, BasicPointer, Object, ObjectAny, ObjectPointer, String };

// One member (or base class) of a class, as a TStreamerElement subclass records it.
struct ElementSpec {
  ElementKind kind;
  const char* name;
  const char* title;
  int32_t type;  // TStreamerInfo::EReadWrite code
  int32_t size;
  const char* type_name;
  int32_t base_version = 0;    // Base: version of the base class
  uint32_t base_checksum = 0;  // Base: ROOT keeps the base's checksum in fMaxIndex[1]
  int32_t count_version = 0;   // BasicPointer: the array length member
  const char* count_name = "";
  const char* count_class = "";
};

struct ClassSpec {
  const char* name;
  int32_t version;
  uint32_t checksum;
  std::span<const ElementSpec> elements;
};

// The class layouts below are those of the streamer record ROOT 6.20 writes for a TTree of flat
// branches (same class versions as ROOT 6.22 to 6.32: TTree 20, TBranch 13, TLeaf 2, TLeaf* 1).
// Element titles are ROOT's member comments; readers show them, ROOT compares the checksums with
// its own dictionaries, so both must be exactly ROOT's.
constexpr ElementSpec kTObjectElements[] = {
    {.kind = ElementKind::BasicType,
     .name = "fUniqueID",
     .title = "object unique identifier",
     .type = 13,
     .size = 4,
     .type_name = "unsigned int"},
    {.kind = ElementKind::BasicType,
     .name = "fBits",
     .title = "bit field status word",
     .type = 15,
     .size = 4,
     .type_name = "unsigned int"},
};
constexpr ElementSpec kTNamedElements[] = {
    {.kind = ElementKind::Base,
     .name = "TObject",
     .title = "Basic ROOT object",
     .type = 66,
     .size = 0,
     .type_name = "BASE",
     .base_version = 1,
     .base_checksum = 2417737773u},
    {.kind = ElementKind::String,
     .name = "fName",
     .title = "object identifier",
     .type = 65,
     .size = 24,
     .type_name = "TString"},
    {.kind = ElementKind::String,
     .name = "fTitle",
     .title = "object title",
     .type = 65,
     .size = 24,
     .type_name = "TString"},
};
constexpr ElementSpec kTAttLineElements[] = {
    {.kind = ElementKind::BasicType,
     .name = "fLineColor",
     .title = "Line color",
     .type = 2,
     .size = 2,
     .type_name = "short"},
    {.kind = ElementKind::BasicType,
     .name = "fLineStyle",
     .title = "Line style",
     .type = 2,
     .size = 2,
     .type_name = "short"},
    {.kind = ElementKind::BasicType,
     .name = "fLineWidth",
     .title = "Line width",
     .type = 2,
     .size = 2,
     .type_name = "short"},
};
constexpr ElementSpec kTAttFillElements[] = {
    {.kind = ElementKind::BasicType,
     .name = "fFillColor",
     .title = "Fill area color",
     .type = 2,
     .size = 2,
     .type_name = "short"},
    {.kind = ElementKind::BasicType,
     .name = "fFillStyle",
     .title = "Fill area style",
     .type = 2,
     .size = 2,
     .type_name = "short"},
};
constexpr ElementSpec kTAttMarkerElements[] = {
    {.kind = ElementKind::BasicType,
     .name = "fMarkerColor",
     .title = "Marker color",
     .type = 2,
     .size = 2,
     .type_name = "short"},
    {.kind = ElementKind::BasicType,
     .name = "fMarkerStyle",
     .title = "Marker style",
     .type = 2,
     .size = 2,
     .type_name = "short"},
    {.kind = ElementKind::BasicType,
     .name = "fMarkerSize",
     .title = "Marker size",
     .type = 5,
     .size = 4,
     .type_name = "float"},
};
constexpr ElementSpec kROOT_TIOFeaturesElements[] = {
    {.kind = ElementKind::BasicType,
     .name = "fIOBits",
     .title = "",
     .type = 11,
     .size = 1,
     .type_name = "unsigned char"},
};
constexpr ElementSpec kTCollectionElements[] = {
    {.kind = ElementKind::Base,
     .name = "TObject",
     .title = "Basic ROOT object",
     .type = 66,
     .size = 0,
     .type_name = "BASE",
     .base_version = 1,
     .base_checksum = 2417737773u},
    {.kind = ElementKind::String,
     .name = "fName",
     .title = "name of the collection",
     .type = 65,
     .size = 24,
     .type_name = "TString"},
    {.kind = ElementKind::BasicType,
     .name = "fSize",
     .title = "number of elements in collection",
     .type = 3,
     .size = 4,
     .type_name = "int"},
};
constexpr ElementSpec kTSeqCollectionElements[] = {
    {.kind = ElementKind::Base,
     .name = "TCollection",
     .title = "Collection abstract base class",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 3,
     .base_checksum = 1474546588u},
};
constexpr ElementSpec kTObjArrayElements[] = {
    {.kind = ElementKind::Base,
     .name = "TSeqCollection",
     .title = "Sequenceable collection ABC",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 0,
     .base_checksum = 4234951622u},
    {.kind = ElementKind::BasicType,
     .name = "fLowerBound",
     .title = "Lower bound of the array",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fLast",
     .title = "Last element in array containing an object",
     .type = 3,
     .size = 4,
     .type_name = "int"},
};
constexpr ElementSpec kTListElements[] = {
    {.kind = ElementKind::Base,
     .name = "TSeqCollection",
     .title = "Sequenceable collection ABC",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 0,
     .base_checksum = 4234951622u},
};
constexpr ElementSpec kTTreeElements[] = {
    {.kind = ElementKind::Base,
     .name = "TNamed",
     .title = "The basis for a named object (name, title)",
     .type = 67,
     .size = 0,
     .type_name = "BASE",
     .base_version = 1,
     .base_checksum = 3753331260u},
    {.kind = ElementKind::Base,
     .name = "TAttLine",
     .title = "Line attributes",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 2483504457u},
    {.kind = ElementKind::Base,
     .name = "TAttFill",
     .title = "Fill area attributes",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 4292422290u},
    {.kind = ElementKind::Base,
     .name = "TAttMarker",
     .title = "Marker attributes",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 689802220u},
    {.kind = ElementKind::BasicType,
     .name = "fEntries",
     .title = "Number of entries",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fTotBytes",
     .title = "Total number of bytes in all branches before compression",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fZipBytes",
     .title = "Total number of bytes in all branches after compression",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fSavedBytes",
     .title = "Number of autosaved bytes",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fFlushedBytes",
     .title = "Number of auto-flushed bytes",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fWeight",
     .title = "Tree weight (see TTree::SetWeight)",
     .type = 8,
     .size = 8,
     .type_name = "double"},
    {.kind = ElementKind::BasicType,
     .name = "fTimerInterval",
     .title = "Timer interval in milliseconds",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fScanField",
     .title = "Number of runs before prompting in Scan",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fUpdate",
     .title = "Update frequency for EntryLoop",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fDefaultEntryOffsetLen",
     .title = "Initial Length of fEntryOffset table in the basket buffers",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fNClusterRange",
     .title = "Number of Cluster range in addition to the one defined by 'AutoFlush'",
     .type = 6,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fMaxEntries",
     .title = "Maximum number of entries in case of circular buffers",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fMaxEntryLoop",
     .title = "Maximum number of entries to process",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fMaxVirtualSize",
     .title = "Maximum total size of buffers kept in memory",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fAutoSave",
     .title = "Autosave tree when fAutoSave entries written or -fAutoSave (compressed) bytes produced",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fAutoFlush",
     .title = "Auto-flush tree when fAutoFlush entries written or -fAutoFlush (compressed) bytes produced",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fEstimate",
     .title = "Number of entries to estimate histogram limits",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicPointer,
     .name = "fClusterRangeEnd",
     .title = "[fNClusterRange] Last entry of a cluster range.",
     .type = 56,
     .size = 8,
     .type_name = "Long64_t*",
     .count_version = 20,
     .count_name = "fNClusterRange",
     .count_class = "TTree"},
    {.kind = ElementKind::BasicPointer,
     .name = "fClusterSize",
     .title = "[fNClusterRange] Number of entries in each cluster for a given range.",
     .type = 56,
     .size = 8,
     .type_name = "Long64_t*",
     .count_version = 20,
     .count_name = "fNClusterRange",
     .count_class = "TTree"},
    {.kind = ElementKind::ObjectAny,
     .name = "fIOFeatures",
     .title = "IO features to define for newly-written baskets and branches.",
     .type = 62,
     .size = 1,
     .type_name = "ROOT::TIOFeatures"},
    {.kind = ElementKind::Object,
     .name = "fBranches",
     .title = "List of Branches",
     .type = 61,
     .size = 64,
     .type_name = "TObjArray"},
    {.kind = ElementKind::Object,
     .name = "fLeaves",
     .title = "Direct pointers to individual branch leaves",
     .type = 61,
     .size = 64,
     .type_name = "TObjArray"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fAliases",
     .title = "List of aliases for expressions based on the tree branches.",
     .type = 64,
     .size = 8,
     .type_name = "TList*"},
    {.kind = ElementKind::ObjectAny,
     .name = "fIndexValues",
     .title = "Sorted index values",
     .type = 62,
     .size = 24,
     .type_name = "TArrayD"},
    {.kind = ElementKind::ObjectAny,
     .name = "fIndex",
     .title = "Index of sorted values",
     .type = 62,
     .size = 24,
     .type_name = "TArrayI"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fTreeIndex",
     .title = "Pointer to the tree Index (if any)",
     .type = 64,
     .size = 8,
     .type_name = "TVirtualIndex*"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fFriends",
     .title = "pointer to list of friend elements",
     .type = 64,
     .size = 8,
     .type_name = "TList*"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fUserInfo",
     .title = "pointer to a list of user objects associated to this Tree",
     .type = 64,
     .size = 8,
     .type_name = "TList*"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fBranchRef",
     .title = "Branch supporting the TRefTable (if any)",
     .type = 64,
     .size = 8,
     .type_name = "TBranchRef*"},
};
constexpr ElementSpec kTBranchElements[] = {
    {.kind = ElementKind::Base,
     .name = "TNamed",
     .title = "The basis for a named object (name, title)",
     .type = 67,
     .size = 0,
     .type_name = "BASE",
     .base_version = 1,
     .base_checksum = 3753331260u},
    {.kind = ElementKind::Base,
     .name = "TAttFill",
     .title = "Fill area attributes",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 4292422290u},
    {.kind = ElementKind::BasicType,
     .name = "fCompress",
     .title = "Compression level and algorithm",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fBasketSize",
     .title = "Initial Size of  Basket Buffer",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fEntryOffsetLen",
     .title = "Initial Length of fEntryOffset table in the basket buffers",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fWriteBasket",
     .title = "Last basket number written",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fEntryNumber",
     .title = "Current entry number (last one filled in this branch)",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::ObjectAny,
     .name = "fIOFeatures",
     .title = "IO features for newly-created baskets.",
     .type = 62,
     .size = 1,
     .type_name = "ROOT::TIOFeatures"},
    {.kind = ElementKind::BasicType,
     .name = "fOffset",
     .title = "Offset of this branch",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fMaxBaskets",
     .title = "Maximum number of Baskets so far",
     .type = 6,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fSplitLevel",
     .title = "Branch split level",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fEntries",
     .title = "Number of entries",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fFirstEntry",
     .title = "Number of the first entry in this branch",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fTotBytes",
     .title = "Total number of bytes in all leaves before compression",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fZipBytes",
     .title = "Total number of bytes in all leaves after compression",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::Object,
     .name = "fBranches",
     .title = "-> List of Branches of this branch",
     .type = 61,
     .size = 64,
     .type_name = "TObjArray"},
    {.kind = ElementKind::Object,
     .name = "fLeaves",
     .title = "-> List of leaves of this branch",
     .type = 61,
     .size = 64,
     .type_name = "TObjArray"},
    {.kind = ElementKind::Object,
     .name = "fBaskets",
     .title = "-> List of baskets of this branch",
     .type = 61,
     .size = 64,
     .type_name = "TObjArray"},
    {.kind = ElementKind::BasicPointer,
     .name = "fBasketBytes",
     .title = "[fMaxBaskets] Length of baskets on file",
     .type = 43,
     .size = 4,
     .type_name = "int*",
     .count_version = 13,
     .count_name = "fMaxBaskets",
     .count_class = "TBranch"},
    {.kind = ElementKind::BasicPointer,
     .name = "fBasketEntry",
     .title = "[fMaxBaskets] Table of first entry in each basket",
     .type = 56,
     .size = 8,
     .type_name = "Long64_t*",
     .count_version = 13,
     .count_name = "fMaxBaskets",
     .count_class = "TBranch"},
    {.kind = ElementKind::BasicPointer,
     .name = "fBasketSeek",
     .title = "[fMaxBaskets] Addresses of baskets on file",
     .type = 56,
     .size = 8,
     .type_name = "Long64_t*",
     .count_version = 13,
     .count_name = "fMaxBaskets",
     .count_class = "TBranch"},
    {.kind = ElementKind::String,
     .name = "fFileName",
     .title = "Name of file where buffers are stored (\"\" if in same file as Tree header)",
     .type = 65,
     .size = 24,
     .type_name = "TString"},
};
constexpr ElementSpec kTLeafElements[] = {
    {.kind = ElementKind::Base,
     .name = "TNamed",
     .title = "The basis for a named object (name, title)",
     .type = 67,
     .size = 0,
     .type_name = "BASE",
     .base_version = 1,
     .base_checksum = 3753331260u},
    {.kind = ElementKind::BasicType,
     .name = "fLen",
     .title = "Number of fixed length elements in the leaf's data.",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fLenType",
     .title = "Number of bytes for this data type",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fOffset",
     .title = "Offset in ClonesArray object (if one)",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fIsRange",
     .title = "(=kTRUE if leaf has a range, kFALSE otherwise).  This is equivalent to being a 'leafcount'.  "
              "For a TLeafElement the range information is actually store in the TBranchElement.",
     .type = 18,
     .size = 1,
     .type_name = "bool"},
    {.kind = ElementKind::BasicType,
     .name = "fIsUnsigned",
     .title = "(=kTRUE if unsigned, kFALSE otherwise)",
     .type = 18,
     .size = 1,
     .type_name = "bool"},
    {.kind = ElementKind::ObjectPointer,
     .name = "fLeafCount",
     .title = "Pointer to Leaf count if variable length (we do not own the counter)",
     .type = 64,
     .size = 8,
     .type_name = "TLeaf*"},
};
constexpr ElementSpec kTLeafOElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 18,
     .size = 1,
     .type_name = "bool"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 18,
     .size = 1,
     .type_name = "bool"},
};
constexpr ElementSpec kTLeafBElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 1,
     .size = 1,
     .type_name = "char"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 1,
     .size = 1,
     .type_name = "char"},
};
constexpr ElementSpec kTLeafIElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 3,
     .size = 4,
     .type_name = "int"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 3,
     .size = 4,
     .type_name = "int"},
};
constexpr ElementSpec kTLeafLElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 16,
     .size = 8,
     .type_name = "Long64_t"},
};
constexpr ElementSpec kTLeafFElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 5,
     .size = 4,
     .type_name = "float"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 5,
     .size = 4,
     .type_name = "float"},
};
constexpr ElementSpec kTLeafDElements[] = {
    {.kind = ElementKind::Base,
     .name = "TLeaf",
     .title = "Leaf: description of a Branch data type",
     .type = 0,
     .size = 0,
     .type_name = "BASE",
     .base_version = 2,
     .base_checksum = 1830715730u},
    {.kind = ElementKind::BasicType,
     .name = "fMinimum",
     .title = "Minimum value if leaf range is specified",
     .type = 8,
     .size = 8,
     .type_name = "double"},
    {.kind = ElementKind::BasicType,
     .name = "fMaximum",
     .title = "Maximum value if leaf range is specified",
     .type = 8,
     .size = 8,
     .type_name = "double"},
};
// In the order ROOT writes them (minus the classes the writer never uses), so that the record is
// byte for byte the one ROOT writes for the same classes.
constexpr ClassSpec kClasses[] = {
    {"TTree", 20, 1919213695u, kTTreeElements},
    {"TNamed", 1, 3753331260u, kTNamedElements},
    {"TObject", 1, 2417737773u, kTObjectElements},
    {"TAttLine", 2, 2483504457u, kTAttLineElements},
    {"TAttFill", 2, 4292422290u, kTAttFillElements},
    {"TAttMarker", 2, 689802220u, kTAttMarkerElements},
    {"ROOT::TIOFeatures", 1, 446770960u, kROOT_TIOFeaturesElements},
    {"TBranch", 13, 278366892u, kTBranchElements},
    {"TLeafI", 1, 2120920601u, kTLeafIElements},
    {"TLeaf", 2, 1830715730u, kTLeafElements},
    {"TLeafO", 1, 44976339u, kTLeafOElements},
    {"TLeafB", 1, 253643614u, kTLeafBElements},
    {"TLeafL", 1, 3727820898u, kTLeafLElements},
    {"TLeafF", 1, 987602290u, kTLeafFElements},
    {"TLeafD", 1, 294553462u, kTLeafDElements},
    {"TList", 5, 1774568379u, kTListElements},
    {"TSeqCollection", 0, 4234951622u, kTSeqCollectionElements},
    {"TCollection", 3, 1474546588u, kTCollectionElements},
    {"TString", 2, 95257u, {}},
    {"TObjArray", 3, 2845730130u, kTObjArrayElements},
};

// Bits of TObject::fBits that ROOT writes for these objects (kNotDeleted | kIsOnHeap, and for
// TStreamerInfo also its kNeedCheck bit), so that the record matches ROOT's byte for byte.
constexpr uint32_t kStreamerInfoBits = 0x03010000;
constexpr uint32_t kElementBits = 0x03000000;
constexpr uint32_t kCollectionBits = 0x02000000;

const char* element_class(ElementKind kind) {
  switch (kind) {
    case ElementKind::Base:
      return "TStreamerBase";
    case ElementKind::BasicType:
      return "TStreamerBasicType";
    case ElementKind::BasicPointer:
      return "TStreamerBasicPointer";
    case ElementKind::Object:
      return "TStreamerObject";
    case ElementKind::ObjectAny:
      return "TStreamerObjectAny";
    case ElementKind::ObjectPointer:
      return "TStreamerObjectPointer";
    case ElementKind::String:
      return "TStreamerString";
  }
  return "";
}

int16_t element_class_version(ElementKind kind) {
  return kind == ElementKind::Base ? 3 : 2;
}

void write_element(OutBuffer& out, const ElementSpec& element) {
  const size_t object = out.begin_object(element_class(element.kind));
  const size_t derived = out.begin_versioned(element_class_version(element.kind));
  const size_t base = out.begin_versioned(4);  // TStreamerElement
  const size_t named = out.begin_versioned(1);
  out.tobject(kElementBits);
  out.tstring(element.name);
  out.tstring(element.title);
  out.end_versioned(named);
  out.i32(element.type);
  out.i32(element.size);
  out.i32(0);  // fArrayLength
  out.i32(0);  // fArrayDim
  const uint32_t max_index[5] = {0, element.base_checksum, 0, 0, 0};
  for (uint32_t index : max_index) out.u32(index);
  out.tstring(element.type_name);
  out.end_versioned(base);
  if (element.kind == ElementKind::Base) out.i32(element.base_version);
  if (element.kind == ElementKind::BasicPointer) {
    out.i32(element.count_version);
    out.tstring(element.count_name);
    out.tstring(element.count_class);
  }
  out.end_versioned(derived);
  out.end_object(object);
}

void write_streamer_info(OutBuffer& out, const ClassSpec& spec) {
  const size_t object = out.begin_object("TStreamerInfo");
  const size_t info = out.begin_versioned(9);
  const size_t named = out.begin_versioned(1);
  out.tobject(kStreamerInfoBits);
  out.tstring(spec.name);
  out.tstring("");
  out.end_versioned(named);
  out.u32(spec.checksum);
  out.i32(spec.version);
  const size_t array_object = out.begin_object("TObjArray");
  const size_t array = out.begin_versioned(3);
  out.tobject(kCollectionBits);
  out.tstring("");
  out.i32(static_cast<int32_t>(spec.elements.size()));
  out.i32(0);  // fLowerBound
  for (const ElementSpec& element : spec.elements) write_element(out, element);
  out.end_versioned(array);
  out.end_object(array_object);
  out.end_versioned(info);
  out.end_object(object);
}

}  // namespace

void write_streamer_info_list(OutBuffer& out) {
  const size_t list = out.begin_versioned(5);
  out.tobject(kCollectionBits);
  out.tstring("");
  out.i32(static_cast<int32_t>(std::size(kClasses)));
  for (const ClassSpec& spec : kClasses) {
    write_streamer_info(out, spec);
    out.u8(0);  // the TList entry's option string, empty
  }
  out.end_versioned(list);
}

}  // namespace trigml::rootio
