// RelaxNG validation (libxml2) of what ptagent writes: <hostdev> against the installed libvirt's
// own schemas, and ptagent's metadata element against xml/ptagent-metadata.rng.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ptagent {

enum class SchemaKind {
  hostdev,   // xml/hostdev.rng: starts at libvirt's "hostdev" definition (domaincommon.rng)
  metadata,  // xml/ptagent-metadata.rng: self-contained
};

enum class ValidationStatus {
  valid,
  invalid,      // the document breaks the schema: messages say where
  unavailable,  // the schema could not be found or loaded: messages say why; nothing was checked
};

struct ValidationResult {
  ValidationStatus status = ValidationStatus::unavailable;
  std::vector<std::string> messages;  // libxml2's messages, one line each, never printed by libxml2
  std::string summary() const;        // messages joined with "; "
};

// Where libvirt's schemas are: $PTAGENT_LIBVIRT_SCHEMAS if set (even when it holds nothing, so
// tests can simulate a host without them), else the first of /usr/share/libvirt/schemas and
// /usr/local/share/libvirt/schemas that holds domaincommon.rng.
std::optional<std::string> libvirt_schema_dir();

// Where ptagent's own RNG files are: $PTAGENT_XML_DIR if set, else the source tree's xml/ (a
// build run in place), else <prefix>/share/ptagent/xml.
std::optional<std::string> ptagent_schema_dir();

// Validates one document. Schemas are parsed once per directory and kept for the process.
// Never throws for a bad document; throws Error(usage) only for a document larger than 1 MiB.
ValidationResult validate_xml(SchemaKind kind, std::string_view xml);

}  // namespace ptagent
