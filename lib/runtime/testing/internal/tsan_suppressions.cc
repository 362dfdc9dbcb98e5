// ThreadSanitizer suppressions for test binaries that talk gRPC through the containerd harness.
//
// Debian's gRPC and Abseil are built without TSan, so their internal locking (absl::Mutex,
// the epoll poller, reference counts) is invisible to it and appears as races inside those
// libraries. Only races with a stack through those libraries are suppressed; races between
// Rudder's own threads are still reported. This defines the process-wide hook, so a binary
// linking it cannot define another.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgrpc++.so\n"
         "race:libgpr.so\n"
         "race:libabsl_\n"
         "race:grpc::internal::CallOp\n"
         "deadlock:libgrpc.so\n"
         "deadlock:libabsl_synchronization.so\n";
}
