// Where an input lives: a local path or a URL. Parsing is in one place, so a new scheme is a new
// source file plus one line in open_source().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trigml::io {

enum class Scheme { File, XRootD, Http, Https };

struct Url {
  Scheme scheme = Scheme::File;
  // The scheme as written, lower-cased ("roots" asks XRootD for TLS; "root" and "xroot" do not).
  std::string scheme_name = "file";
  std::string user;      // userinfo before '@', never printed
  std::string password;  // never printed
  std::string host;
  std::optional<uint16_t> port;
  // The path on the server, beginning with '/': root://host//data/a.root has path "/data/a.root",
  // https://host/data/a.root too. For a local file, the path as given.
  std::string path;
  std::string query;  // after '?', without it

  // The URL with its credentials: what is handed to the client library, never to a log.
  std::string full() const;
  // The URL for messages: no userinfo, and the values of query parameters that look like secrets
  // (authz, token, signature, credential, key, password) replaced by "***".
  std::string printable() const;
  // The same URL with another path (a file next to this one, a directory listing entry).
  Url with_path(std::string new_path) const;
  // The URL of `name` inside this one as a directory (query kept): dataset parts, list entries.
  Url joined(std::string_view name) const;

 private:
  std::string compose(bool with_secrets) const;
};

// Parses "root://host[:port]//path", "roots://...", "http(s)://host[:port]/path[?query]",
// "file:///path" or a plain local path. Throws UsageError for a malformed URL.
Url parse_url(std::string_view location);

// True when the location has a remote scheme (root, roots, http, https).
bool is_remote(std::string_view location);

// What to print for a location: local paths as given, URLs through Url::printable().
std::string printable_location(std::string_view location);

}  // namespace trigml::io
