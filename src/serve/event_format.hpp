// The event message (JSON, version 1, in Delphes collection and member names) and the decision
// message, as docs/serve.md describes them. Decoding never throws on bad input: it says why the
// message is unusable, for the dead-letter topic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "physics/event.hpp"
#include "score/decider.hpp"

namespace trigml::serve {

inline constexpr const char* kEventFormat = "trigml-event";
inline constexpr int kEventVersion = 1;

// {"format": "trigml-event", "version": 1, "event_id": ..., "Electron": {"PT": [...], ...}, ...}
std::string encode_event(const std::string& event_id, const physics::Event& event);

// Why a message is not a usable event; the kinds are counted separately.
enum class BadMessage { InvalidJson, MissingField, NotANumber };
const char* to_string(BadMessage kind);

struct DecodeResult {
  std::string event_id;
  std::optional<BadMessage> bad;  // set: unusable, see `reason`
  std::string reason;
};

// Fills `event` (reusing its vectors) from the message's bytes.
DecodeResult decode_event(std::string_view message, physics::Event& event);

// {"event_id": ..., "selected": ..., "probabilities": {"qcd": p, "ttbar": p, "wjets": p} or null,
//  "accept": ..., "model": ...}
std::string encode_decision(const std::string& event_id, const score::Decision& decision,
                            const std::string& model_id);

}  // namespace trigml::serve
