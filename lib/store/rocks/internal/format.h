// The on-disk format of RocksStore: column families, key encodings and record encodings.
//
// Column families:
//  - "default" (meta): "format" -> kFormatVersion; "rev" -> current revision (fixed64);
//    "compact" -> compaction revision (fixed64); "lease/" + be64(id) -> LeaseRecord.
//  - "current": user key -> the key's latest KeyValue (without the key).
//  - "index": escape(key) + "\0\1" + be64(~rev) -> the key's state at rev (a KeyValue or a
//    tombstone). The newest revision of a key sorts first, so the state of a key at revision R is
//    the first entry at or after IndexKey(key, R).
//  - "history": be64(rev) + be32(sub) -> the sub-th event of revision rev (with the key).
//
// The escaping (0x00 -> 0x00 0xff, terminator 0x00 0x01) keeps the byte order of user keys, so
// index entries of a key range are contiguous. Everything here is pure functions, thread-safe.
#ifndef RUDDER_LIB_STORE_ROCKS_INTERNAL_FORMAT_H_
#define RUDDER_LIB_STORE_ROCKS_INTERNAL_FORMAT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "lib/store/store.h"

namespace rudder::store_internal::rocks {

inline constexpr absl::string_view kFormatVersion = "rudder-rocks-store/1";
inline constexpr absl::string_view kMetaFormat = "format";
inline constexpr absl::string_view kMetaRevision = "rev";
inline constexpr absl::string_view kMetaCompact = "compact";
inline constexpr absl::string_view kMetaLeasePrefix = "lease/";

inline constexpr absl::string_view kCfCurrent = "current";
inline constexpr absl::string_view kCfIndex = "index";
inline constexpr absl::string_view kCfHistory = "history";

// Fixed-width big-endian integers (their byte order is their numeric order for values >= 0).
void PutBigEndian64(std::string* out, uint64_t v);
void PutBigEndian32(std::string* out, uint32_t v);
uint64_t GetBigEndian64(const char* p);
uint32_t GetBigEndian32(const char* p);

std::string EncodeFixed64(int64_t v);
bool DecodeFixed64(absl::string_view in, int64_t* v);

// history: be64(rev) + be32(sub).
std::string HistoryKey(int64_t rev, uint32_t sub);
bool DecodeHistoryKey(absl::string_view in, int64_t* rev, uint32_t* sub);

// index: the entry of `key` at `rev`; IndexKeyEnd(key) sorts after every entry of `key` and
// before every entry of any greater key.
std::string IndexKey(absl::string_view key, int64_t rev);
std::string IndexKeyEnd(absl::string_view key);
bool DecodeIndexKey(absl::string_view in, std::string* key, int64_t* rev);

std::string LeaseKey(int64_t id);
bool DecodeLeaseKey(absl::string_view in, int64_t* id);

// A stored key state: a live KeyValue, or a tombstone (deleted at kv.mod_revision).
struct StoredKv {
  bool tombstone = false;
  store::KeyValue kv;
};

// Encodes `s` with or without its key (the key is elsewhere in the RocksDB key for current and
// index entries).
std::string EncodeStoredKv(const StoredKv& s, bool with_key);
// Decodes; false if the bytes are malformed. Without the key, s->kv.key is left unchanged.
bool DecodeStoredKv(absl::string_view in, bool with_key, StoredKv* s);

struct LeaseRecord {
  int64_t granted_ttl = 0;        // Seconds.
  int64_t expiry_unix_nanos = 0;  // Absolute deadline.
};
std::string EncodeLease(const LeaseRecord& l);
bool DecodeLease(absl::string_view in, LeaseRecord* l);

}  // namespace rudder::store_internal::rocks

#endif  // RUDDER_LIB_STORE_ROCKS_INTERNAL_FORMAT_H_
