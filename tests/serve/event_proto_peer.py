"""An event producer that is not trigml, for tests/serve/event_format_test.cpp: protobuf's Python
runtime with the classes protoc generates from src/serve/event.proto (event_pb2 on PYTHONPATH).

    event_proto_peer.py IN OUT

reads the trigml.serve.v1.Event in IN, prints it as JSON (members by Delphes name), and writes to
OUT a new Event built member by member from what it read."""
import json
import sys

import event_pb2

COLLECTIONS = ["Electron", "MuonTight", "Jet", "EFlowTrack", "EFlowPhoton", "EFlowNeutralHadron"]

with open(sys.argv[1], "rb") as f:
    read = event_pb2.Event.FromString(f.read())

as_json = {"event_id": read.event_id, "version": read.version}
written = event_pb2.Event(version=read.version, event_id=read.event_id)
for name in COLLECTIONS:
    collection = getattr(read, name)
    members = {field.name: list(values) for field, values in collection.ListFields()}
    as_json[name] = {member: [] for member in ["PT", "ET", "Eta", "Phi", "Charge", "BTag", "X", "Y", "Z"]}
    as_json[name].update(members)
    copy = getattr(written, name)
    copy.SetInParent()  # present even when empty
    for member, values in members.items():
        getattr(copy, member).extend(values)
as_json["MissingET"] = {"MET": read.MissingET.MET, "Phi": read.MissingET.Phi}
written.MissingET.MET = read.MissingET.MET
written.MissingET.Phi = read.MissingET.Phi

with open(sys.argv[2], "wb") as f:
    f.write(written.SerializeToString())
print(json.dumps(as_json))
