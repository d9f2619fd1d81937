#include "parquet/format.hpp"

namespace trigml::parquet {

using thrift::Type;

std::string codec_name(Codec codec) {
  switch (codec) {
    case Codec::Uncompressed: return "uncompressed";
    case Codec::Snappy: return "snappy";
    case Codec::Gzip: return "gzip";
    case Codec::Lzo: return "lzo";
    case Codec::Brotli: return "brotli";
    case Codec::Lz4: return "lz4";
    case Codec::Zstd: return "zstd";
    case Codec::Lz4Raw: return "lz4_raw";
  }
  return "codec " + std::to_string(static_cast<int>(codec));
}

std::string encoding_name(Encoding encoding) {
  switch (encoding) {
    case Encoding::Plain: return "PLAIN";
    case Encoding::PlainDictionary: return "PLAIN_DICTIONARY";
    case Encoding::Rle: return "RLE";
    case Encoding::BitPacked: return "BIT_PACKED";
    case Encoding::DeltaBinaryPacked: return "DELTA_BINARY_PACKED";
    case Encoding::DeltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::DeltaByteArray: return "DELTA_BYTE_ARRAY";
    case Encoding::RleDictionary: return "RLE_DICTIONARY";
    case Encoding::ByteStreamSplit: return "BYTE_STREAM_SPLIT";
  }
  return "encoding " + std::to_string(static_cast<int>(encoding));
}

Codec parse_codec(const std::string& name) {
  if (name == "uncompressed" || name == "none") return Codec::Uncompressed;
  if (name == "snappy") return Codec::Snappy;
  if (name == "zstd") return Codec::Zstd;
  if (name == "lz4_raw" || name == "lz4") return Codec::Lz4Raw;
  throw UsageError(
      fmt::format("compression '{}': trigml writes uncompressed, snappy, zstd or lz4_raw", name));
}

std::string physical_type_name(PhysicalType type) {
  static const char* names[] = {"boolean", "int32",  "int64",  "int96",
                                "float",   "double", "binary", "fixed_len_binary"};
  auto i = static_cast<size_t>(type);
  return i < 8 ? names[i] : "type " + std::to_string(i);
}

namespace {

void encode_statistics(thrift::Writer& w, const Statistics& s) {
  w.begin_struct();
  if (s.null_count) w.field_i64(3, *s.null_count);
  if (s.max_value) w.field_string(5, *s.max_value);
  if (s.min_value) w.field_string(6, *s.min_value);
  w.end_struct();
}

void encode_schema_element(thrift::Writer& w, const SchemaElement& e) {
  w.begin_struct();
  if (e.type) w.field_i32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.field_i32(2, *e.type_length);
  if (e.repetition) w.field_i32(3, static_cast<int32_t>(*e.repetition));
  w.field_string(4, e.name);
  if (e.num_children) w.field_i32(5, e.num_children);
  if (e.converted_type) w.field_i32(6, static_cast<int32_t>(*e.converted_type));
  if (e.logical_type) {
    w.field(10, Type::Struct);
    w.begin_struct();
    w.field(static_cast<int16_t>(e.logical_type), Type::Struct);
    w.begin_struct();
    if (e.logical_type == 10) {  // IntType
      w.field_byte(1, e.integer_bits);
      w.field_bool(2, e.integer_signed);
    }
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
}

}  // namespace

void encode(const FileMetaData& m, std::vector<std::byte>& out) {
  thrift::Writer w(out);
  w.begin_struct();
  w.field_i32(1, m.version);
  w.field(2, Type::List);
  w.list_header(Type::Struct, m.schema.size());
  for (const auto& e : m.schema) encode_schema_element(w, e);
  w.field_i64(3, m.num_rows);
  w.field(4, Type::List);
  w.list_header(Type::Struct, m.row_groups.size());
  for (const auto& rg : m.row_groups) {
    w.begin_struct();
    w.field(1, Type::List);
    w.list_header(Type::Struct, rg.columns.size());
    for (const auto& c : rg.columns) {
      w.begin_struct();  // ColumnChunk
      w.field_i64(2, c.dictionary_page_offset.value_or(c.data_page_offset));
      w.field(3, Type::Struct);
      w.begin_struct();  // ColumnMetaData
      w.field_i32(1, static_cast<int32_t>(c.type));
      w.field(2, Type::List);
      w.list_header(Type::I32, c.encodings.size());
      for (Encoding e : c.encodings) w.varint(thrift::Writer::zigzag(static_cast<int32_t>(e)));
      w.field(3, Type::List);
      w.list_header(Type::Binary, c.path.size());
      for (const auto& p : c.path) w.string(p);
      w.field_i32(4, static_cast<int32_t>(c.codec));
      w.field_i64(5, c.num_values);
      w.field_i64(6, c.total_uncompressed_size);
      w.field_i64(7, c.total_compressed_size);
      w.field_i64(9, c.data_page_offset);
      if (c.dictionary_page_offset) w.field_i64(11, *c.dictionary_page_offset);
      w.field(12, Type::Struct);
      encode_statistics(w, c.statistics);
      w.end_struct();
      w.end_struct();
    }
    w.field_i64(2, rg.total_byte_size);
    w.field_i64(3, rg.num_rows);
    w.end_struct();
  }
  if (!m.key_value.empty()) {
    w.field(5, Type::List);
    w.list_header(Type::Struct, m.key_value.size());
    for (const auto& [k, v] : m.key_value) {
      w.begin_struct();
      w.field_string(1, k);
      w.field_string(2, v);
      w.end_struct();
    }
  }
  if (!m.created_by.empty()) w.field_string(6, m.created_by);
  w.end_struct();
}

void encode(const PageHeader& h, std::vector<std::byte>& out) {
  thrift::Writer w(out);
  w.begin_struct();
  w.field_i32(1, static_cast<int32_t>(h.type));
  w.field_i32(2, h.uncompressed_size);
  w.field_i32(3, h.compressed_size);
  if (h.type == PageType::DataPage) {
    w.field(5, Type::Struct);
    w.begin_struct();
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<int32_t>(h.encoding));
    w.field_i32(3, static_cast<int32_t>(h.definition_level_encoding));
    w.field_i32(4, static_cast<int32_t>(h.repetition_level_encoding));
    w.end_struct();
  } else if (h.type == PageType::DataPageV2) {
    w.field(8, Type::Struct);
    w.begin_struct();
    w.field_i32(1, h.num_values);
    w.field_i32(2, h.num_nulls);
    w.field_i32(3, h.num_rows);
    w.field_i32(4, static_cast<int32_t>(h.encoding));
    w.field_i32(5, h.definition_levels_bytes);
    w.field_i32(6, h.repetition_levels_bytes);
    w.field_bool(7, h.is_compressed);
    w.end_struct();
  } else if (h.type == PageType::DictionaryPage) {
    w.field(7, Type::Struct);
    w.begin_struct();
    w.field_i32(1, h.num_values);
    w.field_i32(2, static_cast<int32_t>(h.encoding));
    w.end_struct();
  }
  w.end_struct();
}

namespace {

Statistics decode_statistics(thrift::Reader& r) {
  Statistics s;
  std::optional<std::string> old_min, old_max;
  r.begin_struct();
  for (auto [id, t] = r.field(); t != Type::Stop; std::tie(id, t) = r.field()) {
    if (id == 1 && t == Type::Binary)
      old_max = r.binary();
    else if (id == 2 && t == Type::Binary)
      old_min = r.binary();
    else if (id == 3)
      s.null_count = r.integer(t);
    else if (id == 5 && t == Type::Binary)
      s.max_value = r.binary();
    else if (id == 6 && t == Type::Binary)
      s.min_value = r.binary();
    else
      r.skip(t);
  }
  r.end_struct();
  if (!s.min_value) s.min_value = old_min;
  if (!s.max_value) s.max_value = old_max;
  return s;
}

SchemaElement decode_schema_element(thrift::Reader& r) {
  SchemaElement e;
  r.begin_struct();
  for (auto [id, t] = r.field(); t != Type::Stop; std::tie(id, t) = r.field()) {
    switch (id) {
      case 1: e.type = static_cast<PhysicalType>(r.integer(t)); break;
      case 2: e.type_length = static_cast<int32_t>(r.integer(t)); break;
      case 3: e.repetition = static_cast<Repetition>(r.integer(t)); break;
      case 4: e.name = r.binary(); break;
      case 5: e.num_children = static_cast<int32_t>(r.integer(t)); break;
      case 6: e.converted_type = static_cast<ConvertedType>(r.integer(t)); break;
      case 7: e.scale = static_cast<int32_t>(r.integer(t)); break;
      case 8: e.precision = static_cast<int32_t>(r.integer(t)); break;
      case 10: {
        r.begin_struct();
        for (auto [lid, lt] = r.field(); lt != Type::Stop; std::tie(lid, lt) = r.field()) {
          e.logical_type = lid;
          const bool parameters = lt == Type::Struct && (lid == static_cast<int16_t>(LogicalType::Decimal) ||
                                                         lid == static_cast<int16_t>(LogicalType::Integer));
          if (!parameters) {
            r.skip(lt);
            continue;
          }
          r.begin_struct();
          for (auto [pid, pt] = r.field(); pt != Type::Stop; std::tie(pid, pt) = r.field()) {
            if (lid == static_cast<int16_t>(LogicalType::Decimal) && pid == 1)
              e.scale = static_cast<int32_t>(r.integer(pt));
            else if (lid == static_cast<int16_t>(LogicalType::Decimal) && pid == 2)
              e.precision = static_cast<int32_t>(r.integer(pt));
            else if (lid == static_cast<int16_t>(LogicalType::Integer) && pid == 1)
              e.integer_bits = static_cast<int8_t>(r.integer(pt));
            else if (lid == static_cast<int16_t>(LogicalType::Integer) && pid == 2)
              e.integer_signed = r.boolean(pt);
            else
              r.skip(pt);
          }
          r.end_struct();
        }
        r.end_struct();
        break;
      }
      default: r.skip(t);
    }
  }
  r.end_struct();
  return e;
}

ColumnMetaData decode_column_metadata(thrift::Reader& r) {
  ColumnMetaData c;
  r.begin_struct();
  for (auto [id, t] = r.field(); t != Type::Stop; std::tie(id, t) = r.field()) {
    switch (id) {
      case 1: c.type = static_cast<PhysicalType>(r.integer(t)); break;
      case 2: {
        auto [et, n] = r.list_header();
        for (size_t i = 0; i < n; ++i) c.encodings.push_back(static_cast<Encoding>(r.integer(et)));
        break;
      }
      case 3: {
        auto [et, n] = r.list_header();
        for (size_t i = 0; i < n; ++i) c.path.push_back(r.binary());
        break;
      }
      case 4: c.codec = static_cast<Codec>(r.integer(t)); break;
      case 5: c.num_values = r.integer(t); break;
      case 6: c.total_uncompressed_size = r.integer(t); break;
      case 7: c.total_compressed_size = r.integer(t); break;
      case 9: c.data_page_offset = r.integer(t); break;
      case 11: c.dictionary_page_offset = r.integer(t); break;
      case 12: c.statistics = decode_statistics(r); break;
      default: r.skip(t);
    }
  }
  r.end_struct();
  return c;
}

}  // namespace

FileMetaData decode_file_metadata(io::Cursor& cursor) {
  thrift::Reader r(cursor);
  FileMetaData m;
  r.begin_struct();
  for (auto [id, t] = r.field(); t != Type::Stop; std::tie(id, t) = r.field()) {
    switch (id) {
      case 1: m.version = static_cast<int32_t>(r.integer(t)); break;
      case 2: {
        auto [et, n] = r.list_header();
        for (size_t i = 0; i < n; ++i) m.schema.push_back(decode_schema_element(r));
        break;
      }
      case 3: m.num_rows = r.integer(t); break;
      case 4: {
        auto [et, n] = r.list_header();
        for (size_t g = 0; g < n; ++g) {
          RowGroup rg;
          r.begin_struct();
          for (auto [gid, gt] = r.field(); gt != Type::Stop; std::tie(gid, gt) = r.field()) {
            if (gid == 1) {
              auto [ct, cn] = r.list_header();
              for (size_t c = 0; c < cn; ++c) {
                ColumnMetaData meta;
                bool has_meta = false;
                r.begin_struct();
                for (auto [cid, ctt] = r.field(); ctt != Type::Stop; std::tie(cid, ctt) = r.field()) {
                  if (cid == 3) {
                    meta = decode_column_metadata(r);
                    has_meta = true;
                  } else {
                    r.skip(ctt);
                  }
                }
                r.end_struct();
                if (!has_meta)
                  cursor.fail("column chunk without metadata (external column files are not supported)");
                rg.columns.push_back(std::move(meta));
              }
            } else if (gid == 2) {
              rg.total_byte_size = r.integer(gt);
            } else if (gid == 3) {
              rg.num_rows = r.integer(gt);
            } else {
              r.skip(gt);
            }
          }
          r.end_struct();
          m.row_groups.push_back(std::move(rg));
        }
        break;
      }
      case 5: {
        auto [et, n] = r.list_header();
        for (size_t i = 0; i < n; ++i) {
          std::string key, value;
          r.begin_struct();
          for (auto [kid, kt] = r.field(); kt != Type::Stop; std::tie(kid, kt) = r.field()) {
            if (kid == 1)
              key = r.binary();
            else if (kid == 2)
              value = r.binary();
            else
              r.skip(kt);
          }
          r.end_struct();
          m.key_value.emplace_back(std::move(key), std::move(value));
        }
        break;
      }
      case 6: m.created_by = r.binary(); break;
      default: r.skip(t);
    }
  }
  r.end_struct();
  return m;
}

PageHeader decode_page_header(io::Cursor& cursor) {
  thrift::Reader r(cursor);
  PageHeader h;
  r.begin_struct();
  for (auto [id, t] = r.field(); t != Type::Stop; std::tie(id, t) = r.field()) {
    switch (id) {
      case 1: h.type = static_cast<PageType>(r.integer(t)); break;
      case 2: h.uncompressed_size = static_cast<int32_t>(r.integer(t)); break;
      case 3: h.compressed_size = static_cast<int32_t>(r.integer(t)); break;
      case 5:
      case 7:
      case 8: {
        r.begin_struct();
        for (auto [sid, st] = r.field(); st != Type::Stop; std::tie(sid, st) = r.field()) {
          if (id == 5) {  // DataPageHeader
            if (sid == 1)
              h.num_values = static_cast<int32_t>(r.integer(st));
            else if (sid == 2)
              h.encoding = static_cast<Encoding>(r.integer(st));
            else if (sid == 3)
              h.definition_level_encoding = static_cast<Encoding>(r.integer(st));
            else if (sid == 4)
              h.repetition_level_encoding = static_cast<Encoding>(r.integer(st));
            else
              r.skip(st);
          } else if (id == 7) {  // DictionaryPageHeader
            if (sid == 1)
              h.num_values = static_cast<int32_t>(r.integer(st));
            else if (sid == 2)
              h.encoding = static_cast<Encoding>(r.integer(st));
            else
              r.skip(st);
          } else {  // DataPageHeaderV2
            if (sid == 1)
              h.num_values = static_cast<int32_t>(r.integer(st));
            else if (sid == 2)
              h.num_nulls = static_cast<int32_t>(r.integer(st));
            else if (sid == 3)
              h.num_rows = static_cast<int32_t>(r.integer(st));
            else if (sid == 4)
              h.encoding = static_cast<Encoding>(r.integer(st));
            else if (sid == 5)
              h.definition_levels_bytes = static_cast<int32_t>(r.integer(st));
            else if (sid == 6)
              h.repetition_levels_bytes = static_cast<int32_t>(r.integer(st));
            else if (sid == 7)
              h.is_compressed = r.boolean(st);
            else
              r.skip(st);
          }
        }
        r.end_struct();
        break;
      }
      default: r.skip(t);
    }
  }
  r.end_struct();
  return h;
}

}  // namespace trigml::parquet
