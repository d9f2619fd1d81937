"""Independent reader of TFRecord files of tf.train.Example (Debian's python3-protobuf; the
message types are built from a descriptor, not from trigml's code; CRC32C computed bitwise).
Prints, as JSON, per record: the feature names with their value counts and sums, after checking
both masked CRCs of every record."""
import json
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def _table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def example_class():
    f = descriptor_pb2.FileDescriptorProto(name="example.proto", package="tensorflow", syntax="proto3")
    def message(name, fields):
        m = f.message_type.add(name=name)
        for number, field_name, kind, label, type_name in fields:
            fd = m.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                fd.type_name = type_name
            if kind in (descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT, descriptor_pb2.FieldDescriptorProto.TYPE_INT64):
                fd.options.packed = True
        return m
    T, L = descriptor_pb2.FieldDescriptorProto, descriptor_pb2.FieldDescriptorProto
    message("FloatList", [(1, "value", T.TYPE_FLOAT, L.LABEL_REPEATED, None)])
    message("Int64List", [(1, "value", T.TYPE_INT64, L.LABEL_REPEATED, None)])
    message("Feature", [(2, "float_list", T.TYPE_MESSAGE, L.LABEL_OPTIONAL, ".tensorflow.FloatList"),
                        (3, "int64_list", T.TYPE_MESSAGE, L.LABEL_OPTIONAL, ".tensorflow.Int64List")])
    features = message("Features", [(1, "feature", T.TYPE_MESSAGE, L.LABEL_REPEATED, ".tensorflow.Features.FeatureEntry")])
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=T.TYPE_STRING, label=L.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=T.TYPE_MESSAGE, label=L.LABEL_OPTIONAL, type_name=".tensorflow.Feature")
    message("Example", [(1, "features", T.TYPE_MESSAGE, L.LABEL_OPTIONAL, ".tensorflow.Features")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    descriptor = pool.FindMessageTypeByName("tensorflow.Example")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def main(path, limit):
    Example = example_class()
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        record = data[pos + 12:pos + 12 + length]
        (record_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if masked(header) != header_crc or masked(record) != record_crc or len(record) != length:
            sys.exit(f"bad CRC or length at byte {pos}")
        pos += 16 + length
        if len(out) < limit:
            example = Example()
            example.ParseFromString(record)
            out.append({k: [len(v.float_list.value), sum(v.float_list.value)] for k, v in example.features.feature.items()})
        else:
            out.append(None)
    print(json.dumps({"records": len(out), "examples": [e for e in out if e is not None]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
