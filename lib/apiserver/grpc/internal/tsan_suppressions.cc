// ThreadSanitizer suppressions for test binaries that use gRPC.
//
// Debian's gRPC and Abseil are not built with TSan: their own synchronisation (absl::Mutex and
// its deadlock graph, gRPC's pollers and reference counts) is invisible to it and shows up as
// races and lock-order reports inside those libraries. Only reports whose stacks go through
// them are suppressed; races between Rudder's own threads are still reported. This defines the
// process-wide hook, so a binary can link only one such library.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgrpc++.so\n"
         "race:libgpr.so\n"
         "race:libabsl_\n"
         "race:grpc::internal::CallOp\n"
         "deadlock:libgrpc.so\n"
         "deadlock:libabsl_synchronization.so\n";
}
