// Where the heap of one cached Pod goes: the protobuf object (by part, with its sub-messages
// and strings), malloc's own overhead, and what an informer's cache adds per object (keys,
// index entries, the shared_ptr control block).
//   bazel run -c opt //bench/client:pod_memory_breakdown
//
// Every heap allocation of this binary is counted (operator new/delete are replaced), so the
// figures are allocation counts and requested bytes; "heap" figures are glibc's mallinfo2()
// deltas over 10,000 objects (requested bytes plus malloc's headers and rounding).
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/fixtures/pod.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "lib/api/codec/json.h"
#include "lib/api/proto/core/v1/core.pb.h"
#include "lib/client/informer/indexer.h"

namespace {
std::atomic<int64_t> g_allocs{0};
std::atomic<int64_t> g_bytes{0};
}  // namespace

void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using rudder::api::core::v1::Pod;

struct Tally {
  int messages = 0;
  int strings = 0;       // set string fields (singular and repeated elements)
  int long_strings = 0;  // longer than the 15 bytes std::string holds inline
  size_t string_bytes = 0;
  int map_entries = 0;
  int repeated_fields = 0;  // non-empty repeated fields
};

void Walk(const Message& m, Tally* t) {
  t->messages++;
  const google::protobuf::Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated()) {
      t->repeated_fields++;
      int n = r->FieldSize(m, f);
      if (f->is_map()) t->map_entries += n;
      for (int i = 0; i < n; ++i) {
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          Walk(r->GetRepeatedMessage(m, f, i), t);
        } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          std::string s = r->GetRepeatedString(m, f, i);
          t->strings++;
          t->string_bytes += s.size();
          if (s.size() > 15) t->long_strings++;
        }
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Walk(r->GetMessage(m, f), t);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      std::string s = r->GetString(m, f);
      t->strings++;
      t->string_bytes += s.size();
      if (s.size() > 15) t->long_strings++;
    }
  }
}

size_t HeapInUse() { return mallinfo2().uordblks; }

Pod BasePod() {
  Pod p;
  absl::StatusOr<rudder::api::JsonDecodeResult> r = rudder::api::DecodeJson(
      absl::StrReplaceAll(rudder::bench::kRunningPodJson, {{"\n", ""}}), &p);
  if (!r.ok()) {
    std::fprintf(stderr, "pod does not decode: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return p;
}

void Part(const char* name, const Message& m) {
  Tally t;
  Walk(m, &t);
  std::printf(
      "  %-10s wire %5zu B  SpaceUsedLong %6zu B  messages %3d  strings %3d (%2d > 15 B, "
      "%4zu B)  map entries %2d\n",
      name, m.ByteSizeLong(), m.SpaceUsedLong(), t.messages, t.strings, t.long_strings,
      t.string_bytes, t.map_entries);
}

}  // namespace

int main() {
  constexpr int kPods = 10000;
  const Pod base = BasePod();
  std::string wire = base.SerializeAsString();

  std::printf("The benchmark pod (bench/fixtures/pod.h), parsed from protobuf:\n");
  Part("Pod", base);
  Part("metadata", base.metadata());
  Part("spec", base.spec());
  Part("status", base.status());
  std::printf(
      "  sizeof: Pod %zu, ObjectMeta %zu, PodSpec %zu, Container %zu, Volume %zu, "
      "VolumeSource %zu, PodStatus %zu, ContainerStatus %zu, std::string %zu\n",
      sizeof(Pod), sizeof(rudder::api::meta::v1::ObjectMeta),
      sizeof(rudder::api::core::v1::PodSpec), sizeof(rudder::api::core::v1::Container),
      sizeof(rudder::api::core::v1::Volume), sizeof(rudder::api::core::v1::VolumeSource),
      sizeof(rudder::api::core::v1::PodStatus), sizeof(rudder::api::core::v1::ContainerStatus),
      sizeof(std::string));

  // One parse: allocations and requested bytes.
  {
    int64_t a0 = g_allocs.load(), b0 = g_bytes.load();
    auto p = std::make_unique<Pod>();
    p->ParseFromString(wire);
    std::printf("one ParseFromString: %lld allocations, %lld bytes requested\n",
                static_cast<long long>(g_allocs.load() - a0),
                static_cast<long long>(g_bytes.load() - b0));
    a0 = g_allocs.load(), b0 = g_bytes.load();
    auto c = std::make_unique<Pod>();
    c->CopyFrom(*p);
    std::printf("one CopyFrom:        %lld allocations, %lld bytes requested\n",
                static_cast<long long>(g_allocs.load() - a0),
                static_cast<long long>(g_bytes.load() - b0));
  }

  std::vector<std::string> wires;
  for (int i = 0; i < kPods; ++i) {
    Pod p = base;
    p.mutable_metadata()->set_name(absl::StrCat("web-7d4b9c8f6d-", i));
    p.mutable_metadata()->set_uid(absl::StrCat("5f0c6d4e-1a2b-4c3d-9e8f-", 100000000000 + i));
    wires.push_back(p.SerializeAsString());
  }

  // Heap per pod: plain heap objects.
  malloc_trim(0);
  size_t h0 = HeapInUse();
  int64_t a0 = g_allocs.load(), b0 = g_bytes.load();
  std::vector<std::shared_ptr<const Pod>> pods;
  pods.reserve(kPods);
  for (const std::string& w : wires) {
    auto p = std::make_shared<Pod>();
    p->ParseFromString(w);
    pods.push_back(std::move(p));
  }
  double heap = static_cast<double>(HeapInUse() - h0) / kPods;
  double req = static_cast<double>(g_bytes.load() - b0) / kPods;
  double allocs = static_cast<double>(g_allocs.load() - a0) / kPods;
  std::printf("\n%d pods as heap objects (make_shared + ParseFromString):\n", kPods);
  std::printf(
      "  heap %.0f B/pod = requested %.0f B + malloc overhead %.0f B (%.1f allocations "
      "of %.0f B on average)\n",
      heap, req, heap - req, allocs, req / allocs);

  // What an indexer adds (namespace index only): keys, index sets, map slots.
  h0 = HeapInUse();
  a0 = g_allocs.load(), b0 = g_bytes.load();
  std::unique_ptr<rudder::client::Indexer> idx = rudder::client::NewIndexer();
  for (const auto& p : pods) idx->Add(p);
  std::printf("  an Indexer over them (namespace index): +%.0f B/pod heap, %.1f allocations\n",
              static_cast<double>(HeapInUse() - h0) / kPods,
              static_cast<double>(g_allocs.load() - a0) / kPods);
  idx.reset();
  pods.clear();
  pods.shrink_to_fit();

  // The same pods each on its own arena, first block sized from a dry run of the same pod.
  for (int pct : {100, 110}) {
    malloc_trim(0);
    h0 = HeapInUse();
    a0 = g_allocs.load();
    std::vector<std::shared_ptr<const Pod>> on_arena;
    on_arena.reserve(kPods);
    size_t block = 0;
    {
      google::protobuf::Arena probe;
      google::protobuf::Arena::CreateMessage<Pod>(&probe)->ParseFromString(wires[0]);
      block = probe.SpaceUsed() * pct / 100 + 64;
    }
    for (const std::string& w : wires) {
      google::protobuf::ArenaOptions ao;
      ao.start_block_size = block;
      ao.max_block_size = block;
      auto arena = std::make_shared<google::protobuf::Arena>(ao);
      Pod* p = google::protobuf::Arena::CreateMessage<Pod>(arena.get());
      p->ParseFromString(w);
      on_arena.push_back(std::shared_ptr<const Pod>(arena, p));
    }
    std::printf("  each on its own Arena (block %zu B): heap %.0f B/pod, %.1f allocations\n", block,
                static_cast<double>(HeapInUse() - h0) / kPods,
                static_cast<double>(g_allocs.load() - a0) / kPods);
  }
  return 0;
}
