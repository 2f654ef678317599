// The sysfs attribute parsers (hex ids, integers, word lists, driver_override).
#include "fuzz_check.hpp"
#include "sysfs/parse.hpp"

using namespace ptagent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz_text(data, size);
  if (auto v = parse_hex_attr(text)) FUZZ_CHECK(parse_hex_attr(trim(text)) == v, std::string(text));
  if (auto v = parse_int_attr(text)) FUZZ_CHECK(parse_int_attr(trim(text)) == v, std::string(text));
  for (const auto& w : split_words(text)) FUZZ_CHECK(!w.empty() && w.size() <= size, w);
  const std::string_view t = trim(text);
  FUZZ_CHECK(t.size() <= size && (t.empty() || text.find(t) != std::string_view::npos),
             std::string(t));
  if (auto o = parse_driver_override(text)) FUZZ_CHECK(!o->empty() && *o != "(null)", *o);
  return 0;
}
