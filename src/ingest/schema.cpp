#include "ingest/schema.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <map>

#include "common/error.hpp"
#include "io/source.hpp"
#include "rootio/tree.hpp"

namespace trigml::ingest {

namespace {

// The mapping's fields by their TOML section and key, for loading and listing.
std::vector<std::pair<std::string, std::string SchemaMapping::*>> string_fields() {
  using M = SchemaMapping;
  return {{"electron.pt", &M::electron_pt},
          {"electron.eta", &M::electron_eta},
          {"electron.phi", &M::electron_phi},
          {"electron.charge", &M::electron_charge},
          {"electron.iso_all", &M::electron_iso_all},
          {"electron.iso_charged", &M::electron_iso_charged},
          {"muon.pt", &M::muon_pt},
          {"muon.eta", &M::muon_eta},
          {"muon.phi", &M::muon_phi},
          {"muon.charge", &M::muon_charge},
          {"muon.iso_all", &M::muon_iso_all},
          {"muon.iso_charged", &M::muon_iso_charged},
          {"jet.pt", &M::jet_pt},
          {"jet.eta", &M::jet_eta},
          {"jet.btag", &M::jet_btag},
          {"met.met", &M::met},
          {"met.phi", &M::met_phi},
          {"tracks.pt", &M::track_pt},
          {"tracks.eta", &M::track_eta},
          {"tracks.phi", &M::track_phi},
          {"tracks.charge", &M::track_charge},
          {"tracks.x", &M::track_x},
          {"tracks.y", &M::track_y},
          {"tracks.z", &M::track_z},
          {"photons.et", &M::photon_et},
          {"photons.eta", &M::photon_eta},
          {"photons.phi", &M::photon_phi},
          {"neutral_hadrons.et", &M::neutral_et},
          {"neutral_hadrons.eta", &M::neutral_eta},
          {"neutral_hadrons.phi", &M::neutral_phi}};
}

}  // namespace

std::vector<std::string> SchemaMapping::branches() const {
  std::vector<std::string> out;
  for (const auto& [key, field] : string_fields())
    if (!(this->*field).empty()) out.push_back(this->*field);
  return out;
}

SchemaMapping delphes_schema() {
  SchemaMapping m;
  m.name = "delphes";
  m.tree = "Delphes";
  m.electron_pt = "Electron.PT", m.electron_eta = "Electron.Eta", m.electron_phi = "Electron.Phi";
  m.electron_charge = "Electron.Charge";
  m.muon_pt = "MuonTight.PT", m.muon_eta = "MuonTight.Eta", m.muon_phi = "MuonTight.Phi";
  m.muon_charge = "MuonTight.Charge";
  m.jet_pt = "Jet.PT", m.jet_eta = "Jet.Eta", m.jet_btag = "Jet.BTag";
  m.btag_threshold = 0;
  m.met = "MissingET.MET", m.met_phi = "MissingET.Phi";
  m.track_pt = "EFlowTrack.PT", m.track_eta = "EFlowTrack.Eta", m.track_phi = "EFlowTrack.Phi";
  m.track_charge = "EFlowTrack.Charge";
  m.track_x = "EFlowTrack.X", m.track_y = "EFlowTrack.Y", m.track_z = "EFlowTrack.Z";
  m.photon_et = "EFlowPhoton.ET", m.photon_eta = "EFlowPhoton.Eta", m.photon_phi = "EFlowPhoton.Phi";
  m.neutral_et = "EFlowNeutralHadron.ET", m.neutral_eta = "EFlowNeutralHadron.Eta";
  m.neutral_phi = "EFlowNeutralHadron.Phi";
  return m;
}

SchemaMapping nanoaod_schema() {
  SchemaMapping m;
  m.name = "nanoaod";
  m.tree = "Events";
  m.electron_pt = "Electron_pt", m.electron_eta = "Electron_eta", m.electron_phi = "Electron_phi";
  m.electron_charge = "Electron_charge";
  m.electron_iso_all = "Electron_pfRelIso03_all", m.electron_iso_charged = "Electron_pfRelIso03_chg";
  m.muon_pt = "Muon_pt", m.muon_eta = "Muon_eta", m.muon_phi = "Muon_phi", m.muon_charge = "Muon_charge";
  m.muon_iso_all = "Muon_pfRelIso03_all", m.muon_iso_charged = "Muon_pfRelIso03_chg";
  m.jet_pt = "Jet_pt", m.jet_eta = "Jet_eta", m.jet_btag = "Jet_btagDeepB";
  m.btag_threshold = 0.6321;  // DeepCSV medium working point (CMS, 2016)
  m.met = "MET_pt", m.met_phi = "MET_phi";
  return m;
}

SchemaMapping load_schema(const std::string& path) {
  return parse_schema(io::read_text(path), path);
}

SchemaMapping parse_schema(std::string_view toml_text, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("invalid TOML at line {}: {}", e.source().begin.line, e.description()),
                     {path});
  }
  SchemaMapping m;
  m.name = path;
  m.tree = table["tree"].value_or(std::string("Delphes"));
  m.btag_threshold = table["jet"]["btag_threshold"].value_or(0.0);
  auto fields = string_fields();
  std::map<std::string, std::string SchemaMapping::*> by_key(fields.begin(), fields.end());
  for (const auto& [section, node] : table) {
    std::string s(section.str());
    if (s == "tree") continue;
    const toml::table* members = node.as_table();
    if (!members) throw UsageError(fmt::format("'{}' must be a table of branch names", s), {path});
    for (const auto& [key, value] : *members) {
      std::string full = s + "." + std::string(key.str());
      if (full == "jet.btag_threshold") continue;
      auto it = by_key.find(full);
      if (it == by_key.end()) {
        std::string known;
        for (const auto& [k, f] : fields) known += (known.empty() ? "" : ", ") + k;
        throw UsageError(fmt::format("unknown key '{}' (known: {})", full, known), {path});
      }
      auto text = value.value<std::string>();
      if (!text) throw UsageError(fmt::format("'{}' must be a branch name (a string)", full), {path});
      m.*(it->second) = *text;
    }
  }
  for (const char* required :
       {"electron.pt", "electron.eta", "electron.phi", "electron.charge", "muon.pt", "muon.eta", "muon.phi",
        "muon.charge", "jet.pt", "jet.eta", "jet.btag", "met.met", "met.phi"})
    if ((m.*by_key.at(required)).empty())
      throw UsageError(fmt::format("missing required key '{}'", required), {path});
  bool particles = !m.track_pt.empty();
  if (!particles && (m.electron_iso_all.empty() || m.muon_iso_all.empty()))
    throw UsageError(
        "without particle-flow collections (tracks, photons, neutral_hadrons) the mapping needs "
        "electron.iso_all and muon.iso_all",
        {path});
  return m;
}

SchemaMapping schema_by_name(const std::string& name) {
  if (name == "delphes") return delphes_schema();
  if (name == "nanoaod") return nanoaod_schema();
  if (std::filesystem::exists(name)) return load_schema(name);
  throw UsageError(fmt::format("unknown schema '{}' (expected delphes, nanoaod or a TOML file)", name));
}

SchemaMapping resolve_schema(const SchemaMapping& mapping, const rootio::Tree& tree) {
  SchemaMapping m = mapping;
  if (m.name == "delphes" && !tree.find_branch(m.muon_pt) && tree.find_branch("Muon.PT")) {
    m.muon_pt = "Muon.PT", m.muon_eta = "Muon.Eta", m.muon_phi = "Muon.Phi", m.muon_charge = "Muon.Charge";
  }
  for (const std::string& branch : m.branches())
    if (!tree.find_branch(branch))
      throw NotFoundError(
          fmt::format("tree '{}' has no branch '{}' (schema '{}')", tree.name(), branch, m.name),
          {tree.file().name(), std::nullopt, fmt::format("branch '{}'", branch)});
  return m;
}

}  // namespace trigml::ingest
