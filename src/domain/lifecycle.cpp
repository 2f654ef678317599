#include "domain/lifecycle.hpp"

#include "domain/admission.hpp"
#include "domain/holders.hpp"
#include "ops/journal.hpp"
#include "pci/inventory.hpp"
#include "xml/domain.hpp"
#include "xml/metadata.hpp"
#include "xml/schema.hpp"

namespace ptagent::domain {

namespace {

// The domain XML and its ptagent metadata, or Error(usage) naming what is wrong.
void read_domain(const StartDeps& deps, std::string_view xml, DomainInfo& info,
                 PassthroughMetadata& meta) {
  info = parse_domain_xml(xml);
  if (info.uuid.empty()) throw_usage("domain XML", "has no <uuid>: ptagent keys everything on it");
  if (!info.ptagent_metadata) return;
  // The strict reader first (its messages name the attribute and the fix), then the schema in
  // xml/ (libxml2 is loaded only now, for domains that carry metadata), which holds the metadata
  // to its one written form (DDDD:BB:SS.F addresses, say).
  meta = parse_metadata(*info.ptagent_metadata);
  const ValidationResult v = validate_xml(SchemaKind::metadata, *info.ptagent_metadata);
  if (v.status == ValidationStatus::invalid) {
    throw_usage("the domain's ptagent metadata",
                "does not match ptagent-metadata.rng: " + v.summary(),
                "write addresses as DDDD:BB:SS.F, UUIDs as 8-4-4-4-12 hex digits and no other "
                "elements or attributes ('ptagent gen-xml … --metadata' writes it), then 'virsh "
                "edit'");
  }
  if (v.status == ValidationStatus::unavailable) {
    deps.log("domain " + info.uuid + ": metadata not checked against ptagent-metadata.rng (" +
             v.summary() + "); the strict reader checked it");
  }
}

}  // namespace

PrepareOutcome prepare(const StartDeps& deps, std::string_view xml) {
  PrepareOutcome out;
  DomainInfo info;
  PassthroughMetadata meta;
  try {
    read_domain(deps, xml, info, meta);
  } catch (const Error& e) {
    out.result = PrepareOutcome::Result::bad_xml;
    out.error = e;
    return out;
  }
  if (info.pci.empty() && info.mdevs.empty() && meta.empty()) return out;
  out.uuid = info.uuid;
  try {
    StartLock lock(deps.root);
    Journal journal(deps.root, kStateDir, deps.journal_fault);
    // Leftovers of an earlier start that crashed before release: undo them first.
    if (!undo_domain(deps, journal, info.uuid).empty()) {
      throw_failed("domain " + info.uuid, "an earlier start left changes that cannot be undone",
                   "run 'ptagent restore --all' and read its messages");
    }
    const Inventory inventory = Inventory::scan(deps.root);
    const DeviceHolders holders = DeviceHolders::read(deps.root, journal.load());
    const StartPlan plan = admit(deps.root, inventory, holders, journal, info, meta);
    out.accepted = plan.accepted;
    try {
      start(deps, journal, plan);
    } catch (const Error&) {
      out.not_undone = undo_domain(deps, journal, info.uuid);
      throw;
    }
  } catch (const Error& e) {
    out.result = PrepareOutcome::Result::refused;
    out.error = e;
    return out;
  }
  out.result = PrepareOutcome::Result::started;
  return out;
}

ReleaseOutcome release(const StartDeps& deps, std::string_view xml) {
  ReleaseOutcome out;
  DomainInfo info;
  try {
    info = parse_domain_xml(xml);
  } catch (const Error& e) {
    out.result = ReleaseOutcome::Result::bad_xml;
    out.error = e;
    return out;
  }
  if (info.uuid.empty()) return out;
  out.uuid = info.uuid;
  try {
    StartLock lock(deps.root);
    Journal journal(deps.root, kStateDir, deps.journal_fault);
    out.not_undone = undo_domain(deps, journal, info.uuid);
  } catch (const Error& e) {
    out.result = ReleaseOutcome::Result::failed;
    out.error = e;
    return out;
  }
  out.result = out.not_undone.empty() ? ReleaseOutcome::Result::released
                                      : ReleaseOutcome::Result::not_undone;
  return out;
}

ReleaseOutcome stopped(const StartDeps& deps, std::string_view xml) {
  return release(deps, xml);
}

void reconnect(const StartDeps&, std::string_view) {}

}  // namespace ptagent::domain
