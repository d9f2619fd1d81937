// libFuzzer target: arbitrary bytes as a ROOT file — open it, list keys, open every tree and
// read every branch, open every RNTuple and read its fields (entries capped). Only trigml::Error
// may escape the reader.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/error.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple.hpp"
#include "rootio/tree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trigml::rootio;
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  try {
    auto file = RootFile::open(std::make_unique<trigml::io::MemorySource>("fuzz.root", std::move(bytes)));
    for (const auto& entry : file->keys()) {
      if (entry.key.class_name == RNTuple::class_name) {
        try {
          auto ntuple = RNTuple::open(file, entry.path);
          ntuple->read(ntuple->top_fields(), 0, std::min<uint64_t>(ntuple->entries(), 1000));
        } catch (const trigml::Error&) {
        }
        continue;
      }
      if (entry.key.class_name != "TTree") continue;
      try {
        auto tree = Tree::open(file, entry.path, entry.key.cycle);
        uint64_t last = std::min<uint64_t>(tree->entries(), 1000);
        for (const Branch* branch : tree->all_branches()) {
          try {
            tree->read(*branch, 0, last);
          } catch (const trigml::Error&) {
          }
        }
      } catch (const trigml::Error&) {
      }
    }
  } catch (const trigml::Error&) {
  }
  return 0;
}
