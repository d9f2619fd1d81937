// The hard scattering of each process at sqrt(s) = 13 TeV, sampled from simple parametrisations of
// the measured spectra, with initial-state radiation and the decays of tops, W bosons and taus.
// Fills record.partons (to be hadronised) and record.particles (leptons and neutrinos).
// Units: GeV, mm, radians.
#pragma once

#include "common/random.hpp"
#include "gen/event_record.hpp"

namespace trigml::gen {

// pp -> t tbar, t -> W b, W with Standard Model branching ratios (e, mu, tau or quarks).
void generate_top_pair(EventRecord& record, Random& rng);

// pp -> W + jets, W -> l nu with l = e, mu, tau in equal shares, W+ : W- = 58 : 42.
void generate_w_jets(EventRecord& record, Random& rng);

// pp -> 2 partons with at least one heavy quark (the heavy-flavour enriched QCD sample; the
// lepton filter is applied by the caller after the heavy-hadron decays).
void generate_heavy_flavour_dijet(EventRecord& record, Random& rng);

}  // namespace trigml::gen
