// Flags for every command that reads remote inputs: they override the environment's
// TRIGML_IO_* settings (io::remote_options()), and may stand before or after the subcommand.
#include <cstdint>

#include "commands.hpp"
#include "io/source.hpp"

namespace trigml::cli {

void register_remote_options(CLI::App& app) {
  app.fallthrough();
  io::RemoteOptions& remote = io::remote_options();
  const std::string group = "Remote inputs (root://, https://)";
  auto seconds = [](std::chrono::milliseconds& target) {
    return [&target](double value) { target = io::from_seconds(value); };
  };
  app.add_option_function<double>(
         "--io-timeout", seconds(remote.request_timeout),
         "seconds a request may go without progress before it fails (TRIGML_IO_TIMEOUT)")
      ->check(CLI::Range(0.001, 86400.0))
      ->group(group);
  app.add_option_function<double>("--io-connect-timeout", seconds(remote.connect_timeout),
                                  "seconds to wait for a connection (TRIGML_IO_CONNECT_TIMEOUT)")
      ->check(CLI::Range(0.001, 86400.0))
      ->group(group);
  app.add_option("--io-retries", remote.retries,
                 "times a request is repeated after a transient failure (TRIGML_IO_RETRIES)")
      ->check(CLI::Range(0, 100))
      ->group(group);
  app.add_option_function<int64_t>(
         "--io-backoff-ms", [&remote](int64_t value) { remote.backoff = std::chrono::milliseconds(value); },
         "wait before the first retry, doubled for each next one (TRIGML_IO_BACKOFF_MS)")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->group(group);
  app.add_option_function<double>(
         "--read-ahead-mb",
         [&remote](double value) { remote.read_ahead_bytes = static_cast<uint64_t>(value * 1048576); },
         "MB fetched ahead of the range being decoded; 0 turns read-ahead off (TRIGML_IO_READ_AHEAD_MB)")
      ->check(CLI::Range(0.0, 65536.0))
      ->group(group);
  app.add_option("--ca-bundle", remote.ca_bundle,
                 "PEM file of the certificate authorities trusted for https (TRIGML_CA_BUNDLE)")
      ->check(CLI::ExistingFile)
      ->group(group);
  app.add_option("--http-auth-file", remote.authorization_file,
                 "file holding the Authorization header value for https (TRIGML_HTTP_AUTH_FILE)")
      ->check(CLI::ExistingFile)
      ->group(group);
}

}  // namespace trigml::cli
