#!/usr/bin/env python3
"""serve_idle.py - hold N idle keep-alive connections to `watchpost serve` (bench/serve_bench.sh).

usage: serve_idle.py HOST PORT N HOLD_S TOKEN

Opens N connections, from the loopback addresses 127.0.0.2, 127.0.0.3, ... at most PER_IP
(env, default 50) each, because the server allows serve.per_ip_connections (64) per client
address. On each it makes one authenticated request (GET /api/v1/me, HTTP/1.1 keep-alive) and
reads the whole answer, so every connection has been through a request, then leaves them all
open and idle. Prints "ready OK N" (OK: answered 200) once all are open, "done ALIVE N" after
HOLD_S seconds (ALIVE: connections the server had not closed), then closes them. HOLD_S should
stay below serve.timeout_s (30 s), after which the server drops idle connections.
Loopback only; standard library only.
"""
import os
import resource
import select
import socket
import sys
import time


def one(host, port, src, token):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((host, port))
    req = (f"GET /api/v1/me HTTP/1.1\r\nHost: {host}:{port}\r\n"
           f"Authorization: Bearer {token}\r\nConnection: keep-alive\r\n\r\n")
    s.sendall(req.encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed before the answer")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return s, status


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: serve_idle.py HOST PORT N HOLD_S TOKEN")
    host, port, n, hold, token = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    if not host.startswith("127."):
        sys.exit("serve_idle.py: loopback only")
    per_ip = int(os.environ.get("PER_IP", "50"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    socks, ok = [], 0
    for i in range(n):
        src = f"127.0.0.{2 + i // per_ip}"
        try:
            s, status = one(host, port, src, token)
        except OSError as e:
            print(f"serve_idle: connection {i} from {src}: {e}", file=sys.stderr)
            continue
        socks.append(s)
        ok += status == 200
    print(f"ready {ok} {n}", flush=True)
    time.sleep(hold)
    alive = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            alive += 1  # nothing to read: still open and idle
            continue
        try:
            alive += s.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            pass
    print(f"done {alive} {n}", flush=True)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
