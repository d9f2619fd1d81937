// The streamer-info record of files the writer produces: a TList with one TStreamerInfo for each
// class whose objects the file holds (TTree, TBranch, the leaves, TNamed and their bases), so
// that ROOT, uproot and JSROOT can decode those objects.
#pragma once

#include "rootio/writer_buffer.hpp"

namespace trigml::rootio {

// Appends the TList (its byte count and version first) to `out`.
void write_streamer_info_list(OutBuffer& out);

}  // namespace trigml::rootio
