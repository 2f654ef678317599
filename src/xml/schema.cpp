#include "xml/schema.hpp"

#include <dlfcn.h>
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
#include "util/join.hpp"
#include "xml/embedded_schemas.hpp"

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

// libxml2, loaded when the first document is validated (dlopen), so that programs which only
// may validate (the hook, with a domain that has no ptagent metadata) never pay for loading it and
// its dependencies. Types and signatures come from libxml2's headers; nothing is linked.
struct LibXml {
  void* handle = nullptr;
  std::string why;  // when handle is null
  decltype(&::xmlInitParser) InitParser = nullptr;
  decltype(&::xmlReadMemory) ReadMemory = nullptr;
  decltype(&::xmlFreeDoc) FreeDoc = nullptr;
  decltype(&::xmlSetStructuredErrorFunc) SetStructuredErrorFunc = nullptr;
  decltype(&::xmlSetGenericErrorFunc) SetGenericErrorFunc = nullptr;
  decltype(&::xmlRelaxNGNewMemParserCtxt) NewMemParserCtxt = nullptr;
  decltype(&::xmlRelaxNGNewDocParserCtxt) NewDocParserCtxt = nullptr;
  decltype(&::xmlRelaxNGSetParserStructuredErrors) SetParserStructuredErrors = nullptr;
  decltype(&::xmlRelaxNGParse) Parse = nullptr;
  decltype(&::xmlRelaxNGFree) Free = nullptr;
  decltype(&::xmlRelaxNGFreeParserCtxt) FreeParserCtxt = nullptr;
  decltype(&::xmlRelaxNGNewValidCtxt) NewValidCtxt = nullptr;
  decltype(&::xmlRelaxNGSetValidStructuredErrors) SetValidStructuredErrors = nullptr;
  decltype(&::xmlRelaxNGValidateDoc) ValidateDoc = nullptr;
  decltype(&::xmlRelaxNGFreeValidCtxt) FreeValidCtxt = nullptr;
  // The thread's current handlers, to put back after a capture (optional exports).
  decltype(&::__xmlStructuredError) StructuredError = nullptr;
  decltype(&::__xmlStructuredErrorContext) StructuredErrorContext = nullptr;
  decltype(&::__xmlGenericError) GenericError = nullptr;
  decltype(&::__xmlGenericErrorContext) GenericErrorContext = nullptr;

  template <typename F>
  bool resolve(F& fn, const char* name, bool required = true) {
    fn = reinterpret_cast<F>(::dlsym(handle, name));
    if (!fn && required && why.empty()) why = std::string("libxml2 has no symbol ") + name;
    return fn != nullptr || !required;
  }

  LibXml() {
    handle = ::dlopen("libxml2.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = ::dlerror();
      why = std::string("libxml2 could not be loaded (") + (e ? e : "libxml2.so.2") +
            "): install Debian's libxml2";
      return;
    }
    bool ok = resolve(InitParser, "xmlInitParser") && resolve(ReadMemory, "xmlReadMemory") &&
              resolve(FreeDoc, "xmlFreeDoc") &&
              resolve(SetStructuredErrorFunc, "xmlSetStructuredErrorFunc") &&
              resolve(SetGenericErrorFunc, "xmlSetGenericErrorFunc") &&
              resolve(NewMemParserCtxt, "xmlRelaxNGNewMemParserCtxt") &&
              resolve(NewDocParserCtxt, "xmlRelaxNGNewDocParserCtxt") &&
              resolve(SetParserStructuredErrors, "xmlRelaxNGSetParserStructuredErrors") &&
              resolve(Parse, "xmlRelaxNGParse") && resolve(Free, "xmlRelaxNGFree") &&
              resolve(FreeParserCtxt, "xmlRelaxNGFreeParserCtxt") &&
              resolve(NewValidCtxt, "xmlRelaxNGNewValidCtxt") &&
              resolve(SetValidStructuredErrors, "xmlRelaxNGSetValidStructuredErrors") &&
              resolve(ValidateDoc, "xmlRelaxNGValidateDoc") &&
              resolve(FreeValidCtxt, "xmlRelaxNGFreeValidCtxt");
    resolve(StructuredError, "__xmlStructuredError", false);
    resolve(StructuredErrorContext, "__xmlStructuredErrorContext", false);
    resolve(GenericError, "__xmlGenericError", false);
    resolve(GenericErrorContext, "__xmlGenericErrorContext", false);
    if (!ok) {
      ::dlclose(handle);
      handle = nullptr;
      return;
    }
    InitParser();
  }
  // Never unloaded: compiled schemas cached for the process point into it.
};

// Loaded once; null when libxml2 is not there (the reason in *why).
const LibXml* libxml(std::string* why) {
  static const LibXml lib;
  if (lib.handle) return &lib;
  if (why) *why = lib.why;
  return nullptr;
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

// Routes libxml2's (thread-local) error channels to `m` for one scope, then puts back what was
// there (libxml2's defaults when it does not export the accessors).
class CaptureErrors {
 public:
  CaptureErrors(const LibXml& x, Messages& m) : x_(x) {
    if (x.StructuredError && x.StructuredErrorContext) {
      old_structured_ = *x.StructuredError();
      old_structured_ctx_ = *x.StructuredErrorContext();
    }
    if (x.GenericError && x.GenericErrorContext) {
      old_generic_ = *x.GenericError();
      old_generic_ctx_ = *x.GenericErrorContext();
    }
    x.SetStructuredErrorFunc(&m, &Messages::structured);
    x.SetGenericErrorFunc(&m, &Messages::generic);
  }
  ~CaptureErrors() {
    x_.SetStructuredErrorFunc(old_structured_ctx_, old_structured_);
    x_.SetGenericErrorFunc(old_generic_ctx_, old_generic_);
  }
  CaptureErrors(const CaptureErrors&) = delete;
  CaptureErrors& operator=(const CaptureErrors&) = delete;

 private:
  const LibXml& x_;
  xmlStructuredErrorFunc old_structured_ = nullptr;
  void* old_structured_ctx_ = nullptr;
  xmlGenericErrorFunc old_generic_ = nullptr;
  void* old_generic_ctx_ = nullptr;
};

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

// ptagent's own schema text: from $PTAGENT_XML_DIR when it is set, else the copy built in (so
// that an installed hook validates wherever it was copied to).
std::optional<std::string> own_schema_text(const char* file, std::string_view built_in,
                                           std::vector<std::string>& why) {
  if (const char* env = std::getenv("PTAGENT_XML_DIR"); env && *env) {
    const std::string path = std::string(env) + "/" + file;
    auto text = read_small_file(path);
    if (!text) why.push_back("cannot read " + path);
    return text;
  }
  return std::string(built_in);
}

struct Loaded {
  SchemaPtr schema;
  std::vector<std::string> why;  // when schema is null
};

Loaded compile(const LibXml& x, xmlRelaxNGParserCtxt* raw, Messages& m) {
  std::unique_ptr<xmlRelaxNGParserCtxt, decltype(x.FreeParserCtxt)> pctxt(raw, x.FreeParserCtxt);
  Loaded out;
  if (!pctxt) {
    m.flush();
    out.why = m.lines;
    if (out.why.empty()) out.why.push_back("libxml2 could not create a RelaxNG parser");
    return out;
  }
  x.SetParserStructuredErrors(pctxt.get(), &Messages::structured, &m);
  xmlRelaxNG* s = x.Parse(pctxt.get());
  m.flush();
  if (!s) {
    out.why = m.lines;
    if (out.why.empty()) out.why.push_back("libxml2 could not compile the schema");
    return out;
  }
  out.schema = SchemaPtr(s, x.Free);
  return out;
}

Loaded load_hostdev_schema(const LibXml& x, const std::string& libvirt_dir) {
  Loaded out;
  auto text = own_schema_text("hostdev.rng", kHostdevRng, out.why);
  if (!text) return out;
  Messages m;
  CaptureErrors capture(x, m);
  // Parsed under a URL inside libvirt's directory so that its include finds domaincommon.rng.
  const std::string url = libvirt_dir + "/ptagent-hostdev.rng";
  std::unique_ptr<xmlDoc, decltype(x.FreeDoc)> doc(
      x.ReadMemory(text->data(), static_cast<int>(text->size()), url.c_str(), nullptr,
                   kParseOptions),
      x.FreeDoc);
  if (!doc) {
    m.flush();
    out.why = m.lines;
    out.why.insert(out.why.begin(), "hostdev.rng is not well-formed");
    return out;
  }
  // The parser context works on its own copy of the document (URL included).
  return compile(x, x.NewDocParserCtxt(doc.get()), m);
}

Loaded load_metadata_schema(const LibXml& x) {
  Loaded out;
  auto text = own_schema_text("ptagent-metadata.rng", kMetadataRng, out.why);
  if (!text) return out;
  Messages m;
  CaptureErrors capture(x, m);
  return compile(x, x.NewMemParserCtxt(text->data(), static_cast<int>(text->size())), m);
}

std::mutex g_mutex;
std::map<std::string, Loaded>& cache() {
  static std::map<std::string, Loaded> c;
  return c;
}

}  // namespace

std::string ValidationResult::summary() const {
  std::string out = join(messages, "; ");
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
  const char* own_env = std::getenv("PTAGENT_XML_DIR");
  if (own_env && *own_env && !is_dir(own_env)) {
    result.messages.push_back(std::string("$PTAGENT_XML_DIR (") + own_env + ") is not a directory");
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
  std::string why;
  const LibXml* x = libxml(&why);
  if (!x) {
    result.messages.push_back(why);
    return result;
  }
  const std::string key =
      (kind == SchemaKind::hostdev ? "hostdev\n" + *libvirt_dir : std::string("metadata")) + "\n" +
      (own_env && *own_env ? own_env : "built-in");

  // One lock for loading and validating: a compiled schema is shared, its use is not audited.
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = cache().find(key);
  if (it == cache().end()) {
    Loaded l = kind == SchemaKind::hostdev ? load_hostdev_schema(*x, *libvirt_dir)
                                           : load_metadata_schema(*x);
    it = cache().emplace(key, std::move(l)).first;
  }
  if (!it->second.schema) {
    result.messages = it->second.why;
    return result;
  }
  SchemaPtr schema = it->second.schema;

  Messages m;
  CaptureErrors capture(*x, m);
  std::unique_ptr<xmlDoc, decltype(x->FreeDoc)> doc(
      x->ReadMemory(xml.data(), static_cast<int>(xml.size()), "generated.xml", nullptr,
                    kParseOptions),
      x->FreeDoc);
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
  std::unique_ptr<xmlRelaxNGValidCtxt, decltype(x->FreeValidCtxt)> vctxt(
      x->NewValidCtxt(schema.get()), x->FreeValidCtxt);
  if (!vctxt) {
    result.messages.push_back("libxml2 could not create a validation context");
    return result;
  }
  x->SetValidStructuredErrors(vctxt.get(), &Messages::structured, &m);
  const int rc = x->ValidateDoc(vctxt.get(), doc.get());
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
