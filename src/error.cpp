#include "error.hpp"

#include <cerrno>
#include <utility>

namespace ptagent {

namespace {

// A mention is kMention + one id byte; a where_spelled() part is kPart + id byte + text + kEnd.
// Control characters that printable() never lets through from user input.
constexpr char kMention = '\x1e';
constexpr char kPart = '\x1c';
constexpr char kEnd = '\x1d';

char id_of(Input input) {
  return static_cast<char>('a' + static_cast<int>(input));
}
Input input_of(char id) {
  return static_cast<Input>(id - 'a');
}

std::optional<std::string> spelled(Input input, const InputNames& names) {
  return names ? names(input) : core_name(input);
}

std::string compose(const std::string& object, const std::string& cause) {
  return object.empty() ? cause : object + ": " + cause;
}

}  // namespace

std::string_view reason_name(Reason reason) {
  switch (reason) {
    case Reason::invalid_input:
      return "invalid_input";
    case Reason::not_found:
      return "not_found";
    case Reason::refused:
      return "refused";
    case Reason::busy:
      return "busy";
    case Reason::wedged:
      return "wedged";
    case Reason::unsupported:
      return "unsupported";
    case Reason::timeout:
      return "timeout";
    case Reason::io_failed:
      return "io_failed";
    case Reason::failed:
      return "failed";
  }
  return "failed";
}

Reason default_reason(ErrorKind kind, int sys_errno) {
  if (sys_errno == EBUSY) return Reason::busy;
  if (sys_errno == ETIMEDOUT) return Reason::timeout;
  switch (kind) {
    case ErrorKind::usage:
      return Reason::invalid_input;
    case ErrorKind::not_found:
      return Reason::not_found;
    case ErrorKind::refused:
      return Reason::refused;
    case ErrorKind::failed:
      return Reason::failed;
  }
  return Reason::failed;
}

std::optional<std::string> core_name(Input input) {
  switch (input) {
    case Input::vf_count:
      return "VF count";
    case Input::mdev_uuid:
      return "mdev UUID";
    case Input::mdev_parent:
      return "mdev parent";
    case Input::mdev_type:
      return "mdev type";
    case Input::whole_group:
      return "whole IOMMU group";
    case Input::driver:
      return "driver";
    case Input::host_root:
      return "host root";
    case Input::autoprobe:
      return "VF autoprobe";
    case Input::all_changes:
      return "every journaled change";
    case Input::hook_binary:
      return "hook binary";
    case Input::by_address:
      return "binding by address";
    case Input::replace_conflicting:
      return "replacing conflicting settings";
    case Input::timeout:
      return "libvirt time bound";
    case Input::connect_uri:
      return "connection URI";
    case Input::force:
    case Input::new_uuid:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string mention(Input input) {
  return {kMention, id_of(input)};
}

std::string where_spelled(Input input, std::string text) {
  return std::string{kPart, id_of(input)} + std::move(text) + kEnd;
}

std::string spell(std::string_view text, const InputNames& names) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == kMention && i + 1 < text.size()) {
      const Input input = input_of(text[++i]);
      auto name = spelled(input, names);
      if (!name) name = core_name(input);
      out += name.value_or("");
    } else if (c == kPart && i + 1 < text.size()) {
      const Input input = input_of(text[++i]);
      if (!names || !names(input)) {
        // Skip the part up to its end marker (parts do not nest).
        while (i + 1 < text.size() && text[i + 1] != kEnd) ++i;
        ++i;
      }
    } else if (c != kEnd) {
      out += c;
    }
  }
  return out;
}

Error::Error(ErrorKind kind, std::string object, std::string cause, std::string hint, int sys_errno)
    : Error(kind, default_reason(kind, sys_errno), std::move(object), std::move(cause),
            std::move(hint), sys_errno) {}

Error::Error(ErrorKind kind, Reason reason, std::string object, std::string cause, std::string hint,
             int sys_errno)
    : std::runtime_error(spell(compose(object, cause))),
      kind_(kind),
      reason_(reason),
      object_(std::move(object)),
      cause_(std::move(cause)),
      hint_(std::move(hint)),
      errno_(sys_errno) {}

std::string report(const Error& e, std::string_view lead, const InputNames& names) {
  std::string out(lead);
  out += spell(compose(e.object(), e.cause()), names) + "\n";
  const std::string hint = spell(e.hint(), names);
  if (!hint.empty()) out += "  fix: " + hint + "\n";
  return out;
}

void throw_usage(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::usage, std::move(object), std::move(cause), std::move(hint));
}
void throw_not_found(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::not_found, std::move(object), std::move(cause), std::move(hint));
}
void throw_refused(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::refused, std::move(object), std::move(cause), std::move(hint));
}
void throw_failed(std::string object, std::string cause, std::string hint, int sys_errno) {
  throw Error(ErrorKind::failed, std::move(object), std::move(cause), std::move(hint), sys_errno);
}
void throw_busy(std::string object, std::string cause, std::string hint) {
  throw Error(ErrorKind::refused, Reason::busy, std::move(object), std::move(cause),
              std::move(hint));
}

}  // namespace ptagent
