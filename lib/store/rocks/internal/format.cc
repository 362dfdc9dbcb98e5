#include "lib/store/rocks/internal/format.h"

#include <cstring>

#include "absl/strings/match.h"

namespace rudder::store_internal::rocks {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool GetSigned(absl::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint(in, &u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

}  // namespace

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBigEndian32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t GetBigEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

std::string EncodeFixed64(int64_t v) {
  std::string out;
  PutBigEndian64(&out, static_cast<uint64_t>(v));
  return out;
}

bool DecodeFixed64(absl::string_view in, int64_t* v) {
  if (in.size() != 8) return false;
  *v = static_cast<int64_t>(GetBigEndian64(in.data()));
  return true;
}

std::string HistoryKey(int64_t rev, uint32_t sub) {
  std::string out;
  out.reserve(12);
  PutBigEndian64(&out, static_cast<uint64_t>(rev));
  PutBigEndian32(&out, sub);
  return out;
}

bool DecodeHistoryKey(absl::string_view in, int64_t* rev, uint32_t* sub) {
  if (in.size() != 12) return false;
  *rev = static_cast<int64_t>(GetBigEndian64(in.data()));
  *sub = GetBigEndian32(in.data() + 8);
  return true;
}

namespace {
void AppendEscaped(std::string* out, absl::string_view key) {
  for (char c : key) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
}
}  // namespace

std::string IndexKey(absl::string_view key, int64_t rev) {
  std::string out;
  out.reserve(key.size() + 10);
  AppendEscaped(&out, key);
  out.push_back('\0');
  out.push_back('\1');
  PutBigEndian64(&out, ~static_cast<uint64_t>(rev));
  return out;
}

std::string IndexKeyEnd(absl::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  AppendEscaped(&out, key);
  out.push_back('\0');
  out.push_back('\2');
  return out;
}

bool DecodeIndexKey(absl::string_view in, std::string* key, int64_t* rev) {
  if (in.size() < 10) return false;
  key->clear();
  size_t n = in.size() - 8;
  size_t i = 0;
  while (i < n) {
    char c = in[i];
    if (c != '\0') {
      key->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= n) return false;
    if (in[i + 1] == '\xff') {
      key->push_back('\0');
      i += 2;
      continue;
    }
    if (in[i + 1] == '\1' && i + 2 == n) break;
    return false;
  }
  if (i + 2 != n) return false;
  *rev = static_cast<int64_t>(~GetBigEndian64(in.data() + n));
  return true;
}

std::string LeaseKey(int64_t id) {
  std::string out(kMetaLeasePrefix);
  PutBigEndian64(&out, static_cast<uint64_t>(id));
  return out;
}

bool DecodeLeaseKey(absl::string_view in, int64_t* id) {
  if (in.size() != kMetaLeasePrefix.size() + 8 || !absl::StartsWith(in, kMetaLeasePrefix)) {
    return false;
  }
  *id = static_cast<int64_t>(GetBigEndian64(in.data() + kMetaLeasePrefix.size()));
  return true;
}

std::string EncodeStoredKv(const StoredKv& s, bool with_key) {
  std::string out;
  out.reserve(s.kv.value.size() + (with_key ? s.kv.key.size() : 0) + 24);
  out.push_back(s.tombstone ? 'D' : 'P');
  PutVarint(&out, static_cast<uint64_t>(s.kv.create_revision));
  PutVarint(&out, static_cast<uint64_t>(s.kv.mod_revision));
  PutVarint(&out, static_cast<uint64_t>(s.kv.version));
  PutVarint(&out, static_cast<uint64_t>(s.kv.lease));
  if (with_key) {
    PutVarint(&out, s.kv.key.size());
    out.append(s.kv.key);
  }
  out.append(s.kv.value);
  return out;
}

bool DecodeStoredKv(absl::string_view in, bool with_key, StoredKv* s) {
  if (in.empty()) return false;
  char type = in.front();
  if (type != 'D' && type != 'P') return false;
  in.remove_prefix(1);
  s->tombstone = type == 'D';
  if (!GetSigned(&in, &s->kv.create_revision) || !GetSigned(&in, &s->kv.mod_revision) ||
      !GetSigned(&in, &s->kv.version) || !GetSigned(&in, &s->kv.lease)) {
    return false;
  }
  if (with_key) {
    uint64_t n;
    if (!GetVarint(&in, &n) || n > in.size()) return false;
    s->kv.key.assign(in.data(), n);
    in.remove_prefix(n);
  }
  s->kv.value.assign(in.data(), in.size());
  return true;
}

std::string EncodeLease(const LeaseRecord& l) {
  std::string out;
  PutBigEndian64(&out, static_cast<uint64_t>(l.granted_ttl));
  PutBigEndian64(&out, static_cast<uint64_t>(l.expiry_unix_nanos));
  return out;
}

bool DecodeLease(absl::string_view in, LeaseRecord* l) {
  if (in.size() != 16) return false;
  l->granted_ttl = static_cast<int64_t>(GetBigEndian64(in.data()));
  l->expiry_unix_nanos = static_cast<int64_t>(GetBigEndian64(in.data() + 8));
  return true;
}

}  // namespace rudder::store_internal::rocks
