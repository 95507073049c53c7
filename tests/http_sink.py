#!/usr/bin/env python3
"""http_sink.py PORTFILE OUT - a webhook receiver on 127.0.0.1 for tests.

Binds an ephemeral port (written to PORTFILE when ready) and appends every POST body, as one
line (newlines turned into spaces), to OUT; answers 200. Stdlib only.
"""
import http.server
import os
import sys

portfile, out = sys.argv[1], sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
