#include "host/vfio_host.hpp"

#include <charconv>

#include "sysfs/host_paths.hpp"
#include "sysfs/parse.hpp"
#include "sysfs/root.hpp"

namespace ptagent {

namespace {

std::optional<std::uint64_t> hex64(std::string_view w) {
  std::uint64_t v = 0;
  if (w.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v, 16);
  if (ec != std::errc() || p != w.data() + w.size()) return std::nullopt;
  return v;
}

std::optional<bool> bool_param(const Root& root, std::string_view param) {
  auto v = root.read_value(module_parameter("vfio_pci", param));
  if (!v) return std::nullopt;
  const std::string_view t = trim(*v);
  if (t == "Y" || t == "1") return true;
  if (t == "N" || t == "0") return false;
  return std::nullopt;
}

}  // namespace

std::vector<IomemRange> parse_iomem(std::string_view text) {
  std::vector<IomemRange> out;
  for (std::string_view line : lines_of(text)) {
    const auto colon = line.find(" : ");
    if (colon == std::string_view::npos) continue;
    const std::string_view range = trim(line.substr(0, colon));
    const auto dash = range.find('-');
    if (dash == std::string_view::npos) continue;
    auto a = hex64(range.substr(0, dash));
    auto b = hex64(range.substr(dash + 1));
    if (!a || !b || *b < *a) continue;
    out.push_back({*a, *b, std::string(trim(line.substr(colon + 3)))});
  }
  return out;
}

bool is_boot_framebuffer(std::string_view name) {
  return name == "BOOTFB" || name == "efifb" || name == "vesafb" || name == "vga16fb" ||
         name.substr(0, 18) == "simple-framebuffer";
}

VfioHost read_vfio_host(const Root& root) {
  VfioHost h;
  if (auto v = root.read_value(kKernelOsrelease)) h.kernel_release = std::string(trim(*v));
  h.disable_idle_d3 = bool_param(root, "disable_idle_d3");
  h.disable_denylist = bool_param(root, "disable_denylist");
  h.disable_vga = bool_param(root, "disable_vga");
  h.nointxmask = bool_param(root, "nointxmask");
  h.vendor_reset_loaded = root.is_dir(module_dir("vendor_reset"));
  if (auto text = root.read(kProcIomem, 1u << 20)) {
    const auto ranges = parse_iomem(*text);
    bool any_address = false;
    for (const auto& r : ranges) {
      if (r.start != 0 || r.end != 0) any_address = true;
      if (is_boot_framebuffer(r.name) && r.end != 0) h.framebuffers.push_back(r);
    }
    h.iomem_hidden = !ranges.empty() && !any_address;
  }
  return h;
}

}  // namespace ptagent
