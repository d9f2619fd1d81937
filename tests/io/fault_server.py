"""An HTTP server on 127.0.0.1 that misbehaves on purpose, for the fault tests of the HTTP source.

Usage: fault_server.py PORT. Files are virtual, of the size in their path:
  /short/SIZE  answers one-byte probes properly, and any longer range with half of its bytes, then
               closes the connection (a short read);
  /stall/SIZE  answers one-byte probes properly, and then never answers (a stalled server).
"""
import re
import socketserver
import sys
import threading
import time


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            request = self.rfile.readline()
            if not request:
                return
            headers = {}
            while True:
                line = self.rfile.readline().decode("latin-1").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            match = re.match(r"GET /(short|stall)/(\d+)", request.decode("latin-1"))
            ranges = re.match(r"bytes=(\d+)-(\d+)$", headers.get("range", ""))
            if not match or not ranges:
                self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            mode, size = match.group(1), int(match.group(2))
            first, last = int(ranges.group(1)), int(ranges.group(2))
            length = last - first + 1
            head = (f"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {first}-{last}/{size}\r\n"
                    f"Content-Length: {length}\r\n\r\n").encode()
            if length == 1:
                self.wfile.write(head + b"x")
                continue
            if mode == "stall":
                time.sleep(3600)
                return
            self.wfile.write(head + b"x" * (length // 2))
            self.wfile.flush()
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", int(sys.argv[1])), Handler) as server:
        server.serve_forever()
