// Benchmark peer: a do-nothing qemu hook that is merely linked against libvirt.so. It reads the
// domain XML from stdin and exits 0 like the /bin/sh hook; the only difference from a plain C++
// binary is the dynamic loading of libvirt and its dependencies. It shows why ptagent-hook does not
// link libvirt. Built by tests/bench/run.sh with g++ and `pkg-config libvirt`.
#include <libvirt/libvirt.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char buf[65536];
  while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  // Never taken by the benchmark (4 arguments): it keeps a real reference to libvirt so the
  // linker cannot drop the library, and is the kind of call a libvirt-based hook would make.
  if (argc > 5 && argv[5][0] == '!') return virInitialize();
  return 0;
}
