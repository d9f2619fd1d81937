// Reading over root:// and https:// from real servers on 127.0.0.1 (tests/io/servers.hpp): every
// corpus file dumps exactly as the local file does, ingestion from URLs writes the same rows, and
// each fault (missing file, refused connection, stopped server, no range support, short answer,
// stalled server, changed file) is a clear error in bounded time that names the URL.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "common/run_command.hpp"
#include "gen/delphes_output.hpp"
#include "io/servers.hpp"
#include "io/source.hpp"

using namespace trigml;
using trigml::testing::CommandResult;
using trigml::testing::LocalServers;
using trigml::testing::run_command;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = trigml::testing::corpus_dir();

LocalServers& servers() {
  static LocalServers instance;
  return instance;
}

class Remote : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TRIGML_WITH_REMOTE)
      GTEST_SKIP() << "built without the XRootD or HTTP client (TRIGML_WITH_XROOTD/HTTP=OFF)";
    if (!std::getenv("TRIGML_LOOPBACK_ONLY"))
      GTEST_SKIP() << "the test servers need a network namespace of their own (root and unshare; see "
                      "tests/io/loopback_only): xrootd cannot be kept to loopback otherwise";
    servers();
    saved_ = io::remote_options();
    io::remote_options().ca_bundle = servers().certificate().string();
    io::remote_options().retries = 1;
    io::remote_options().backoff = std::chrono::milliseconds(50);
    io::remote_options().connect_timeout = std::chrono::milliseconds(3000);
    io::remote_options().request_timeout = std::chrono::milliseconds(3000);
    ::setenv("TRIGML_CA_BUNDLE", servers().certificate().c_str(), 1);
    // In the sanitizer build, LeakSanitizer cannot stop the XRootD client's threads inside this
    // test's namespaces and reports that on stderr (or aborts): the programs run here are not
    // leak-checked (every other test checks them).
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    if (asan.find("detect_leaks=0") == std::string::npos)
      ::setenv("ASAN_OPTIONS", (asan.empty() ? "" : asan + ":").append("detect_leaks=0").c_str(), 1);
  }
  void TearDown() override { io::remote_options() = saved_; }

  // The file's bytes as read through `location`, in pieces of `piece` bytes by read_many.
  static std::vector<std::byte> read_all(const std::string& location, size_t piece) {
    auto source = io::open_source(location);
    std::vector<std::byte> out(source->size());
    std::vector<io::ByteRange> ranges;
    std::vector<std::byte*> outputs;
    for (uint64_t at = 0; at < out.size(); at += piece) {
      ranges.push_back({at, std::min<uint64_t>(piece, out.size() - at)});
      outputs.push_back(out.data() + at);
    }
    // Out of order, to check that answers are matched by offset.
    std::reverse(ranges.begin(), ranges.end());
    std::reverse(outputs.begin(), outputs.end());
    source->read_many(ranges, outputs);
    return out;
  }

  static std::vector<std::byte> local_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> out(chars.size());
    std::memcpy(out.data(), chars.data(), chars.size());
    return out;
  }

  static std::string quote(const std::string& text) { return "'" + text + "'"; }

  io::RemoteOptions saved_;
};

fs::path copy_to_server(const fs::path& file) {
  fs::path target = servers().data() / file.filename();
  if (!fs::exists(target)) fs::copy_file(file, target);
  return target;
}

TEST_F(Remote, VectorReadsReturnTheFileBytesOverEveryScheme) {
  fs::path file = kCorpus / "files" / "uproot-HZZ-zlib.root";
  if (!fs::exists(file)) GTEST_SKIP() << "corpus not found at " << kCorpus;
  copy_to_server(file);
  auto expected = local_bytes(file);
  for (const std::string& url : {servers().root_url(file.filename()), servers().http_url(file.filename()),
                                 servers().https_url(file.filename())}) {
    SCOPED_TRACE(url);
    EXPECT_EQ(read_all(url, 997), expected);
    auto source = io::open_source(url);
    std::vector<std::byte> piece(100);
    source->read(12345, piece);
    EXPECT_TRUE(std::equal(piece.begin(), piece.end(), expected.begin() + 12345));
    EXPECT_GE(source->stats().requests, 1u);
    EXPECT_EQ(source->stats().bytes, 100u);
  }
}

// Must-hold 1: `trigml dump` prints the same over root:// and https:// as locally, for every file of
// the corpus and every branch its reference names.
TEST_F(Remote, EveryCorpusFileDumpsAsTheLocalFile) {
  if (!fs::exists(kCorpus / "reference")) GTEST_SKIP() << "corpus not found at " << kCorpus;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus / "reference")) {
    std::ifstream in(entry.path());
    auto reference = nlohmann::json::parse(in);
    fs::path file = kCorpus / "files" / (entry.path().stem().string() + ".root");
    if (!fs::exists(file)) continue;
    copy_to_server(file);
    for (const auto& tree : reference["trees"]) {
      std::set<std::string> branches;
      // Every terminal branch (names such as "__all__" are the reference's own summaries).
      for (const auto& [name, value] : tree["values"].items())
        if (!name.starts_with("__")) branches.insert(name);
      if (tree.contains("errors"))
        for (const auto& [name, value] : tree["errors"].items())
          if (!name.starts_with("__")) branches.insert(name);
      if (branches.empty()) continue;
      std::string arguments = quote(tree["path"].get<std::string>());
      for (const auto& b : branches) arguments += " " + quote(b);
      auto dump = [&](const std::string& location) {
        return run_command(std::string(TRIGML_CLI) + " dump " + quote(location) + " " + arguments +
                           " --json");
      };
      auto local = dump(file.string());
      SCOPED_TRACE(file.filename().string() + " " + tree["path"].get<std::string>());
      ASSERT_EQ(local.status, 0) << local.output.substr(0, 2000);
      for (const std::string& url :
           {servers().root_url(file.filename()), servers().https_url(file.filename())}) {
        auto remote = dump(url);
        EXPECT_EQ(remote.status, 0) << url << ": " << remote.output.substr(0, 2000);
        EXPECT_TRUE(remote.output == local.output) << url << " prints other values than the local file";
      }
    }
    ++files;
  }
  EXPECT_GE(files, 30u);
}

TEST_F(Remote, MissingFilesAndRefusedConnectionsAreClearErrors) {
  for (const std::string& url :
       {servers().root_url("no-such-file.root"), servers().https_url("no-such-file.root")}) {
    try {
      io::open_source(url);
      ADD_FAILURE() << url;
    } catch (const NotFoundError& e) {
      EXPECT_NE(std::string(e.what()).find(url), std::string::npos) << e.what();
    }
  }
  const int closed = trigml::testing::free_port();
  for (const std::string& url : {"root://127.0.0.1:" + std::to_string(closed) + "//x.root",
                                 "https://127.0.0.1:" + std::to_string(closed) + "/x.root"}) {
    auto start = std::chrono::steady_clock::now();
    try {
      io::open_source(url);
      ADD_FAILURE() << url;
    } catch (const IoError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(url), std::string::npos) << what;
      EXPECT_NE(what.find("after 2 attempts"), std::string::npos) << what;
    }
    // A bound, not a speed test: without timeouts this would wait for minutes.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << url;
  }
}

TEST_F(Remote, AServerThatIgnoresRangesIsRefused) {
  fs::path file = kCorpus / "files" / "uproot-HZZ-zlib.root";
  if (!fs::exists(file)) GTEST_SKIP() << "corpus not found at " << kCorpus;
  copy_to_server(file);
  try {
    io::open_source(servers().no_range_url(file.filename()));
    ADD_FAILURE();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 200 instead of 206"), std::string::npos) << e.what();
  }
}

TEST_F(Remote, AStoppedServerIsRetriedThenNamedAndAReturnedOneResumes) {
  fs::path file = kCorpus / "files" / "uproot-HZZ-zlib.root";
  if (!fs::exists(file)) GTEST_SKIP() << "corpus not found at " << kCorpus;
  copy_to_server(file);
  auto expected = local_bytes(file);
  io::remote_options().retries = 3;
  io::remote_options().backoff = std::chrono::milliseconds(200);
  auto source = io::open_source(servers().root_url(file.filename()));
  std::vector<std::byte> piece(4096);
  source->read(0, piece);
  servers().stop_xrootd();
  try {
    source->read(50000, piece);
    ADD_FAILURE();
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(servers().root_url(file.filename())), std::string::npos) << what;
    EXPECT_NE(what.find("[50000, 54096)"), std::string::npos) << what;
    EXPECT_NE(what.find("after 4 attempts"), std::string::npos) << what;
  }
  servers().start_xrootd();
  source->read(50000, piece);  // reconnects within its retries
  EXPECT_TRUE(std::equal(piece.begin(), piece.end(), expected.begin() + 50000));
  EXPECT_GE(source->stats().retries, 1u);

  auto http = io::open_source(servers().https_url(file.filename()));
  servers().stop_nginx();
  try {
    http->read(50000, piece);
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("[50000, 54096)"), std::string::npos) << e.what();
  }
  servers().start_nginx();
  http->read(50000, piece);
  EXPECT_TRUE(std::equal(piece.begin(), piece.end(), expected.begin() + 50000));
}

TEST_F(Remote, AFileThatChangesSizeIsAnError) {
  fs::path file = servers().data() / "changing.bin";
  std::ofstream(file, std::ios::binary) << std::string(10000, 'a');
  auto source = io::open_source(servers().https_url("changing.bin"));
  EXPECT_EQ(source->size(), 10000u);
  std::ofstream(file, std::ios::binary | std::ios::app) << std::string(500, 'b');
  std::vector<std::byte> piece(10);
  try {
    source->read(100, piece);
    ADD_FAILURE();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("changed size"), std::string::npos) << e.what();
  }
}

// A bearer token reaches the server and never a message: the private location answers 403
// without it.
TEST_F(Remote, TokensAuthenticateAndAreNeverPrinted) {
  fs::path file = servers().data() / "private.bin";
  std::ofstream(file, std::ios::binary) << std::string(1000, 'p');
  const std::string url = servers().private_url("private.bin");
  try {
    io::open_source(url);
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 403"), std::string::npos) << e.what();
  }
  fs::path token_file = servers().data() / "token.txt";
  std::ofstream(token_file) << LocalServers::private_token() << "\n";
  ::setenv("BEARER_TOKEN_FILE", token_file.c_str(), 1);
  EXPECT_EQ(io::open_source(url)->size(), 1000u);
  // An error with the token set: the message names the URL, not the token.
  try {
    io::open_source(servers().private_url("missing.bin"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(LocalServers::private_token()), std::string::npos) << e.what();
  }
  auto cli =
      run_command(std::string(TRIGML_CLI) + " inspect " + quote(servers().private_url("missing.root")));
  EXPECT_NE(cli.status, 0);
  EXPECT_EQ(cli.output.find(LocalServers::private_token()), std::string::npos) << cli.output;
  ::unsetenv("BEARER_TOKEN_FILE");
  // Credentials in the URL itself are not printed either.
  auto with_secret = run_command(std::string(TRIGML_CLI) + " inspect " +
                                 quote("https://bob:pw-77x@127.0.0.1:1/x.root?authz=zz-secret-99"));
  EXPECT_NE(with_secret.status, 0);
  EXPECT_EQ(with_secret.output.find("pw-77x"), std::string::npos) << with_secret.output;
  EXPECT_EQ(with_secret.output.find("zz-secret-99"), std::string::npos) << with_secret.output;
}

}  // namespace

namespace {

// A server that sends half of each range and hangs up, or none and stalls: each read ends in an
// IoError naming the URL and range within the retries and timeouts, never a hang or a wrong value.
TEST_F(Remote, ShortAnswersAndStalledServersEndInBoundedTime) {
  const int port = trigml::testing::free_port();
  trigml::testing::ServerProcess faulty(
      {"/usr/bin/python3", TRIGML_SOURCE_DIR "/tests/io/fault_server.py", std::to_string(port)},
      fs::temp_directory_path() / ("trigml-fault-" + std::to_string(port) + ".log"), {port});
  io::remote_options().request_timeout = std::chrono::milliseconds(1500);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  for (const std::string& url : {base + "/short/100000", base + "/stall/100000"}) {
    SCOPED_TRACE(url);
    auto start = std::chrono::steady_clock::now();
    auto source = io::open_source(url);
    EXPECT_EQ(source->size(), 100000u);
    std::vector<std::byte> piece(5000);
    try {
      source->read(1000, piece);
      ADD_FAILURE();
    } catch (const IoError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(url), std::string::npos) << what;
      EXPECT_NE(what.find("[1000, 6000)"), std::string::npos) << what;
      EXPECT_NE(what.find("after 2 attempts"), std::string::npos) << what;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  }
}

}  // namespace

namespace {

// The rows of a dataset, as `trigml dump` prints them: every column but source_file, which names
// where each event came from (a path or a URL).
std::string dataset_rows(const fs::path& dataset) {
  auto inspect = run_command(std::string(TRIGML_CLI) + " inspect " + dataset.string() + " --json");
  EXPECT_EQ(inspect.status, 0) << inspect.output;
  auto info = nlohmann::json::parse(inspect.output);
  std::string columns;
  for (const auto& c : info["columns"])
    if (c["name"] != "source_file") columns += " " + c["name"].get<std::string>();
  auto dump = run_command(std::string(TRIGML_CLI) + " dump " + dataset.string() + columns + " --json");
  EXPECT_EQ(dump.status, 0) << dump.output.substr(0, 2000);
  return dump.output;
}

// Must-hold 2: ingesting from root:// and https:// (a remote glob, a list file) writes the rows
// that ingesting the same files locally writes.
// Three generated files (qcd, ttbar, wjets) in the served directory gen/, made once.
fs::path generated_inputs() {
  fs::path gen = servers().data() / "gen";
  fs::create_directories(gen);
  for (auto [process, seed] : {std::pair{"ttbar", 1}, std::pair{"wjets", 2}, std::pair{"qcd", 3}}) {
    fs::path out = gen / (std::string(process) + ".root");
    if (fs::exists(out)) continue;
    auto made = run_command(std::string(TRIGML_CLI) + " generate --process " + process +
                            " --events 300 --seed " + std::to_string(seed) + " --out " + out.string());
    EXPECT_EQ(made.status, 0) << made.output;
  }
  return gen;
}

CommandResult ingest_classes(const std::string& qcd, const std::string& ttbar, const std::string& wjets,
                             const fs::path& out, const std::string& flags = "") {
  return run_command(std::string(TRIGML_CLI) + " ingest --class 'qcd=" + qcd + "' --class 'ttbar=" + ttbar +
                     "' --class 'wjets=" + wjets + "' --out " + out.string() + " --threads 2 " + flags);
}

TEST_F(Remote, IngestFromUrlsWritesTheRowsOfALocalIngest) {
  fs::path work = fs::temp_directory_path() / ("trigml-remote-ingest-" + std::to_string(::getpid()));
  fs::remove_all(work);
  const std::string cli = TRIGML_CLI;
  auto ingest = [&](const std::string& qcd, const std::string& ttbar, const std::string& wjets,
                    const fs::path& out) {
    auto r = ingest_classes(qcd, ttbar, wjets, out);
    EXPECT_EQ(r.status, 0) << r.output;
  };
  fs::path gen = generated_inputs();
  ingest((gen / "qcd.root").string(), (gen / "ttbar.root").string(), (gen / "wjets.root").string(),
         work / "local");
  const std::string local = dataset_rows(work / "local");
  ASSERT_GT(local.size(), 1000u);

  ingest(servers().root_url("gen/q*.root"), servers().root_url("gen/ttbar.root"),
         servers().root_url("gen/wjets.root"), work / "root");
  EXPECT_TRUE(dataset_rows(work / "root") == local) << "root:// ingest differs from the local one";
  auto sources = run_command(cli + " dump " + (work / "root").string() + " source_file --rows 0:1 --json");
  EXPECT_NE(sources.output.find(servers().root_url("gen/qcd.root")), std::string::npos) << sources.output;

  fs::path list = work / "wjets-list.txt";
  std::ofstream(list) << "# the W+jets inputs\n" << servers().https_url("gen/wjets.root") << "\n";
  ingest(servers().https_url("gen/qcd.root"), servers().https_url("gen/ttbar.root"), "@" + list.string(),
         work / "https");
  EXPECT_TRUE(dataset_rows(work / "https") == local) << "https:// ingest differs from the local one";

  // A dataset on a server, named by its directory URL: its manifest lists the parts.
  fs::copy(work / "local", servers().data() / "dataset",
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  EXPECT_TRUE(dataset_rows(servers().https_url("dataset/")) == local)
      << "the dataset reads otherwise over https://";
  EXPECT_TRUE(dataset_rows(servers().root_url("dataset/")) == local)
      << "the dataset reads otherwise over root://";
  fs::remove_all(work);
}

// An ingest whose server goes away fails naming the URL and leaves no manifest (the dataset does
// not look finished); once the server is back, --resume reads only what is missing and the rows
// are those of a local ingest. The timeouts and retries come from the command's flags.
TEST_F(Remote, AnIngestCutOffByItsServerResumesToTheRowsOfALocalIngest) {
  fs::path work = fs::temp_directory_path() / ("trigml-remote-resume-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path gen = generated_inputs();
  ASSERT_EQ(ingest_classes((gen / "qcd.root").string(), (gen / "ttbar.root").string(),
                           (gen / "wjets.root").string(), work / "local")
                .status,
            0);
  const std::string url = servers().root_url("gen/wjets.root");
  servers().stop_xrootd();
  auto start = std::chrono::steady_clock::now();
  auto cut = ingest_classes((gen / "qcd.root").string(), (gen / "ttbar.root").string(), url, work / "remote",
                            "--io-retries 2 --io-backoff-ms 100 --io-connect-timeout 2");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  servers().start_xrootd();
  EXPECT_NE(cut.status, 0) << cut.output;
  EXPECT_NE(cut.output.find(url), std::string::npos) << cut.output;
  EXPECT_NE(cut.output.find("after 3 attempts"), std::string::npos) << cut.output;
  EXPECT_LT(seconds, 60.0);
  EXPECT_FALSE(fs::exists(work / "remote" / "_manifest.json")) << "a failed ingest looks finished";
  auto resumed = ingest_classes((gen / "qcd.root").string(), (gen / "ttbar.root").string(), url,
                                work / "remote", "--resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_TRUE(dataset_rows(work / "remote") == dataset_rows(work / "local"))
      << "the resumed ingest differs from the local one";
  fs::remove_all(work);
}

// prepare, train and evaluate take dataset URLs: the same outputs as from the local directories.
TEST_F(Remote, PrepareTrainAndEvaluateReadDatasetsByUrl) {
  const std::string cli = TRIGML_CLI;
  if (run_command(cli + " --help").output.find("\n  train ") == std::string::npos)
    GTEST_SKIP() << "built without the networks (libtorch): no train subcommand";
  fs::path work = fs::temp_directory_path() / ("trigml-remote-train-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path gen = generated_inputs();
  fs::path ingested = servers().data() / "ingested";
  if (!fs::exists(ingested)) {
    auto r = ingest_classes((gen / "qcd.root").string(), (gen / "ttbar.root").string(),
                            (gen / "wjets.root").string(), work / "ingested");
    ASSERT_EQ(r.status, 0) << r.output;
    fs::copy(work / "ingested", ingested, fs::copy_options::recursive);
  }
  auto run = [&](const std::string& command) {
    auto r = run_command(cli + " " + command);
    EXPECT_EQ(r.status, 0) << command << "\n" << r.output;
  };
  const std::string prepare = " --seed 7 --test-fraction 0.3 --threads 1 --out ";
  run("prepare " + ingested.string() + prepare + (work / "prepared-local").string());
  run("prepare " + servers().https_url("ingested/") + prepare + (work / "prepared-remote").string());
  for (const char* split : {"train", "test"})
    EXPECT_TRUE(dataset_rows(work / "prepared-remote" / split) ==
                dataset_rows(work / "prepared-local" / split))
        << split << " differs when prepared from https://";

  fs::copy(work / "prepared-local", servers().data() / "prepared", fs::copy_options::recursive);
  const std::string train = " --model hlf --epochs 2 --batch-size 32 --seed 3 --out ";
  run("train " + (work / "prepared-local").string() + train + (work / "model-local").string());
  run("train " + servers().root_url("prepared") + train + (work / "model-remote").string());
  auto losses = [](const fs::path& history) {
    std::vector<double> out;
    std::ifstream in(history);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line).at("loss"));
    return out;
  };
  auto local_losses = losses(work / "model-local" / "history.jsonl");
  EXPECT_EQ(local_losses.size(), 2u);
  EXPECT_EQ(losses(work / "model-remote" / "history.jsonl"), local_losses) << "training from root:// differs";

  run("evaluate " + (work / "model-local").string() + " " + (work / "prepared-local").string() + " --out " +
      (work / "report-local").string());
  run("evaluate " + (work / "model-local").string() + " " + servers().https_url("prepared/") + " --out " +
      (work / "report-remote").string());
  auto metrics = [](const fs::path& report) {
    std::ifstream in(report / "metrics.json");
    auto j = nlohmann::json::parse(in);
    return j.at("auc").dump();
  };
  EXPECT_EQ(metrics(work / "report-remote"), metrics(work / "report-local"));
  fs::remove_all(work);
}

// `trigml inspect URL` reports what went over the network.
TEST_F(Remote, InspectShowsTheRequests) {
  fs::path file = kCorpus / "files" / "uproot-HZZ-zlib.root";
  if (!fs::exists(file)) GTEST_SKIP() << "corpus not found at " << kCorpus;
  copy_to_server(file);
  auto r =
      run_command(std::string(TRIGML_CLI) + " inspect " + servers().root_url(file.filename()) + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  auto info = nlohmann::json::parse(r.output);
  ASSERT_TRUE(info.contains("network")) << r.output;
  EXPECT_GE(info["network"]["requests"].get<int>(), 2);
  EXPECT_GT(info["network"]["bytes"].get<uint64_t>(), 0u);
  EXPECT_LT(info["network"]["bytes"].get<uint64_t>(), fs::file_size(file));
}

}  // namespace
