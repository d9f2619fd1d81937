// From partons to stable particles: final-state radiation, heavy-flavour hadrons and their decays,
// longitudinal fragmentation of light partons, tau decays and soft proton-proton interactions
// (underlying event and pileup). Units: GeV, mm, radians.
#pragma once

#include "common/random.hpp"
#include "gen/event_record.hpp"

namespace trigml::gen {

// Collinear and soft gluon emission off every parton in record.partons, from the leading-log
// splitting probability (2 alpha_s C / pi) dz/z dtheta/theta with C = 4/3 for quarks and 3 for
// gluons; emissions with a transverse momentum below 2 GeV are left to the fragmentation.
void radiate_final_state(EventRecord& record, Random& rng);

// Turns every b and c parton into a heavy hadron (Peterson fragmentation) that flies, then decays
// (semileptonically with the measured branching ratios, otherwise into hadrons); what is left of
// the parton fragments as a light parton later. Records the hadrons for b-tagging.
void hadronize_heavy_flavour(EventRecord& record, Random& rng);

// Fragments every parton into hadrons with a Lund-like longitudinal fragmentation function and
// Gaussian transverse momenta around the parton direction; empties record.partons.
void fragment_partons(EventRecord& record, Random& rng);

// Decays a tau lepton (PDG +-15) produced at `vertex`: to e or mu plus neutrinos, or to neutrino
// plus one or three charged pions and neutral pions.
void decay_tau(EventRecord& record, const FourVector& tau, int tau_pdg, const Vertex& vertex, Random& rng);

// One soft inelastic interaction at `vertex` (pileup, or the underlying event of the hard
// collision when the mean is larger): a negative-binomial number of hadrons, flat in pseudorapidity over
// |eta| < 5, with a falling transverse-momentum spectrum of mean 0.56 GeV, balanced in transverse momentum.
void add_soft_interaction(EventRecord& record, const Vertex& vertex, double mean_hadrons, Origin origin,
                          Random& rng);

// Isotropic two-body decay of `parent` into daughters of masses m1 and m2, in the lab frame.
void two_body_decay(const FourVector& parent, double m1, double m2, Random& rng, FourVector& first,
                    FourVector& second);

}  // namespace trigml::gen
