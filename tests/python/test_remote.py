"""trigml.open with an http:// URL: the same values as the local file, through trigml's HTTP byte
source (Range requests, several ranges in one multipart/byteranges answer). The server is Python's
own in a child process (so it never waits for a GIL that a trigml call holds), on 127.0.0.1 and a free port,
answering ranges as RFC 9110 says; the test stops it by its process id."""

import http.server
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trigml
from conftest import corpus_file


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves one file; answers `Range: bytes=a-b[,c-d...]` with 206 (multipart for several ranges)."""

    data = b""
    name = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != "/" + self.name:
            self.send_error(404)
            return
        ranges = re.fullmatch(r"bytes=(\d+-\d+(?:,\s*\d+-\d+)*)", self.headers.get("Range", ""))
        print("Range:", self.headers.get("Range"), flush=True)
        if not ranges:
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.data)))
            self.end_headers()
            self.wfile.write(self.data)
            return
        spans = []
        for part in ranges.group(1).split(","):
            first, last = (int(x) for x in part.strip().split("-"))
            spans.append((first, min(last, len(self.data) - 1)))
        self.send_response(206)
        if len(spans) == 1:
            first, last = spans[0]
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(self.data)}")
            self.send_header("Content-Length", str(last - first + 1))
            self.end_headers()
            self.wfile.write(self.data[first:last + 1])
            return
        boundary = "trigml-test-boundary"
        body = b"".join(
            f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Range: bytes {first}-{last}/{len(self.data)}\r\n\r\n".encode() + self.data[first:last + 1]
            for first, last in spans) + f"\r\n--{boundary}--\r\n".encode()
        self.send_header("Content-Type", f"multipart/byteranges; boundary={boundary}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(path):
    RangeHandler.data = Path(path).read_bytes()
    RangeHandler.name = Path(path).name
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    print("port:", server.server_port, flush=True)
    server.serve_forever()


@pytest.fixture
def served_file():
    path = corpus_file("uproot-HZZ-zlib.root")
    child = subprocess.Popen([sys.executable, __file__, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        port = child.stdout.readline().split()[1]
        yield path, f"http://127.0.0.1:{port}/{path.name}", child
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_an_http_url_reads_as_the_local_file(served_file):
    path, url, child = served_file
    local = trigml.open(str(path))["events"]
    remote = trigml.open(url)["events"]
    assert remote.num_entries == local.num_entries == 2421
    names = ["NJet", "Jet_Px", "Muon_E", "MET_px"]
    a, b = local.arrays(names), remote.arrays(names)
    assert np.array_equal(a["NJet"], b["NJet"]) and np.array_equal(a["MET_px"], b["MET_px"])
    for name in ("Jet_Px", "Muon_E"):
        assert np.array_equal(a[name].offsets, b[name].offsets)
        assert np.array_equal(a[name].content, b[name].content)
    child.terminate()
    requests = child.communicate(timeout=10)[0].splitlines()
    assert requests and all(r.startswith("Range: bytes=") for r in requests), requests


def test_a_missing_url_raises_a_trigml_error_naming_it(served_file):
    _, url, _ = served_file
    missing = url.rsplit("/", 1)[0] + "/no-such-file.root"
    with pytest.raises(trigml.Error) as caught:
        trigml.open(missing)
    assert "no-such-file.root" in str(caught.value)


if __name__ == "__main__":
    serve(sys.argv[1])
