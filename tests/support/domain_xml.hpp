// Domain XML as libvirt hands it to the hook, built from parts: the hook, lifecycle and
// admission tests share them.
#pragma once

#include <string>

namespace ptagent::testing {

// The domain and mdev UUIDs the domain, hook and admission tests use.
inline constexpr const char* kUuid = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a01";
inline constexpr const char* kUuid2 = "6c0d8a58-33f0-4c0c-9c48-0b4b6f1e7a02";
inline constexpr const char* kMdev1 = "4b20d080-1b54-4048-85b3-a6a62d165c01";
inline constexpr const char* kMdev2 = "4b20d080-1b54-4048-85b3-a6a62d165c02";

inline std::string domain_xml(const std::string& uuid, const std::string& devices,
                              const std::string& metadata = {}, const std::string& name = "guest") {
  return "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid + "</uuid>" +
         (metadata.empty() ? std::string() : "<metadata>" + metadata + "</metadata>") +
         "<memory unit='MiB'>64</memory><devices>" + devices + "</devices></domain>";
}

inline std::string pci_hostdev(const char* bus, const char* slot, const char* fn, bool managed) {
  return std::string("<hostdev mode='subsystem' type='pci' managed='") + (managed ? "yes" : "no") +
         "'><source><address domain='0x0000' bus='" + bus + "' slot='" + slot + "' function='" +
         fn + "'/></source></hostdev>";
}

inline std::string mdev_hostdev(const char* uuid) {
  return std::string(
             "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='") +
         uuid + "'/></source></hostdev>";
}

inline std::string meta(const std::string& body) {
  return "<ptagent:passthrough xmlns:ptagent=\"urn:x-ptagent:passthrough:1\">" + body +
         "</ptagent:passthrough>";
}

inline std::string meta_mdev(const char* uuid, const char* type = "i915-GVTg_V5_4") {
  return std::string("<ptagent:mdev uuid=\"") + uuid + "\" parent=\"0000:00:02.0\" type=\"" + type +
         "\"/>";
}

}  // namespace ptagent::testing
