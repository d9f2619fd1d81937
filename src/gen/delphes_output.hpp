// Writes generated events as a Delphes-like ROOT file through the rootio writer: a TTree "Delphes"
// with the Delphes branch names and types that trigml's ingestion reads, and TNamed metadata keys
// (trigml_process, trigml_seed, trigml_pileup, trigml_events, trigml_generator).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>

#include "gen/generator.hpp"
#include "rootio/writer.hpp"

namespace trigml::gen {

// Checks every argument (process, pileup, event and thread counts, output directory) before
// creating anything, so a bad call leaves no file; `on_batch` receives the events of each
// written batch (for progress reporting). The writer's seed is set from the generator's seed, so
// the same arguments give byte-identical files whatever the thread count.
void write_delphes_file(const std::filesystem::path& path, const GeneratorSettings& settings, int64_t events,
                        int threads, rootio::WriterOptions options,
                        const std::function<void(uint64_t)>& on_batch = {});

}  // namespace trigml::gen
