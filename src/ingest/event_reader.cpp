#include "ingest/event_reader.hpp"

#include "common/error.hpp"

namespace trigml::ingest {

void FeatureBatch::clear() {
  for (auto& column : high_level) column.clear();
  particle_values.clear();
  particle_rows.assign(1, 0);
  n_tracks.clear();
  n_photons.clear();
  n_neutral.clear();
  entry.clear();
}

void FeatureBatch::append(const physics::EventFeatures& features, int64_t entry_number) {
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) high_level[k].push_back(features.high_level[k]);
  particle_values.insert(particle_values.end(), features.particles.begin(), features.particles.end());
  particle_rows.push_back(particle_rows.back() + static_cast<int64_t>(features.rows()));
  n_tracks.push_back(static_cast<int16_t>(features.tracks));
  n_photons.push_back(static_cast<int16_t>(features.photons));
  n_neutral.push_back(static_cast<int16_t>(features.neutral));
  entry.push_back(entry_number);
}

void SelectionCounts::add(const SelectionCounts& other) {
  read += other.read;
  selected += other.selected;
  empty_particle_map += other.empty_particle_map;
  no_lepton += other.no_lepton;
  no_isolated_lepton += other.no_isolated_lepton;
}

void SelectionCounts::count(physics::Rejection result) {
  ++read;
  switch (result) {
    case physics::Rejection::None: ++selected; break;
    case physics::Rejection::EmptyParticleMap: ++empty_particle_map; break;
    case physics::Rejection::NoLepton: ++no_lepton; break;
    case physics::Rejection::NoIsolatedLepton: ++no_isolated_lepton; break;
  }
}

namespace {

// Which branch of the schema feeds which input, in the order of SchemaMapping::branches().
enum class Input {
  ElectronPt,
  ElectronEta,
  ElectronPhi,
  ElectronCharge,
  ElectronIsoAll,
  ElectronIsoCharged,
  MuonPt,
  MuonEta,
  MuonPhi,
  MuonCharge,
  MuonIsoAll,
  MuonIsoCharged,
  JetPt,
  JetEta,
  JetBTag,
  Met,
  MetPhi,
  TrackPt,
  TrackEta,
  TrackPhi,
  TrackCharge,
  TrackX,
  TrackY,
  TrackZ,
  PhotonEt,
  PhotonEta,
  PhotonPhi,
  NeutralEt,
  NeutralEta,
  NeutralPhi,
  Count
};

std::vector<std::pair<Input, std::string>> inputs_of(const ingest::SchemaMapping& s) {
  std::vector<std::pair<Input, std::string>> all = {{Input::ElectronPt, s.electron_pt},
                                                    {Input::ElectronEta, s.electron_eta},
                                                    {Input::ElectronPhi, s.electron_phi},
                                                    {Input::ElectronCharge, s.electron_charge},
                                                    {Input::ElectronIsoAll, s.electron_iso_all},
                                                    {Input::ElectronIsoCharged, s.electron_iso_charged},
                                                    {Input::MuonPt, s.muon_pt},
                                                    {Input::MuonEta, s.muon_eta},
                                                    {Input::MuonPhi, s.muon_phi},
                                                    {Input::MuonCharge, s.muon_charge},
                                                    {Input::MuonIsoAll, s.muon_iso_all},
                                                    {Input::MuonIsoCharged, s.muon_iso_charged},
                                                    {Input::JetPt, s.jet_pt},
                                                    {Input::JetEta, s.jet_eta},
                                                    {Input::JetBTag, s.jet_btag},
                                                    {Input::Met, s.met},
                                                    {Input::MetPhi, s.met_phi},
                                                    {Input::TrackPt, s.track_pt},
                                                    {Input::TrackEta, s.track_eta},
                                                    {Input::TrackPhi, s.track_phi},
                                                    {Input::TrackCharge, s.track_charge},
                                                    {Input::TrackX, s.track_x},
                                                    {Input::TrackY, s.track_y},
                                                    {Input::TrackZ, s.track_z},
                                                    {Input::PhotonEt, s.photon_et},
                                                    {Input::PhotonEta, s.photon_eta},
                                                    {Input::PhotonPhi, s.photon_phi},
                                                    {Input::NeutralEt, s.neutral_et},
                                                    {Input::NeutralEta, s.neutral_eta},
                                                    {Input::NeutralPhi, s.neutral_phi}};
  std::vector<std::pair<Input, std::string>> used;
  for (auto& [input, branch] : all)
    if (!branch.empty()) used.emplace_back(input, branch);
  return used;
}

bool is_integer_input(Input input) {
  return input == Input::ElectronCharge || input == Input::MuonCharge || input == Input::TrackCharge;
}

bool is_ntuple(const rootio::RootFile& file, const std::string& name) {
  return file.find_key(name).key.class_name == rootio::RNTuple::class_name;
}

}  // namespace

uint64_t EventReader::entries_in(const std::string& path, const std::string& tree) {
  auto file = rootio::RootFile::open(path);
  return is_ntuple(*file, tree) ? rootio::RNTuple::open(file, tree)->entries()
                                : rootio::Tree::open(file, tree)->entries();
}

std::vector<uint64_t> EventReader::cluster_boundaries_in(const std::string& path, const std::string& tree) {
  auto file = rootio::RootFile::open(path);
  if (is_ntuple(*file, tree)) return {};
  return rootio::Tree::open(file, tree)->cluster_boundaries();
}

EventReader::EventReader(const std::string& path, const ingest::SchemaMapping& schema,
                         physics::SelectionConfig selection)
    : file_(rootio::RootFile::open(path)), builder_(selection) {
  std::vector<std::string> branches;
  if (is_ntuple(*file_, schema.tree)) {
    // Fields are named by their paths; a missing one is a NotFoundError naming it and the file.
    ntuple_ = rootio::RNTuple::open(file_, schema.tree);
    schema_ = schema;
    for (const auto& [input, field] : inputs_of(schema_)) fields_.push_back(ntuple_->field(field));
  } else {
    tree_ = rootio::Tree::open(file_, schema.tree);
    schema_ = ingest::resolve_schema(schema, *tree_);
    for (const auto& [input, branch] : inputs_of(schema_)) branches.push_back(branch);
    reader_ = std::make_unique<rootio::TreeReader>(*tree_, branches, 1);
  }
  physics::SelectionConfig config = selection;
  config.btag_threshold = schema_.btag_threshold;
  builder_ = physics::FeatureBuilder(config);
  as_float_.resize(inputs_of(schema_).size());
  as_int_.resize(inputs_of(schema_).size());
}

void EventReader::load(uint64_t first, uint64_t last) {
  if (ntuple_) ntuple_columns_ = ntuple_->read(fields_, first, last);
  auto& columns = ntuple_ ? ntuple_columns_ : reader_->read(first, last);
  auto inputs = inputs_of(schema_);
  views_.assign(static_cast<size_t>(Input::Count), View{});
  for (size_t b = 0; b < inputs.size(); ++b) {
    const rootio::Column& c = columns[b];
    if (c.kind != rootio::Column::Kind::Numeric || c.offsets.size() > 1 || !c.shape.empty())
      throw UnsupportedError(
          fmt::format("branch '{}' is not a number per entry or a list of numbers per entry",
                      inputs[b].second),
          {file_->name()});
    View& v = views_[static_cast<size_t>(inputs[b].first)];
    v.offsets = c.offsets.empty() ? nullptr : &c.offsets[0];
    size_t n = c.value_count();
    if (is_integer_input(inputs[b].first)) {
      if (c.type == rootio::ElementType::Int32) {
        v.ints = c.as<int32_t>();
      } else {
        as_int_[b].resize(n);
        for (size_t i = 0; i < n; ++i) as_int_[b][i] = static_cast<int32_t>(c.number(i));
        v.ints = as_int_[b];
      }
    } else if (c.type == rootio::ElementType::Float32) {
      v.floats = c.as<float>();
    } else {
      as_float_[b].resize(n);
      for (size_t i = 0; i < n; ++i) as_float_[b][i] = static_cast<float>(c.number(i));
      v.floats = as_float_[b];
    }
  }
}

std::span<const float> EventReader::floats(size_t input, uint64_t e) const {
  const View& v = views_[input];
  if (v.floats.empty() && !v.offsets) return {};
  if (!v.offsets) return v.floats.subspan(e, 1);
  return v.floats.subspan((*v.offsets)[e], (*v.offsets)[e + 1] - (*v.offsets)[e]);
}

std::span<const int32_t> EventReader::ints(size_t input, uint64_t e) const {
  const View& v = views_[input];
  if (!v.offsets) return v.ints.empty() ? std::span<const int32_t>{} : v.ints.subspan(e, 1);
  return v.ints.subspan((*v.offsets)[e], (*v.offsets)[e + 1] - (*v.offsets)[e]);
}

void EventReader::event(uint64_t e, physics::EventInput& in) const {
  auto floats_of = [&](Input input) { return floats(static_cast<size_t>(input), e); };
  auto ints_of = [&](Input input) { return ints(static_cast<size_t>(input), e); };
  in.electron_pt = floats_of(Input::ElectronPt);
  in.electron_eta = floats_of(Input::ElectronEta);
  in.electron_phi = floats_of(Input::ElectronPhi);
  in.electron_charge = ints_of(Input::ElectronCharge);
  in.muon_pt = floats_of(Input::MuonPt);
  in.muon_eta = floats_of(Input::MuonEta);
  in.muon_phi = floats_of(Input::MuonPhi);
  in.muon_charge = ints_of(Input::MuonCharge);
  in.jet_pt = floats_of(Input::JetPt);
  in.jet_eta = floats_of(Input::JetEta);
  in.jet_btag = floats_of(Input::JetBTag);
  auto met = floats_of(Input::Met);
  auto met_phi = floats_of(Input::MetPhi);
  // Delphes stores MissingET as a one-element collection; an event without one has no MET.
  in.met = met.empty() ? 0.0f : met[0];
  in.met_phi = met_phi.empty() ? 0.0f : met_phi[0];
  in.track_pt = floats_of(Input::TrackPt);
  in.track_eta = floats_of(Input::TrackEta);
  in.track_phi = floats_of(Input::TrackPhi);
  in.track_charge = ints_of(Input::TrackCharge);
  in.track_x = floats_of(Input::TrackX);
  in.track_y = floats_of(Input::TrackY);
  in.track_z = floats_of(Input::TrackZ);
  in.photon_et = floats_of(Input::PhotonEt);
  in.photon_eta = floats_of(Input::PhotonEta);
  in.photon_phi = floats_of(Input::PhotonPhi);
  in.neutral_et = floats_of(Input::NeutralEt);
  in.neutral_eta = floats_of(Input::NeutralEta);
  in.neutral_phi = floats_of(Input::NeutralPhi);
  in.electron_iso_all = floats_of(Input::ElectronIsoAll);
  in.electron_iso_charged = floats_of(Input::ElectronIsoCharged);
  in.muon_iso_all = floats_of(Input::MuonIsoAll);
  in.muon_iso_charged = floats_of(Input::MuonIsoCharged);
}

void EventReader::read(uint64_t first, uint64_t last, FeatureBatch& out, SelectionCounts& counts) {
  load(first, last);
  const bool particles = particle_flow();
  physics::EventInput in;
  for (uint64_t e = 0; e < last - first; ++e) {
    event(e, in);
    const physics::Rejection result = builder_.select(in, particles, features_);
    counts.count(result);
    if (result == physics::Rejection::None) out.append(features_, static_cast<int64_t>(first + e));
  }
}

}  // namespace trigml::ingest
