// The event message (version 1, in Delphes collection and member names; JSON, or protobuf as
// event.proto) and the decision message, as docs/serve.md describes them. Decoding never throws on
// bad input: it says why the message is unusable, for the dead-letter topic.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "physics/event.hpp"
#include "score/decider.hpp"

namespace trigml::serve {

inline constexpr const char* kEventFormat = "trigml-event";
inline constexpr int kEventVersion = 1;

// The two forms of the message; a Kafka message in the binary form carries the header
// kContentTypeHeader: kProtobufContentType, one without it is JSON.
enum class EventEncoding { Json, Protobuf };
EventEncoding parse_event_encoding(const std::string& name);  // "json" or "protobuf"
inline constexpr const char* kContentTypeHeader = "content-type";
inline constexpr const char* kProtobufContentType =
    "application/x-protobuf; messageType=trigml.serve.v1.Event";

// {"format": "trigml-event", "version": 1, "event_id": ..., "Electron": {"PT": [...], ...}, ...}
std::string encode_event_json(const std::string& event_id, const physics::Event& event);
// A serialized trigml.serve.v1.Event (event.proto).
std::string encode_event_protobuf(const std::string& event_id, const physics::Event& event);
std::string encode_event(const std::string& event_id, const physics::Event& event, EventEncoding encoding);

// Why a message is not a usable event; the kinds are counted separately.
enum class BadMessage { InvalidJson, MissingField, NotANumber, InvalidProtobuf };
const char* to_string(BadMessage kind);

struct DecodeResult {
  std::string event_id;
  std::optional<BadMessage> bad;  // set: unusable, see `reason`
  std::string reason;
};

// Fill `event` (reusing its vectors) from the message's bytes.
DecodeResult decode_event_json(std::string_view message, physics::Event& event);
DecodeResult decode_event_protobuf(std::string_view message, physics::Event& event);
DecodeResult decode_event(std::string_view message, physics::Event& event, EventEncoding encoding);

// {"event_id": ..., "selected": ..., "probabilities": {"qcd": p, "ttbar": p, "wjets": p} or null,
//  "accept": ..., "model": ...}
std::string encode_decision(const std::string& event_id, const score::Decision& decision,
                            const std::string& model_id);

}  // namespace trigml::serve
