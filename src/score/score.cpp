#include "score/score.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "ingest/ingest.hpp"
#include "io/url.hpp"
#include "parquet/writer.hpp"
#include "score/decider.hpp"

namespace trigml::score {
namespace fs = std::filesystem;

namespace {

struct Chunk {
  size_t file = 0;
  uint64_t first = 0, last = 0;
};

// A chunk's decisions in the file's columns, kept until every chunk before it is written.
struct ChunkResult {
  std::vector<int64_t> entry;
  std::vector<uint8_t> selected, accept;
  std::array<std::vector<float>, kClasses.size()> probabilities;  // selected events only
  bool done = false;
  void clear() {
    entry.clear(), selected.clear(), accept.clear();
    for (auto& p : probabilities) p.clear();
  }
};

std::vector<parquet::ColumnSpec> score_columns() {
  using parquet::ColumnType;
  std::vector<parquet::ColumnSpec> columns = {
      {"source_file", ColumnType::String}, {"entry", ColumnType::Int64}, {"selected", ColumnType::Bool}};
  for (auto name : kClasses) columns.push_back({"p_" + std::string(name), ColumnType::OptionalFloat});
  columns.push_back({"accept", ColumnType::Bool});
  return columns;
}

}  // namespace

ScoreSummary run_score(const ScoreOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.out.empty()) throw UsageError("--out is required");
  if (o.inputs.empty()) throw UsageError("no inputs to score");
  if (o.chunk_events == 0 || o.batch_events == 0) throw UsageError("chunk and batch sizes must be positive");
  const train::ModelDirectory model = train::read_model_directory(o.model);
  const AcceptRule accept = AcceptRule::parse(o.accept.empty() ? kDefaultAcceptRule : o.accept);
  const ingest::SchemaMapping schema = ingest::schema_by_name(o.schema);
  physics::SelectionConfig selection;
  selection.btag_threshold = schema.btag_threshold;

  std::vector<std::string> files;
  for (const auto& pattern : o.inputs)
    for (auto& file : ingest::expand_inputs(pattern)) files.push_back(std::move(file));
  std::vector<std::string> sources;  // as recorded: a URL without its credentials
  std::vector<Chunk> chunks;
  uint64_t total = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    sources.push_back(io::printable_location(files[f]));
    const uint64_t entries = ingest::EventReader::entries_in(files[f], schema.tree);
    for (uint64_t first = 0; first < entries; first += o.chunk_events)
      chunks.push_back({f, first, std::min(entries, first + o.chunk_events)});
    total += entries;
  }

  ScoreSummary summary;
  summary.files = files.size();
  const fs::path out_dir = o.out.parent_path().empty() ? fs::path(".") : o.out.parent_path();
  if (!fs::is_directory(out_dir)) throw UsageError("the output's directory does not exist", {o.out.string()});
  const auto columns = score_columns();
  parquet::WriterOptions writer_options;
  writer_options.codec = parquet::Codec::Zstd;
  parquet::Writer writer(o.out, columns, writer_options);

  Progress progress("score", total, "events", o.progress);
  std::mutex mutex;  // guards results, next_to_write, the writer and the summary
  std::map<size_t, ChunkResult> results;
  size_t next_to_write = 0;
  std::vector<parquet::ColumnValues> values(columns.size());
  // Writes the finished chunks that come next in input order.
  auto write_ready = [&] {
    for (auto it = results.find(next_to_write); it != results.end() && it->second.done;
         it = results.find(next_to_write)) {
      ChunkResult& r = it->second;
      values[0].repeated_string = &sources[chunks[next_to_write].file];
      values[1].int64s = r.entry;
      values[2].bools = r.selected;
      for (size_t k = 0; k < kClasses.size(); ++k) {
        values[3 + k].present = r.selected;
        values[3 + k].floats = r.probabilities[k];
      }
      values[3 + kClasses.size()].bools = r.accept;
      if (!r.entry.empty()) writer.write(r.entry.size(), values);
      results.erase(it);
      ++next_to_write;
    }
  };

  std::atomic<size_t> next_chunk{0};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  auto work = [&] {
    try {
      model::set_threads(1);
      Decider decider(model, accept, selection);
      {
        std::lock_guard lock(mutex);
        summary.model_id = decider.model_id();
      }
      std::unique_ptr<ingest::EventReader> reader;
      size_t reader_file = files.size();
      std::vector<physics::EventInput> events(o.batch_events);
      std::vector<Decision> decisions(o.batch_events);
      ingest::SelectionCounts counts;
      uint64_t accepted = 0;
      ChunkResult result;
      for (size_t c = next_chunk++; c < chunks.size() && !failed; c = next_chunk++) {
        const Chunk& chunk = chunks[c];
        if (reader_file != chunk.file) {
          reader = std::make_unique<ingest::EventReader>(files[chunk.file], schema);
          reader_file = chunk.file;
        }
        reader->load(chunk.first, chunk.last);
        result.clear();
        for (uint64_t first = chunk.first; first < chunk.last; first += o.batch_events) {
          const size_t n = static_cast<size_t>(std::min<uint64_t>(o.batch_events, chunk.last - first));
          for (size_t i = 0; i < n; ++i) reader->event(first - chunk.first + i, events[i]);
          decider.decide(std::span(events).first(n), reader->particle_flow(), std::span(decisions).first(n));
          for (size_t i = 0; i < n; ++i) {
            const Decision& d = decisions[i];
            counts.count(d.rejection);
            result.entry.push_back(static_cast<int64_t>(first + i));
            result.selected.push_back(d.selected());
            result.accept.push_back(d.accept);
            accepted += d.accept;
            if (d.selected())
              for (size_t k = 0; k < kClasses.size(); ++k)
                result.probabilities[k].push_back(d.probabilities[k]);
          }
        }
        progress.advance(chunk.last - chunk.first);
        std::lock_guard lock(mutex);
        result.done = true;
        std::swap(results[c], result);
        write_ready();
      }
      std::lock_guard lock(mutex);
      summary.counts.add(counts);
      summary.accepted += accepted;
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
    }
  };
  const unsigned threads = static_cast<unsigned>(
      std::max<size_t>(1, std::min<size_t>(o.threads ? o.threads : default_threads(), chunks.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  writer.set_metadata("trigml.score",
                      nlohmann::json{{"model", summary.model_id},
                                     {"model_path", fs::absolute(o.model).lexically_normal().string()},
                                     {"accept", accept.text},
                                     {"schema", schema.name}}
                          .dump());
  writer.close();
  progress.finish();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace trigml::score
