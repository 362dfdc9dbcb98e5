// A host program built with plain g++ and pkg-config against the install tree.
#include <iostream>

#include "lib/base/clock.h"
#include "lib/store/store.h"

int main() {
  rudder::FakeClock clock(absl::FromUnixSeconds(10));
  clock.Advance(absl::Seconds(5));
  if (clock.Now() != absl::FromUnixSeconds(15)) return 1;
  if (rudder::store::PrefixEnd("/registry/pods/") != "/registry/pods0") return 2;
  if (!rudder::store::IsCompacted(rudder::store::CompactedError(7))) return 3;
  std::cout << "host program OK\n";
  return 0;
}
