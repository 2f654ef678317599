// The libvirt C API, loaded with dlopen when a command first talks to libvirt, so that commands
// which never do (list, groups, gen-xml, probe, bind, …) do not pay for loading libvirt.so and its
// ~60 dependencies at every start (about 20 ms here, see docs/BENCHMARKS.md). Types and
// signatures come from libvirt's headers; nothing is linked.
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace ptagent {

#define PTAGENT_LIBVIRT_FUNCTIONS(X) \
  X(virInitialize)                   \
  X(virSetErrorFunc)                 \
  X(virGetLastError)                 \
  X(virResetLastError)               \
  X(virConnectOpen)                  \
  X(virConnectClose)                 \
  X(virConnectListAllDomains)        \
  X(virNodeDeviceLookupByName)       \
  X(virNodeDeviceFree)               \
  X(virNodeDeviceDetachFlags)        \
  X(virNodeDeviceReAttach)           \
  X(virNodeDeviceReset)              \
  X(virDomainLookupByName)           \
  X(virDomainLookupByUUIDString)     \
  X(virDomainFree)                   \
  X(virDomainGetName)                \
  X(virDomainGetXMLDesc)             \
  X(virDomainIsActive)               \
  X(virDomainAttachDeviceFlags)      \
  X(virDomainDetachDeviceFlags)

struct LibvirtApi {
#define PTAGENT_LIBVIRT_POINTER(name) decltype(&::name) name = nullptr;
  PTAGENT_LIBVIRT_FUNCTIONS(PTAGENT_LIBVIRT_POINTER)
#undef PTAGENT_LIBVIRT_POINTER
};

// libvirt.so.0, loaded once per process (thread-safe) and never unloaded. Throws
// Error(failed) naming the library or the missing symbol and how to install it.
const LibvirtApi& libvirt();

// Tests only: the same table, writable, to stand in for a call libvirt's test driver lacks (a
// domain detach, say). Restore what was replaced; never used by ptagent itself.
LibvirtApi& libvirt_for_tests();

}  // namespace ptagent
