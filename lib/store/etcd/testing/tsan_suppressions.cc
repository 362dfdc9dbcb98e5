// ThreadSanitizer suppressions for binaries that link gRPC through the etcd harness.
//
// Debian's gRPC and Abseil are not built with TSan: their internal synchronisation
// (absl::Mutex, call_once, the reference counts of absl::Status, the epoll poller) is invisible
// to it and shows up as races inside those libraries. A race is suppressed only when one of its
// stacks passes through those libraries; races between our own threads are still reported.
// Defines the process-wide hook: a test linking this may not define its own.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgrpc++.so\n"
         "race:libgpr.so\n"
         "race:libabsl_\n"
         // gRPC's inlined C++ call operations, racing only with memory reused by the above.
         "race:grpc::internal::CallOp\n"
         "deadlock:libgrpc.so\n"
         "deadlock:libabsl_synchronization.so\n";
}
