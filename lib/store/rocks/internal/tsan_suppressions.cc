// ThreadSanitizer suppressions for tests that use Debian's RocksDB. The library is not built with
// -fsanitize=thread, so TSan cannot see the atomics its lock-free memtable publishes entries
// with, and reports the memtable's memcpy/memcmp (through TSan's interceptors) as races; likewise
// blocks that its background threads decompress (snappy) into the block cache. Races in our own
// code have no RocksDB frame and are still reported.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:librocksdb.so\n"
         "called_from_lib:libsnappy.so\n"
         "race:librocksdb.so\n"
         "race:libsnappy.so\n";
}
