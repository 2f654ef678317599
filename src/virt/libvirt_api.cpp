#include "virt/libvirt_api.hpp"

#include <dlfcn.h>

#include <string>

#include "error.hpp"

namespace ptagent {

namespace {

struct Loaded {
  LibvirtApi api;
  std::string why;  // empty when every symbol was found
};

Loaded load() {
  Loaded out;
  void* handle = ::dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = ::dlerror();
    out.why = std::string("could not be loaded: ") + (e ? e : "libvirt.so.0 not found");
    return out;
  }
#define PTAGENT_LIBVIRT_RESOLVE(name)                                         \
  out.api.name = reinterpret_cast<decltype(&::name)>(::dlsym(handle, #name)); \
  if (!out.api.name && out.why.empty()) out.why = "has no symbol " #name " (too old?)";
  PTAGENT_LIBVIRT_FUNCTIONS(PTAGENT_LIBVIRT_RESOLVE)
#undef PTAGENT_LIBVIRT_RESOLVE
  return out;
}

Loaded& loaded_instance() {
  static Loaded loaded = load();
  return loaded;
}

}  // namespace

const LibvirtApi& libvirt() {
  const Loaded& loaded = loaded_instance();
  if (!loaded.why.empty()) {
    throw_failed("libvirt (libvirt.so.0)", loaded.why,
                 "install Debian's libvirt0 package (apt-get install libvirt0); commands that do "
                 "not talk to libvirt work without it");
  }
  return loaded.api;
}

LibvirtApi& libvirt_for_tests() {
  libvirt();
  return loaded_instance().api;
}

}  // namespace ptagent
