#include "tests/lib/kubectl_util.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace rudder::testing {

std::string FindKubectl() {
  const char* candidates[] = {getenv("KUBECTL"), "/usr/lib/google-cloud-sdk/bin/kubectl.1.33",
                              "/usr/bin/kubectl"};
  for (const char* k : candidates) {
    if (k != nullptr && access(k, X_OK) == 0) return k;
  }
  return "";
}

bool WriteLoopbackKubeconfig(const std::string& path, int port) {
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
      << "    server: http://127.0.0.1:" << port << "\ncontexts:\n- name: c\n  context:\n"
      << "    cluster: c\n    user: u\n    namespace: default\ncurrent-context: c\n"
      << "users:\n- name: u\n  user: {}\n";
  out.close();
  return static_cast<bool>(out);
}

std::pair<std::string, int> RunShell(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace rudder::testing
