#include "xml/schema.hpp"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include <sys/stat.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "error.hpp"

namespace ptagent {

namespace {

constexpr std::size_t kMaxDocument = 1u << 20;

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Collects libxml2's messages instead of letting it print them.
class Messages {
 public:
  std::vector<std::string> lines;

  static void structured(void* ctx, xmlErrorPtr e) {
    if (!ctx || !e) return;
    std::string msg = e->message ? e->message : "unknown libxml2 error";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    std::string where;
    if (e->line > 0) where = "line " + std::to_string(e->line) + ": ";
    static_cast<Messages*>(ctx)->lines.push_back(where + msg);
  }

  // Some paths report only through the generic (printf-style) channel, a piece at a time.
  static void generic(void* ctx, const char* fmt, ...) {
    if (!ctx || !fmt) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    auto* self = static_cast<Messages*>(ctx);
    self->pending_ += buf;
    for (auto nl = self->pending_.find('\n'); nl != std::string::npos;
         nl = self->pending_.find('\n')) {
      std::string line = self->pending_.substr(0, nl);
      if (!line.empty()) self->lines.push_back(line);
      self->pending_.erase(0, nl + 1);
    }
  }

  void flush() {
    if (!pending_.empty()) lines.push_back(pending_);
    pending_.clear();
  }

 private:
  std::string pending_;
};

// Routes libxml2's (thread-local) error channels to `m` for one scope, then restores them.
class CaptureErrors {
 public:
  explicit CaptureErrors(Messages& m)
      : old_structured_(xmlStructuredError),
        old_structured_ctx_(xmlStructuredErrorContext),
        old_generic_(xmlGenericError),
        old_generic_ctx_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(&m, &Messages::structured);
    xmlSetGenericErrorFunc(&m, &Messages::generic);
  }
  ~CaptureErrors() {
    xmlSetStructuredErrorFunc(old_structured_ctx_, old_structured_);
    xmlSetGenericErrorFunc(old_generic_ctx_, old_generic_);
  }
  CaptureErrors(const CaptureErrors&) = delete;
  CaptureErrors& operator=(const CaptureErrors&) = delete;

 private:
  xmlStructuredErrorFunc old_structured_;
  void* old_structured_ctx_;
  xmlGenericErrorFunc old_generic_;
  void* old_generic_ctx_;
};

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct SchemaFree {
  void operator()(xmlRelaxNG* s) const { xmlRelaxNGFree(s); }
};
struct ParserFree {
  void operator()(xmlRelaxNGParserCtxt* p) const { xmlRelaxNGFreeParserCtxt(p); }
};
struct ValidFree {
  void operator()(xmlRelaxNGValidCtxt* v) const { xmlRelaxNGFreeValidCtxt(v); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;
using SchemaPtr = std::shared_ptr<xmlRelaxNG>;

// No network, no DTD loading, no entity substitution.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOCDATA;

std::optional<std::string> read_small_file(const std::string& path) {
  if (!is_file(path)) return std::nullopt;
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  if (text.size() > kMaxDocument) return std::nullopt;
  return text;
}

struct Loaded {
  SchemaPtr schema;
  std::vector<std::string> why;  // when schema is null
};

Loaded compile(xmlRelaxNGParserCtxt* raw, Messages& m) {
  std::unique_ptr<xmlRelaxNGParserCtxt, ParserFree> pctxt(raw);
  Loaded out;
  if (!pctxt) {
    m.flush();
    out.why = m.lines;
    if (out.why.empty()) out.why.push_back("libxml2 could not create a RelaxNG parser");
    return out;
  }
  xmlRelaxNGSetParserStructuredErrors(pctxt.get(), &Messages::structured, &m);
  xmlRelaxNG* s = xmlRelaxNGParse(pctxt.get());
  m.flush();
  if (!s) {
    out.why = m.lines;
    if (out.why.empty()) out.why.push_back("libxml2 could not compile the schema");
    return out;
  }
  out.schema = SchemaPtr(s, SchemaFree{});
  return out;
}

Loaded load_hostdev_schema(const std::string& libvirt_dir, const std::string& own_dir) {
  Loaded out;
  const std::string own = own_dir + "/hostdev.rng";
  auto text = read_small_file(own);
  if (!text) {
    out.why.push_back("cannot read " + own);
    return out;
  }
  Messages m;
  CaptureErrors capture(m);
  // Parsed under a URL inside libvirt's directory so that its include finds domaincommon.rng.
  const std::string url = libvirt_dir + "/ptagent-hostdev.rng";
  DocPtr doc(xmlReadMemory(text->data(), static_cast<int>(text->size()), url.c_str(), nullptr,
                           kParseOptions));
  if (!doc) {
    m.flush();
    out.why = m.lines;
    out.why.insert(out.why.begin(), own + " is not well-formed");
    return out;
  }
  // The parser context works on its own copy of the document (URL included).
  return compile(xmlRelaxNGNewDocParserCtxt(doc.get()), m);
}

Loaded load_metadata_schema(const std::string& own_dir) {
  const std::string path = own_dir + "/ptagent-metadata.rng";
  if (!is_file(path)) return Loaded{nullptr, {"cannot read " + path}};
  Messages m;
  CaptureErrors capture(m);
  return compile(xmlRelaxNGNewParserCtxt(path.c_str()), m);
}

std::mutex g_mutex;
std::map<std::string, Loaded>& cache() {
  static std::map<std::string, Loaded> c;
  return c;
}

}  // namespace

std::string ValidationResult::summary() const {
  std::string out;
  for (const auto& m : messages) out += (out.empty() ? "" : "; ") + m;
  return out;
}

std::optional<std::string> libvirt_schema_dir() {
  if (const char* env = std::getenv("PTAGENT_LIBVIRT_SCHEMAS"); env && *env) {
    std::string dir = env;
    if (is_file(dir + "/domaincommon.rng")) return dir;
    return std::nullopt;
  }
  for (const char* dir : {"/usr/share/libvirt/schemas", "/usr/local/share/libvirt/schemas"}) {
    if (is_file(std::string(dir) + "/domaincommon.rng")) return std::string(dir);
  }
  return std::nullopt;
}

std::optional<std::string> ptagent_schema_dir() {
  if (const char* env = std::getenv("PTAGENT_XML_DIR"); env && *env) {
    if (is_dir(env)) return std::string(env);
    return std::nullopt;
  }
  for (const char* dir : {PTAGENT_XML_SOURCE_DIR, PTAGENT_XML_INSTALL_DIR}) {
    if (is_file(std::string(dir) + "/ptagent-metadata.rng")) return std::string(dir);
  }
  return std::nullopt;
}

ValidationResult validate_xml(SchemaKind kind, std::string_view xml) {
  if (xml.size() > kMaxDocument) throw_usage("XML document", "is larger than 1 MiB");
  ValidationResult result;
  auto own_dir = ptagent_schema_dir();
  if (!own_dir) {
    result.messages.push_back(
        "ptagent's RNG directory was not found (set PTAGENT_XML_DIR or install ptagent)");
    return result;
  }
  std::optional<std::string> libvirt_dir;
  if (kind == SchemaKind::hostdev) {
    libvirt_dir = libvirt_schema_dir();
    if (!libvirt_dir) {
      const char* env = std::getenv("PTAGENT_LIBVIRT_SCHEMAS");
      result.messages.push_back(
          env && *env
              ? std::string(
                    "libvirt's RelaxNG schemas were not found: $PTAGENT_LIBVIRT_SCHEMAS (") +
                    env + ") has no domaincommon.rng"
              : std::string("libvirt's RelaxNG schemas were not found: no domaincommon.rng in "
                            "/usr/share/libvirt/schemas (Debian ships them in libvirt-common)"));
      return result;
    }
  }
  const std::string key =
      (kind == SchemaKind::hostdev ? "hostdev\n" + *libvirt_dir : std::string("metadata")) + "\n" +
      *own_dir;

  // One lock for loading and validating: a compiled schema is shared, its use is not audited.
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = cache().find(key);
  if (it == cache().end()) {
    xmlInitParser();
    Loaded l = kind == SchemaKind::hostdev ? load_hostdev_schema(*libvirt_dir, *own_dir)
                                           : load_metadata_schema(*own_dir);
    it = cache().emplace(key, std::move(l)).first;
  }
  if (!it->second.schema) {
    result.messages = it->second.why;
    return result;
  }
  SchemaPtr schema = it->second.schema;

  Messages m;
  CaptureErrors capture(m);
  DocPtr doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "generated.xml", nullptr,
                           kParseOptions));
  if (!doc) {
    m.flush();
    result.status = ValidationStatus::invalid;
    result.messages = m.lines;
    if (result.messages.empty()) result.messages.push_back("not well-formed XML");
    return result;
  }
  if (doc->intSubset || doc->extSubset) {
    result.status = ValidationStatus::invalid;
    result.messages.push_back("has a DTD, which libvirt never writes");
    return result;
  }
  std::unique_ptr<xmlRelaxNGValidCtxt, ValidFree> vctxt(xmlRelaxNGNewValidCtxt(schema.get()));
  if (!vctxt) {
    result.messages.push_back("libxml2 could not create a validation context");
    return result;
  }
  xmlRelaxNGSetValidStructuredErrors(vctxt.get(), &Messages::structured, &m);
  const int rc = xmlRelaxNGValidateDoc(vctxt.get(), doc.get());
  m.flush();
  if (rc == 0) {
    result.status = ValidationStatus::valid;
  } else {
    result.status = rc > 0 ? ValidationStatus::invalid : ValidationStatus::unavailable;
    result.messages = m.lines;
    if (result.messages.empty()) result.messages.push_back("does not match the schema");
  }
  return result;
}

}  // namespace ptagent
