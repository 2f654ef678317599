#include "virt/domain_ops.hpp"

#include <cstdlib>

#include "error.hpp"
#include "virt/errors.hpp"
#include "virt/libvirt_api.hpp"

namespace ptagent::virt {

namespace {

unsigned flags_of(Affect a) {
  switch (a) {
    case Affect::current:
      return VIR_DOMAIN_AFFECT_CURRENT;
    case Affect::live:
      return VIR_DOMAIN_AFFECT_LIVE;
    case Affect::config:
      return VIR_DOMAIN_AFFECT_CONFIG;
    case Affect::live_and_config:
      return VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG;
  }
  return VIR_DOMAIN_AFFECT_CURRENT;
}

// libvirt hands out malloc'ed strings.
std::string take(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

}  // namespace

std::string domain_xml(const Connection& conn, const Domain& dom, bool inactive) {
  LibvirtError err;
  virDomainPtr d = dom.get();
  unsigned flags = inactive ? VIR_DOMAIN_XML_INACTIVE : 0;
  char* xml = bounded<char*>(
      "domain '" + dom.name() + "'", conn.timeout(),
      [d, flags]() { return libvirt().virDomainGetXMLDesc(d, flags); },
      [](char* const& p) { return p == nullptr; }, err);
  if (!xml) throw_libvirt("domain '" + dom.name() + "'", "reading its XML", err);
  return take(xml);
}

bool domain_is_active(const Connection& conn, const Domain& dom) {
  LibvirtError err;
  virDomainPtr d = dom.get();
  int rc = bounded<int>(
      "domain '" + dom.name() + "'", conn.timeout(),
      [d]() { return libvirt().virDomainIsActive(d); }, [](const int& r) { return r < 0; }, err);
  if (rc < 0) throw_libvirt("domain '" + dom.name() + "'", "state query", err);
  return rc == 1;
}

std::vector<std::pair<std::string, std::string>> running_domain_xmls(const Connection& conn) {
  LibvirtError err;
  virConnectPtr c = conn.get();
  using Result = std::vector<std::pair<std::string, std::string>>;
  struct Out {
    bool ok = false;
    Result doms;
  };
  Out out = bounded<Out>(
      "libvirt " + conn.uri(), conn.timeout(),
      [c]() {
        Out o;
        virDomainPtr* list = nullptr;
        int n = libvirt().virConnectListAllDomains(c, &list, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
        if (n < 0) return o;
        o.ok = true;
        for (int i = 0; i < n; ++i) {
          const char* name = libvirt().virDomainGetName(list[i]);
          char* xml = libvirt().virDomainGetXMLDesc(list[i], 0);
          if (name && xml) o.doms.emplace_back(name, xml);
          std::free(xml);
          libvirt().virDomainFree(list[i]);
        }
        std::free(list);
        return o;
      },
      [](const Out& o) { return !o.ok; }, err);
  if (!out.ok) throw_libvirt("libvirt " + conn.uri(), "listing running domains", err);
  return out.doms;
}

namespace {

using DeviceCall = int (*)(virDomainPtr, const char*, unsigned int);

void change_device(const Connection& conn, const Domain& dom, const std::string& xml, Affect affect,
                   DeviceCall call, const char* what) {
  LibvirtError err;
  virDomainPtr d = dom.get();
  unsigned flags = flags_of(affect);
  int rc = bounded<int>(
      "domain '" + dom.name() + "'", conn.timeout(),
      [d, xml, flags, call]() { return call(d, xml.c_str(), flags); },
      [](const int& r) { return r < 0; }, err);
  if (rc < 0) throw_libvirt("domain '" + dom.name() + "'", what, err);
}

}  // namespace

void attach_device(const Connection& conn, const Domain& dom, const std::string& xml,
                   Affect affect) {
  change_device(conn, dom, xml, affect, libvirt().virDomainAttachDeviceFlags, "attach");
}

void detach_device(const Connection& conn, const Domain& dom, const std::string& xml,
                   Affect affect) {
  change_device(conn, dom, xml, affect, libvirt().virDomainDetachDeviceFlags, "detach");
}

}  // namespace ptagent::virt
