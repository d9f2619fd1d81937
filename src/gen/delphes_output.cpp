#include "gen/delphes_output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <string>

#include "common/error.hpp"

namespace trigml::gen {
namespace {

using rootio::BranchId;
using rootio::LeafType;
using rootio::TreeWriter;

// The branches of one Delphes collection: its "<Name>_size" counter and "<Name>.<Field>" columns.
class Collection {
 public:
  Collection(TreeWriter& tree, std::string name) : tree_(tree), name_(std::move(name)) {
    counter_ = tree_.add_counter(name_ + "_size");
  }
  BranchId column(const std::string& field, LeafType type) {
    return tree_.add_jagged(name_ + "." + field, type, counter_);
  }
  BranchId counter() const { return counter_; }

 private:
  TreeWriter& tree_;
  std::string name_;
  BranchId counter_;
};

// Branch ids of the Delphes tree, declared once, filled per batch. Delphes stores Jet.BTag as
// uint32; the writer's Int32 holds its 0/1 values.
class DelphesTree {
 public:
  explicit DelphesTree(TreeWriter& tree) : tree_(tree) {
    declare_leptons("Electron", electron_);
    declare_leptons("MuonTight", muon_);
    Collection jet(tree, "Jet");
    jet_ = {jet.counter(),
            jet.column("PT", LeafType::Float32),
            jet.column("Eta", LeafType::Float32),
            jet.column("Phi", LeafType::Float32),
            jet.column("Mass", LeafType::Float32),
            jet.column("BTag", LeafType::Int32)};
    Collection missing(tree, "MissingET");
    missing_ = {missing.counter(), missing.column("MET", LeafType::Float32),
                missing.column("Phi", LeafType::Float32)};
    Collection track(tree, "EFlowTrack");
    track_ = {track.counter(),
              track.column("PT", LeafType::Float32),
              track.column("Eta", LeafType::Float32),
              track.column("Phi", LeafType::Float32),
              track.column("PID", LeafType::Int32),
              track.column("Charge", LeafType::Int32),
              track.column("X", LeafType::Float32),
              track.column("Y", LeafType::Float32),
              track.column("Z", LeafType::Float32)};
    declare_towers("EFlowPhoton", photon_);
    declare_towers("EFlowNeutralHadron", neutral_);
  }

  void fill(const EventBatch& batch) {
    fill_leptons(electron_, batch.electrons);
    fill_leptons(muon_, batch.muons);
    const JetColumns& j = batch.jets;
    tree_.fill(jet_.size, std::span<const int32_t>(j.size));
    tree_.fill(jet_.pt, std::span<const float>(j.pt));
    tree_.fill(jet_.eta, std::span<const float>(j.eta));
    tree_.fill(jet_.phi, std::span<const float>(j.phi));
    tree_.fill(jet_.mass, std::span<const float>(j.mass));
    tree_.fill(jet_.btag, std::span<const int32_t>(j.btag));
    const MissingEtColumns& m = batch.missing_et;
    tree_.fill(missing_.size, std::span<const int32_t>(m.size));
    tree_.fill(missing_.met, std::span<const float>(m.met));
    tree_.fill(missing_.phi, std::span<const float>(m.phi));
    const TrackColumns& t = batch.tracks;
    tree_.fill(track_.size, std::span<const int32_t>(t.size));
    tree_.fill(track_.pt, std::span<const float>(t.pt));
    tree_.fill(track_.eta, std::span<const float>(t.eta));
    tree_.fill(track_.phi, std::span<const float>(t.phi));
    tree_.fill(track_.pid, std::span<const int32_t>(t.pid));
    tree_.fill(track_.charge, std::span<const int32_t>(t.charge));
    tree_.fill(track_.x, std::span<const float>(t.x));
    tree_.fill(track_.y, std::span<const float>(t.y));
    tree_.fill(track_.z, std::span<const float>(t.z));
    fill_towers(photon_, batch.photons);
    fill_towers(neutral_, batch.neutral_hadrons);
    tree_.end_batch(batch.events);
  }

 private:
  struct LeptonIds {
    BranchId size, pt, eta, phi, charge;
  };
  struct JetIds {
    BranchId size, pt, eta, phi, mass, btag;
  };
  struct MissingEtIds {
    BranchId size, met, phi;
  };
  struct TrackIds {
    BranchId size, pt, eta, phi, pid, charge, x, y, z;
  };
  struct TowerIds {
    BranchId size, et, eta, phi;
  };

  void declare_leptons(const std::string& name, LeptonIds& ids) {
    Collection c(tree_, name);
    ids = {c.counter(), c.column("PT", LeafType::Float32), c.column("Eta", LeafType::Float32),
           c.column("Phi", LeafType::Float32), c.column("Charge", LeafType::Int32)};
  }
  void declare_towers(const std::string& name, TowerIds& ids) {
    Collection c(tree_, name);
    ids = {c.counter(), c.column("ET", LeafType::Float32), c.column("Eta", LeafType::Float32),
           c.column("Phi", LeafType::Float32)};
  }
  void fill_leptons(const LeptonIds& ids, const LeptonColumns& columns) {
    tree_.fill(ids.size, std::span<const int32_t>(columns.size));
    tree_.fill(ids.pt, std::span<const float>(columns.pt));
    tree_.fill(ids.eta, std::span<const float>(columns.eta));
    tree_.fill(ids.phi, std::span<const float>(columns.phi));
    tree_.fill(ids.charge, std::span<const int32_t>(columns.charge));
  }
  void fill_towers(const TowerIds& ids, const TowerColumns& columns) {
    tree_.fill(ids.size, std::span<const int32_t>(columns.size));
    tree_.fill(ids.et, std::span<const float>(columns.et));
    tree_.fill(ids.eta, std::span<const float>(columns.eta));
    tree_.fill(ids.phi, std::span<const float>(columns.phi));
  }

  TreeWriter& tree_;
  LeptonIds electron_{}, muon_{};
  JetIds jet_{};
  MissingEtIds missing_{};
  TrackIds track_{};
  TowerIds photon_{}, neutral_{};
};

void check_output_path(const std::filesystem::path& path) {
  const ErrorContext context{path.string(), std::nullopt, ""};
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw IoError("the output path is a directory", context);
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  if (!std::filesystem::is_directory(directory, error)) {
    throw IoError(fmt::format("output directory '{}' does not exist", directory.string()), context);
  }
  if (::access(directory.c_str(), W_OK) != 0) {
    throw IoError(fmt::format("output directory '{}' is not writable", directory.string()), context);
  }
}

}  // namespace

void write_delphes_file(const std::filesystem::path& path, const GeneratorSettings& settings, int64_t events,
                        int threads, rootio::WriterOptions options,
                        const std::function<void(uint64_t)>& on_batch) {
  validate(settings, events, threads);
  check_output_path(path);

  options.seed = settings.seed;
  auto file = rootio::FileWriter::create(path, options);
  file->add_named("trigml_process", std::string(process_name(settings.process)));
  file->add_named("trigml_seed", std::to_string(settings.seed));
  file->add_named("trigml_pileup", fmt::format("{}", settings.pileup));
  file->add_named("trigml_events", std::to_string(events));
  file->add_named("trigml_generator", "trigml " TRIGML_VERSION);
  DelphesTree tree(file->add_tree("Delphes", "Analysis tree"));
  generate_events(settings, events, threads, [&](const EventBatch& batch) {
    tree.fill(batch);
    if (on_batch) on_batch(batch.events);
  });
  file->close();
}

}  // namespace trigml::gen
