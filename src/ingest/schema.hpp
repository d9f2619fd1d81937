// Where the inputs of the features live in a file: a schema mapping names the tree and the
// branch of every collection member. Built in: Delphes (split TClonesArray branches, "MuonTight"
// or "Muon") and CMS NanoAOD (flat ntuples, high-level features only); others from a TOML file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trigml::rootio {
class Tree;
}

namespace trigml::ingest {

struct SchemaMapping {
  std::string name;  // "delphes", "nanoaod" or the configuration file
  std::string tree;  // tree name in the file

  std::string electron_pt, electron_eta, electron_phi, electron_charge;
  std::string muon_pt, muon_eta, muon_phi, muon_charge;
  // Precomputed relative isolation (NanoAOD): used when the file has no particle-flow candidates.
  std::string electron_iso_all, electron_iso_charged, muon_iso_all, muon_iso_charged;
  std::string jet_pt, jet_eta, jet_btag;
  double btag_threshold = 0;  // a jet is b-tagged if its tag is above this
  std::string met, met_phi;   // per event, or the first entry of a one-element collection
  std::string track_pt, track_eta, track_phi, track_charge, track_x, track_y, track_z;
  std::string photon_et, photon_eta, photon_phi;
  std::string neutral_et, neutral_eta, neutral_phi;

  bool has_particles() const { return !track_pt.empty(); }
  // Every branch the features read, in a fixed order.
  std::vector<std::string> branches() const;
};

SchemaMapping delphes_schema();
SchemaMapping nanoaod_schema();
// A mapping from a TOML file (see docs/physics.md for the keys); UsageError on unknown keys or
// missing required ones.
SchemaMapping load_schema(const std::string& path);
// The same from the TOML text itself; `path` names it in errors.
SchemaMapping parse_schema(std::string_view toml_text, const std::string& path);
// "delphes", "nanoaod", or a path to a TOML file.
SchemaMapping schema_by_name(const std::string& name_or_path);

// Adapts a mapping to a file: Delphes files without "MuonTight" use "Muon". Throws
// NotFoundError naming the first missing branch and the file.
SchemaMapping resolve_schema(const SchemaMapping& mapping, const rootio::Tree& tree);

}  // namespace trigml::ingest
