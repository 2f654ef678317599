#include "uuid.hpp"

#include <random>

#include "error.hpp"
#include "printable.hpp"

namespace ptagent {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint32_t rotl(std::uint32_t v, int n) {
  return (v << n) | (v >> (32 - n));
}

}  // namespace

std::string Uuid::to_string() const {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

std::optional<Uuid> try_parse_uuid(std::string_view text) {
  Uuid u;
  std::size_t n = 0;  // hex digits consumed
  if (text.size() == 36) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_pos != (text[i] == '-')) return std::nullopt;
    }
  } else if (text.size() != 32) {
    return std::nullopt;
  }
  for (char c : text) {
    if (c == '-') continue;
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    u.bytes[n / 2] = static_cast<std::uint8_t>(u.bytes[n / 2] | (n % 2 == 0 ? d << 4 : d));
    ++n;
  }
  if (n != 32) return std::nullopt;
  return u;
}

bool is_uuid_text(std::string_view text) {
  return text.size() == 36 && try_parse_uuid(text).has_value();
}

std::optional<std::string> try_parse_uuid_text(std::string_view text) {
  if (text.size() != 36) return std::nullopt;  // the dashed form only
  auto u = try_parse_uuid(text);
  if (!u) return std::nullopt;
  return u->to_string();
}

std::string parse_uuid_text(std::string_view text) {
  if (auto u = try_parse_uuid_text(text)) return *u;
  throw_usage("UUID '" + printable(text, 64) + "'", "is not a UUID (8-4-4-4-12 hexadecimal digits)",
              "e.g. 4b20d080-1b54-4048-85b3-a6a62d165c01" +
                  where_spelled(Input::new_uuid, ", or leave " + mention(Input::new_uuid) +
                                                     " out to get a new one"));
}

std::string random_uuid_v4() {
  std::random_device rd;
  Uuid u;
  for (std::size_t i = 0; i < u.bytes.size(); i += 4) {
    const std::uint32_t r = rd();
    for (std::size_t k = 0; k < 4; ++k) u.bytes[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
  }
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // version 4
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return u.to_string();
}

Uuid parse_uuid(std::string_view text, std::string_view what) {
  if (auto u = try_parse_uuid(text)) return *u;
  if (text.empty()) {
    throw_usage(std::string(what), "is empty",
                "expected a UUID such as 4b20d080-1b54-4048-85b3-a6a62d165c01");
  }
  throw_usage(std::string(what) + " '" + printable(text, 64) + "'",
              "is not a UUID (32 hex digits, grouped 8-4-4-4-12)",
              "e.g. 4b20d080-1b54-4048-85b3-a6a62d165c01; 'cat /proc/sys/kernel/random/uuid' "
              "prints a new one");
}

std::array<std::uint8_t, 20> sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, in 64-byte blocks.
  std::string msg(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8u;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) msg += '\0';
  for (int i = 7; i >= 0; --i) msg += static_cast<char>((bits >> (i * 8)) & 0xffu);

  for (std::size_t block = 0; block < msg.size(); block += 64) {
    std::uint32_t w[80];
    for (std::size_t t = 0; t < 16; ++t) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + block + 4 * t);
      w[t] = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
             (std::uint32_t{p[2]} << 8) | p[3];
    }
    for (std::size_t t = 16; t < 80; ++t)
      w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (std::size_t t = 0; t < 80; ++t) {
      std::uint32_t f, k;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999u;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1u;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDCu;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6u;
      }
      const std::uint32_t temp = rotl(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < 20; ++i) {
    out[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  }
  return out;
}

Uuid uuid_v5(const Uuid& ns, std::string_view name) {
  std::string input(reinterpret_cast<const char*>(ns.bytes.data()), ns.bytes.size());
  input.append(name);
  const auto digest = sha1(input);
  Uuid u;
  for (std::size_t i = 0; i < u.bytes.size(); ++i) u.bytes[i] = digest[i];
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x50);  // version 5
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return u;
}

Uuid derive_mdev_uuid(const Uuid& domain_uuid, unsigned index) {
  return uuid_v5(domain_uuid, "ptagent-mdev-" + std::to_string(index));
}

}  // namespace ptagent
