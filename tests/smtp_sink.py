#!/usr/bin/env python3
"""smtp_sink.py PORTFILE OUTDIR - a minimal SMTP server on 127.0.0.1 for tests.

Binds an ephemeral port (written to PORTFILE), accepts any envelope, and writes each
message to OUTDIR/N.eml with the envelope in OUTDIR/N.env ("MAIL FROM:<...>" and one
"RCPT TO:<...>" per line). Data is stored as received (CRLF, dot-stuffing undone).
Answers 550 to RCPT TO:<reject@...> so tests can see a refusal. Stdlib only.
"""
import os
import socketserver
import sys

portfile, outdir = sys.argv[1], sys.argv[2]
count = [0]


class H(socketserver.StreamRequestHandler):
    def reply(self, s):
        self.wfile.write(s.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        env, rcpt = None, []
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            up = cmd.upper()
            if up.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif up.startswith("MAIL FROM:"):
                env, rcpt = cmd, []
                self.reply("250 ok")
            elif up.startswith("RCPT TO:"):
                if "<REJECT@" in up:
                    self.reply("550 5.1.1 no such user")
                else:
                    rcpt.append(cmd)
                    self.reply("250 ok")
            elif up == "DATA":
                self.reply("354 go on")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n":
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                count[0] += 1
                n = count[0]
                with open(os.path.join(outdir, "%d.eml" % n), "wb") as f:
                    f.write(b"".join(data))
                with open(os.path.join(outdir, "%d.env" % n), "w") as f:
                    f.write("\n".join([env or ""] + rcpt) + "\n")
                self.reply("250 2.0.0 queued as %d" % n)
            elif up == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


socketserver.TCPServer.allow_reuse_address = True
with socketserver.ThreadingTCPServer(("127.0.0.1", 0), H) as srv:
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()
