#include "io/url.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "common/error.hpp"

namespace trigml::io {
namespace {

struct SchemeName {
  std::string_view text;
  Scheme scheme;
};
constexpr std::array<SchemeName, 6> kSchemes = {{{"file", Scheme::File},
                                                 {"root", Scheme::XRootD},
                                                 {"roots", Scheme::XRootD},
                                                 {"xroot", Scheme::XRootD},
                                                 {"http", Scheme::Http},
                                                 {"https", Scheme::Https}}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool secret_parameter(std::string_view key) {
  std::string name = lower(key);
  for (std::string_view marker : {"authz", "token", "signature", "credential", "key", "pass", "secret"})
    if (name.find(marker) != std::string::npos) return true;
  return false;
}

std::string redacted_query(std::string_view query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = std::min(query.find('&', start), query.size());
    std::string_view item = query.substr(start, end - start);
    size_t equals = item.find('=');
    if (!out.empty()) out += '&';
    if (equals != std::string_view::npos && secret_parameter(item.substr(0, equals)))
      out += std::string(item.substr(0, equals)) + "=***";
    else
      out += item;
    start = end + 1;
  }
  return out;
}

// A location that did not parse: printed without what could be userinfo or a query.
std::string unparsed_printable(std::string_view location) {
  size_t separator = location.find("://");
  std::string_view rest = location.substr(separator + 3);
  size_t at = rest.substr(0, rest.find('/')).rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return fmt::format("{}{}", location.substr(0, separator + 3), rest.substr(0, rest.find('?')));
}

}  // namespace

std::string Url::full() const {
  return compose(true);
}

std::string Url::printable() const {
  return compose(false);
}

std::string Url::compose(bool with_secrets) const {
  if (scheme == Scheme::File) return path;
  std::string out = scheme_name + "://";
  if (with_secrets && !user.empty()) out += password.empty() ? user + "@" : user + ":" + password + "@";
  out += host;
  if (port) out += fmt::format(":{}", *port);
  // XRootD marks an absolute path with a second slash.
  out += scheme == Scheme::XRootD ? "/" + path : path;
  if (!query.empty()) out += "?" + (with_secrets ? query : redacted_query(query));
  return out;
}

Url Url::with_path(std::string new_path) const {
  Url out = *this;
  out.path = std::move(new_path);
  return out;
}

Url Url::joined(std::string_view name) const {
  return with_path(path.ends_with('/') ? path + std::string(name) : path + "/" + std::string(name));
}

Url parse_url(std::string_view location) {
  Url url;
  size_t separator = location.find("://");
  if (separator == std::string_view::npos) {
    url.path = std::string(location);
    return url;
  }
  std::string name = lower(location.substr(0, separator));
  auto known =
      std::find_if(kSchemes.begin(), kSchemes.end(), [&](const SchemeName& s) { return s.text == name; });
  if (known == kSchemes.end())
    throw UsageError(
        fmt::format("unknown URL scheme '{}://' (expected a local path, root://, http:// or https://)", name),
        {unparsed_printable(location)});
  url.scheme = known->scheme;
  url.scheme_name = name;
  std::string_view rest = location.substr(separator + 3);
  if (url.scheme == Scheme::File) {
    url.path = std::string(rest);
    return url;
  }
  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path_and_query = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    url.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) url.password = std::string(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    std::string_view digits = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || value == 0 ||
        value > 65535)
      throw UsageError(fmt::format("invalid port '{}' in URL", digits), {url.printable()});
    url.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  url.host = std::string(authority);
  if (url.host.empty()) throw UsageError("URL has no host", {unparsed_printable(location)});
  size_t question = path_and_query.find('?');
  std::string_view path = path_and_query.substr(0, question);
  if (question != std::string_view::npos) url.query = std::string(path_and_query.substr(question + 1));
  if (url.scheme == Scheme::XRootD) {
    // root://host//abs/path: the path is what follows the host's slash.
    if (path.size() < 2 || path[1] != '/')
      throw UsageError(
          "an XRootD URL needs an absolute path after the host, as in root://host//dir/file.root",
          {url.printable()});
    path.remove_prefix(1);
  }
  url.path = path.empty() ? "/" : std::string(path);
  return url;
}

bool is_remote(std::string_view location) {
  size_t separator = location.find("://");
  if (separator == std::string_view::npos) return false;
  std::string name = lower(location.substr(0, separator));
  return name != "file";
}

std::string printable_location(std::string_view location) {
  if (!is_remote(location)) return std::string(location);
  try {
    return parse_url(location).printable();
  } catch (const UsageError&) {
    return unparsed_printable(location);
  }
}

}  // namespace trigml::io
