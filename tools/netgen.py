#!/usr/bin/env python3
"""netgen.py - realistic Zeek logs, with planted attacker behaviour, for tests and benchmarks.

Writes conn.log, dns.log, http.log, ssl.log and files.log in Zeek's TSV format (the
#separator/#set_separator/#empty_field/#unset_field/#path/#open/#fields/#types header and
#close trailer of a real Zeek 4-6 log) and, with --format json or both, the same records as
Zeek JSON lines. Python 3 standard library only; the same --seed gives byte-identical output.

Background: --hosts internal hosts (10.1.x.y) browse the web like people. Each host has
working hours and a few favourite sites (Zipf over ~100 popular domains); sessions arrive
as a Poisson process (much rarer at night), each session resolves the site's names through
the internal resolver (10.1.0.53, with a per-host TTL cache) and opens a burst of HTTPS or
HTTP connections seconds apart, to the site and its CDNs, with log-normal sizes and
durations. HTTPS connections get an ssl.log line (SNI, browser JA3/JA3S), HTTP ones an
http.log line (GET mostly, a few harmless form POSTs with post_body) and sometimes a
files.log line. Nothing in the background is periodic: whatever a beacon detector finds in
it is a false positive.

Planted behaviours (each may be repeated; HOST is an internal address, DST an address or a
host name, which is then resolved in dns.log and sent as SNI/Host):
  --beacon HOST:DST:INTERVAL:JITTER   an implant checking in every INTERVAL seconds, each
                                      sleep drawn uniformly in INTERVAL*(1 +- JITTER)
                                      (JITTER 0.2, 20 or 20%), requests of ~300 B +- 3 %
  --exfil HOST:DST:BYTES              an upload of BYTES (suffix K, M, G) at 60 % of the run,
                                      in connections of at most 50 MB
  --dns-tunnel HOST:DOMAIN            20 minutes of TXT/NULL queries with base32 labels under
                                      DOMAIN (dnscat2/iodine-like), from 40 % of the run
  --cred-post HOST:DST                a form POST of username/password to DST over HTTP
  --ioc-contact HOST:IP               three connections to IP (put IP in an indicator file)
What was planted, where and when, goes to planted.truth (JSON) in the output directory:
not a log name, so `watchpost ingest DIR` leaves it alone.

Time: --start (epoch seconds, default 1700000000) for --hours (default 24). Log time only;
the #open/#close stamps are derived from it, never from the clock.

Throughput runs: --lines N writes exactly N background conn.log lines (plus anything
planted), spread over --hours, and by default only conn.log (--logs selects others). This
path streams: memory does not grow with N. A million lines take about half a minute.

Examples:
  tools/netgen.py --out /tmp/site --hosts 50 --hours 24 --seed 7 \\
      --beacon 10.1.0.23:c2.bad-cdn.example:60:20% --dns-tunnel 10.1.0.31:tun.example.net \\
      --exfil 10.1.0.40:203.0.113.50:300M --cred-post 10.1.0.12:login-micros0ft.example
  tools/netgen.py --out /tmp/bench --lines 1000000 --hosts 500 --seed 1

docs/EGRESS.md ("Test data") describes the output in more detail.
"""

import argparse
import base64
import hashlib
import heapq
import json
import math
import os
import random
import re
import sys

# ---- Zeek layouts (field name, type), as Zeek writes them ----

CONN = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("service", "string"),
        ("duration", "interval"), ("orig_bytes", "count"), ("resp_bytes", "count"),
        ("conn_state", "string"), ("local_orig", "bool"), ("local_resp", "bool"),
        ("missed_bytes", "count"), ("history", "string"), ("orig_pkts", "count"),
        ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
        ("tunnel_parents", "set[string]")]
DNS = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
       ("id.resp_h", "addr"), ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"),
       ("rtt", "interval"), ("query", "string"), ("qclass", "count"), ("qclass_name", "string"),
       ("qtype", "count"), ("qtype_name", "string"), ("rcode", "count"),
       ("rcode_name", "string"), ("AA", "bool"), ("TC", "bool"), ("RD", "bool"), ("RA", "bool"),
       ("Z", "count"), ("answers", "vector[string]"), ("TTLs", "vector[interval]"),
       ("rejected", "bool")]
HTTP = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
        ("id.resp_h", "addr"), ("id.resp_p", "port"), ("trans_depth", "count"),
        ("method", "string"), ("host", "string"), ("uri", "string"), ("referrer", "string"),
        ("version", "string"), ("user_agent", "string"), ("origin", "string"),
        ("request_body_len", "count"), ("response_body_len", "count"),
        ("status_code", "count"), ("status_msg", "string"), ("info_code", "count"),
        ("info_msg", "string"), ("tags", "set[enum]"), ("username", "string"),
        ("password", "string"), ("proxied", "set[string]"), ("orig_fuids", "vector[string]"),
        ("orig_filenames", "vector[string]"), ("orig_mime_types", "vector[string]"),
        ("resp_fuids", "vector[string]"), ("resp_filenames", "vector[string]"),
        ("resp_mime_types", "vector[string]"), ("post_body", "string")]
SSL = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
       ("id.resp_h", "addr"), ("id.resp_p", "port"), ("version", "string"),
       ("cipher", "string"), ("curve", "string"), ("server_name", "string"),
       ("resumed", "bool"), ("last_alert", "string"), ("next_protocol", "string"),
       ("established", "bool"), ("cert_chain_fuids", "vector[string]"),
       ("client_cert_chain_fuids", "vector[string]"), ("subject", "string"),
       ("issuer", "string"), ("client_subject", "string"), ("client_issuer", "string"),
       ("validation_status", "string"), ("ja3", "string"), ("ja3s", "string")]
FILES = [("ts", "time"), ("fuid", "string"), ("tx_hosts", "set[addr]"),
         ("rx_hosts", "set[addr]"), ("conn_uids", "set[string]"), ("source", "string"),
         ("depth", "count"), ("analyzers", "set[string]"), ("mime_type", "string"),
         ("filename", "string"), ("duration", "interval"), ("local_orig", "bool"),
         ("is_orig", "bool"), ("seen_bytes", "count"), ("total_bytes", "count"),
         ("missing_bytes", "count"), ("overflow_bytes", "count"), ("timedout", "bool"),
         ("parent_fuid", "string"), ("md5", "string"), ("sha1", "string"),
         ("sha256", "string"), ("extracted", "string"), ("extracted_cutoff", "bool"),
         ("extracted_size", "count")]
LAYOUTS = {"conn": CONN, "dns": DNS, "http": HTTP, "ssl": SSL, "files": FILES}

# ---- the world ----

SITES = """google.com youtube.com facebook.com wikipedia.org amazon.com twitter.com
instagram.com linkedin.com reddit.com netflix.com microsoft.com office.com live.com
bing.com yahoo.com apple.com icloud.com github.com stackoverflow.com zoom.us slack.com
dropbox.com adobe.com salesforce.com paypal.com ebay.com cnn.com bbc.co.uk nytimes.com
theguardian.com weather.com espn.com imdb.com twitch.tv spotify.com pinterest.com
tumblr.com wordpress.com medium.com quora.com booking.com tripadvisor.com airbnb.com
etsy.com walmart.com target.com bestbuy.com homedepot.com ikea.com zillow.com indeed.com
glassdoor.com craigslist.org whatsapp.com telegram.org discord.com notion.so atlassian.net
trello.com asana.com figma.com canva.com mozilla.org python.org docker.com npmjs.com
gitlab.com bitbucket.org cloudflare.com akamai.com fastly.com digitalocean.com aws.amazon.com
azure.com okta.com duckduckgo.com wolframalpha.com khanacademy.org coursera.org udemy.com
duolingo.com nasa.gov noaa.gov who.int un.org europa.eu gov.uk bund.de lemonde.fr
spiegel.de elpais.com corriere.it nhk.or.jp naver.com baidu.com yandex.ru vk.com
aliexpress.com alibaba.com rakuten.co.jp mercadolibre.com.ar""".split()
SUBS = ["www", "www", "www", "static", "img", "api", "cdn", "assets", "login", "mail"]
SHARED_CDNS = ["cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fonts.googleapis.com",
               "fonts.gstatic.com", "ajax.googleapis.com", "www.googletagmanager.com",
               "connect.facebook.net", "static.cloudflareinsights.com", "code.jquery.com",
               "unpkg.com"]
BROWSER_JA3 = ["773906b0efdefa24a7f2b8eb6985bf37", "cd08e31494f9531f560d64c695473da9",
               "b32309a26951912be7dba376398abc3b"]
SERVER_JA3S = ["f4febc55ea12b31ae17cfb7e614afda8", "15af977ce25de452b96affa2addb1036",
               "ec74a5c51106f0419184d0dd08fb05bc"]
IMPLANT_JA3 = "72a589da586844d7f0818ce684948eea"
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.1 Safari/605.1.15"]
PATHS = ["/", "/index.html", "/search", "/news", "/article/{n}", "/static/app.{n}.js",
         "/img/{n}.jpg", "/api/v1/items/{n}", "/favicon.ico", "/login", "/watch?v={n}"]
RESOLVER = "10.1.0.53"
B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class World:
    """Deterministic names, addresses and identifiers from one random generator."""

    def __init__(self, rng):
        self.rng = rng
        self.ip_of = {}

    def uid(self, prefix="C"):
        return prefix + "".join(self.rng.choices(B62, k=17))

    def resolve(self, name):
        """A stable public address per name (never in reserved ranges)."""
        ip = self.ip_of.get(name)
        if ip is None:
            h = hashlib.sha256(name.encode()).digest()
            first = [23, 34, 45, 52, 54, 64, 66, 104, 142, 151, 157, 172, 185, 199, 208][h[0] % 15]
            if first == 172:
                first = 173  # stay out of 172.16/12
            ip = "%d.%d.%d.%d" % (first, h[1], h[2], 1 + h[3] % 254)
            self.ip_of[name] = ip
        return ip


def lognorm(rng, median, sigma):
    return median * math.exp(rng.gauss(0, sigma))


def parse_bytes(s):
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}
    s = s.strip().upper().rstrip("B")
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(float(s))


def parse_jitter(s):
    s = s.strip()
    if s.endswith("%"):
        return float(s[:-1]) / 100
    v = float(s)
    return v / 100 if v > 1 else v


# ---- output ----

_ESCAPE = re.compile(r"[\x00-\x1f\x7f\\]")


def _esc(s):
    """As Zeek: the separator and non-printables in strings as \\xHH, a backslash doubled."""
    s = str(s)
    if s == "":
        return "(empty)"
    if _ESCAPE.search(s) is None:
        return s
    return _ESCAPE.sub(lambda m: "\\\\" if m.group() == "\\" else "\\x%02x" % ord(m.group()), s)


def _fmt_for(ztype):
    """A formatter for one column type; None (unset) is "-" for every type."""
    if ztype in ("time", "interval"):
        return lambda v: "-" if v is None else "%.6f" % v
    if ztype == "bool":
        return lambda v: "-" if v is None else ("T" if v else "F")
    if ztype in ("count", "port", "int"):
        return lambda v: "-" if v is None else str(v)
    if ztype.startswith(("set[", "vector[")):
        inner = _fmt_for(ztype[ztype.index("[") + 1:-1])
        return lambda v: "-" if v is None else (",".join(inner(x) for x in v) if v else "(empty)")
    return lambda v: "-" if v is None else _esc(v)


CONN_LINE = "%.6f\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%.6f\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t(empty)\n"
FORMATTERS = {k: [_fmt_for(t) for _, t in layout] for k, layout in LAYOUTS.items()}


def fmt_json(path, row, layout, with_path):
    obj = {"_path": path} if with_path else {}
    for (name, ztype), v in zip(layout, row):
        if v is None:
            continue  # Zeek's JSON writer leaves unset fields out
        if ztype in ("time", "interval"):
            obj[name] = round(v, 6)
        else:
            obj[name] = v
    return json.dumps(obj, separators=(",", ":"))


class Writer:
    """One log per kind; rows arrive in time order from the merge below."""

    def __init__(self, outdir, kinds, fmt, start, with_path):
        self.files = {}
        self.kinds = kinds
        self.fmt = fmt
        self.with_path = with_path
        self.counts = {k: 0 for k in LAYOUTS}
        stamp = fmt_open(start)
        for k in kinds:
            layout = LAYOUTS[k]
            if fmt in ("tsv", "both"):
                f = open(os.path.join(outdir, k + ".log"), "w", encoding="utf-8", newline="\n")
                f.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                        "#unset_field\t-\n#path\t%s\n#open\t%s\n" % (k, stamp))
                f.write("#fields\t" + "\t".join(n for n, _ in layout) + "\n")
                f.write("#types\t" + "\t".join(t for _, t in layout) + "\n")
                self.files[(k, "tsv")] = f
            if fmt in ("json", "both"):
                sub = outdir if fmt == "json" else os.path.join(outdir, "json")
                os.makedirs(sub, exist_ok=True)
                self.files[(k, "json")] = open(os.path.join(sub, k + ".log"), "w",
                                               encoding="utf-8", newline="\n")

    def write(self, kind, row):
        if kind not in self.kinds:
            return
        self.counts[kind] += 1
        layout = LAYOUTS[kind]
        f = self.files.get((kind, "tsv"))
        if f is not None and kind == "conn" and None not in row[8:11] and not row[20]:
            # the throughput path: a conn line without unset values, formatted in one go
            f.write(CONN_LINE % (row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                 row[7] or "-", row[8], row[9], row[10], row[11],
                                 "T" if row[12] else "F", "T" if row[13] else "F", row[14],
                                 row[15], row[16], row[17], row[18], row[19]))
        elif f is not None:
            f.write("\t".join([fm(v) for fm, v in zip(FORMATTERS[kind], row)]) + "\n")
        f = self.files.get((kind, "json"))
        if f is not None:
            f.write(fmt_json(kind, row, layout, self.with_path) + "\n")

    def close(self, end):
        stamp = fmt_open(end)
        for (k, form), f in self.files.items():
            if form == "tsv":
                f.write("#close\t%s\n" % stamp)
            f.close()


def fmt_open(ts):
    # Zeek's #open/#close: local time of the sensor; UTC here, so output is reproducible
    days = int(ts // 86400)
    secs = int(ts - days * 86400)
    y, m, d = civil_from_days(days)
    return "%04d-%02d-%02d-%02d-%02d-%02d" % (y, m, d, secs // 3600, secs // 60 % 60, secs % 60)


def civil_from_days(z):
    """Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant)."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + (m <= 2), m, d)


# ---- rows ----

class Gen:
    def __init__(self, world, rng):
        self.w = world
        self.rng = rng
        self.seq = 0
        self.heap = []  # (ts, seq, kind, row)
        self.budget = None  # background conn lines still to make (--lines), None: no limit

    def push(self, kind, row):
        self.seq += 1
        heapq.heappush(self.heap, (row[0], self.seq, kind, row))

    def conn(self, ts, src, dst, dport, service, orig, resp, dur, proto="tcp", state="SF",
             uid=None):
        r = self.rng
        uid = uid or self.w.uid()
        sport = r.randrange(49152, 65535)
        opk = max(1, orig // 1200 + r.randrange(2, 6)) if orig is not None else None
        rpk = max(1, resp // 1400 + r.randrange(2, 6)) if resp is not None else None
        hist = "ShADadFf" if proto == "tcp" and state == "SF" else ("Dd" if proto == "udp" else "S")
        if self.budget is not None:
            self.budget -= 1
        self.push("conn", [ts, uid, src, sport, dst, dport, proto, service, dur, orig, resp,
                           state, True, False, 0, hist, opk,
                           None if orig is None else orig + 40 * opk, rpk,
                           None if resp is None else resp + 40 * rpk, []])
        return uid, sport

    def dns(self, ts, src, query, qtype="A", answers=None, rcode="NOERROR", ttl=300.0):
        r = self.rng
        qt = {"A": 1, "AAAA": 28, "TXT": 16, "NULL": 10, "CNAME": 5, "MX": 15, "PTR": 12}[qtype]
        rc = {"NOERROR": 0, "NXDOMAIN": 3}[rcode]
        uid, sport = self.conn(ts, src, RESOLVER, 53, "dns", len(query) + 17,
                               60 + 16 * len(answers or []), r.uniform(0.002, 0.08),
                               proto="udp", state="SF")
        self.push("dns", [ts, uid, src, sport, RESOLVER, 53, "udp", r.randrange(65536),
                          r.uniform(0.002, 0.08), query, 1, "C_INTERNET", qt, qtype, rc, rcode,
                          False, False, True, True, 0, answers or [],
                          [ttl] * len(answers or []), False])

    def ssl(self, ts, uid, src, sport, dst, sni, ja3, ja3s):
        r = self.rng
        self.push("ssl", [ts + 0.03, uid, src, sport, dst, 443,
                          r.choice(["TLSv13", "TLSv13", "TLSv12"]),
                          "TLS_AES_128_GCM_SHA256", "x25519", sni, False, None,
                          "h2", True, [self.w.uid("F")], [],
                          "CN=%s" % sni if sni else None, "CN=R3,O=Let's Encrypt,C=US", None,
                          None, "ok", ja3, ja3s])

    def http(self, ts, uid, src, sport, dst, host, method, uri, status, req_len, resp_len,
             ua, post_body=None, mime="text/html"):
        fuid = self.w.uid("F") if resp_len else None
        self.push("http", [ts + 0.02, uid, src, sport, dst, 80, 1, method, host, uri, None,
                           "1.1", ua, None, req_len, resp_len, status,
                           {200: "OK", 304: "Not Modified", 404: "Not Found", 302: "Found"}
                           .get(status, "OK"), None, None, [], None, None, None,
                           [], [], [], [fuid] if fuid else [], [], [mime] if fuid else [],
                           post_body])
        return fuid

    def files(self, ts, fuid, tx, rx, uid, mime, fname, size):
        r = self.rng
        blob = r.getrandbits(256).to_bytes(32, "big")
        self.push("files", [ts + 0.05, fuid, [tx], [rx], [uid], "HTTP", 0,
                            ["MD5", "SHA1", "SHA256"], mime, fname, r.uniform(0.01, 2.0),
                            False, False, size, size, 0, 0, False, None,
                            hashlib.md5(blob).hexdigest(), hashlib.sha1(blob).hexdigest(),
                            hashlib.sha256(blob).hexdigest(), None, None, None])


# ---- background: people browsing ----

class Host:
    def __init__(self, rng, ip):
        self.ip = ip
        self.ua = rng.choice(UAS)
        self.ja3 = rng.choice(BROWSER_JA3)
        self.start_h = rng.uniform(7, 10)  # working hours, UTC for simplicity
        self.end_h = self.start_h + rng.uniform(7, 10)
        self.favs = rng.sample(SITES, 8)
        self.cache = {}  # name -> expiry


def session_rate(host, ts, base):
    """Sessions per second: busy in working hours, a trickle at night."""
    hour = (ts % 86400) / 3600
    return base if host.start_h <= hour < host.end_h else base * 0.08


def pick_site(rng, host):
    if rng.random() < 0.6:
        return host.favs[min(int(rng.paretovariate(1.2)) - 1, 7)]
    return SITES[min(int(rng.paretovariate(0.8)) - 1, len(SITES) - 1)]


def browse(g, rng, host, ts, only_conn):
    """One browsing session starting at ts (stops early when g.budget runs out)."""
    site = pick_site(rng, host)
    names = [rng.choice(SUBS) + "." + site for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        names.append(rng.choice(SHARED_CDNS))
    n_conn = max(1, int(lognorm(rng, 4, 0.7)))
    t = ts
    for i in range(n_conn):
        name = names[i % len(names)] if i else names[0]
        if not only_conn and host.cache.get(name, 0) < t and g.budget != 0:
            host.cache[name] = t + 300
            g.dns(t, host.ip, name, "A", [g.w.resolve(name)])
            t += rng.uniform(0.005, 0.05)
        if g.budget == 0:
            return
        dst = g.w.resolve(name)
        https = rng.random() < 0.85
        orig = int(lognorm(rng, 700 if https else 450, 0.8))
        resp = int(lognorm(rng, 18000, 1.6))
        dur = lognorm(rng, 1.5, 1.3)
        uid, sport = g.conn(t, host.ip, dst, 443 if https else 80, "ssl" if https else "http",
                            orig, resp, dur)
        if not only_conn:
            if https:
                g.ssl(t, uid, host.ip, sport, dst, name, host.ja3, rng.choice(SERVER_JA3S))
            else:
                post = rng.random() < 0.05
                uri = rng.choice(PATHS).format(n=rng.randrange(1, 99999))
                body = None
                if post:
                    body = rng.choice(["q=%s&page=%d" % (rng.choice(["shoes", "weather", "news"]),
                                                          rng.randint(1, 5)),
                                       "comment=nice+article&article=%d" % rng.randrange(9999),
                                       "email=%s%%40example.org&subscribe=1" %
                                       rng.choice(["ann", "bo", "cy"])])
                fuid = g.http(t, uid, host.ip, sport, dst, name, "POST" if post else "GET", uri,
                              rng.choice([200, 200, 200, 304, 404]),
                              len(body) if body else 0, resp, host.ua, body)
                if fuid and rng.random() < 0.3:
                    g.files(t, fuid, dst, host.ip, uid, "text/html", None, resp)
        t += rng.uniform(0.1, 8.0) if rng.random() < 0.8 else rng.uniform(10, 120)


# ---- planted behaviours ----

def split_spec(spec, n, flag):
    parts = spec.split(":")
    if len(parts) < n:
        sys.exit("netgen: %s wants %d colon-separated parts: %r" % (flag, n, spec))
    # a DST that is an IPv6 address has colons of its own: the last n-2 parts are the rest
    if len(parts) > n:
        parts = [parts[0], ":".join(parts[1:len(parts) - (n - 2)])] + parts[len(parts) - (n - 2):]
    return parts


def is_ip(s):
    return all(c in "0123456789." for c in s) or ":" in s


def target(g, dst):
    """(address, name or None) for a DST given as address or host name."""
    return (dst, None) if is_ip(dst) else (g.w.resolve(dst), dst)


def plant_beacon(g, rng, spec, start, end, truth):
    host, dst, interval, jitter = split_spec(spec, 4, "--beacon")
    interval, jitter = float(interval), parse_jitter(jitter)
    ip, name = target(g, dst)
    t = start + rng.uniform(0, interval)
    first, n, next_dns = t, 0, 0
    while t < end:
        if name and t >= next_dns:
            g.dns(t - 0.05, host, name, "A", [ip])
            next_dns = t + 300
        orig = int(300 * rng.uniform(0.97, 1.03))
        uid, sport = g.conn(t, host, ip, 443, "ssl", orig, int(180 * rng.uniform(0.97, 1.03)),
                            rng.uniform(0.15, 0.6))
        g.ssl(t, uid, host, sport, ip, name, IMPLANT_JA3, SERVER_JA3S[0])
        n += 1
        last = t
        t += interval * rng.uniform(1 - jitter, 1 + jitter)
    truth.append({"behaviour": "beacon", "host": host, "dst": ip, "name": name,
                  "interval": interval, "jitter": jitter, "connections": n, "first_ts": first,
                  "last_ts": last, "expect": ["NET_BEACON"]})


def plant_exfil(g, rng, spec, start, end, truth):
    host, dst, size = split_spec(spec, 3, "--exfil")
    total = parse_bytes(size)
    ip, name = target(g, dst)
    t = start + 0.6 * (end - start)
    first = t
    if name:
        g.dns(t - 0.1, host, name, "A", [ip])
    left = total
    while left > 0:
        chunk = min(left, 50 * 10**6)
        dur = chunk / rng.uniform(2e6, 8e6)
        uid, sport = g.conn(t, host, ip, 443, "ssl", chunk, int(chunk * 0.002), dur)
        g.ssl(t, uid, host, sport, ip, name, rng.choice(BROWSER_JA3), SERVER_JA3S[1])
        left -= chunk
        t += dur + rng.uniform(1, 20)
    truth.append({"behaviour": "exfil", "host": host, "dst": ip, "name": name, "bytes": total,
                  "first_ts": first, "last_ts": t,
                  "expect": ["NET_EXFIL_VOLUME", "NET_EXFIL_NEW_DEST"]})


def plant_tunnel(g, rng, spec, start, end, truth):
    host, domain = split_spec(spec, 2, "--dns-tunnel")
    t = start + 0.4 * (end - start)
    first, stop, n = t, t + 1200, 0
    while t < stop and t < end:
        payload = rng.getrandbits(8 * rng.randint(28, 36)).to_bytes(36, "big")[:rng.randint(28, 36)]
        label = base64.b32encode(payload).decode().rstrip("=").lower()
        labels = [label[i:i + 63] for i in range(0, len(label), 63)]
        qtype = rng.choice(["TXT", "TXT", "TXT", "NULL", "CNAME"])
        answer = base64.b32encode(rng.getrandbits(80).to_bytes(10, "big")).decode().lower()
        g.dns(t, host, ".".join(labels) + "." + domain, qtype,
              ["TXT 16 " + answer] if qtype == "TXT" else [], ttl=0.0)
        n += 1
        t += rng.uniform(0.3, 2.0)
    truth.append({"behaviour": "dns-tunnel", "host": host, "domain": domain, "queries": n,
                  "first_ts": first, "last_ts": t, "expect": ["NET_DNS_TUNNEL"]})


def plant_cred(g, rng, spec, start, end, truth):
    host, dst = split_spec(spec, 2, "--cred-post")
    ip, name = target(g, dst)
    t = start + 0.5 * (end - start)
    if name:
        g.dns(t - 0.2, host, name, "A", [ip])
    body = "username=jdoe%40corp.example&password=Summer2024%21&remember=1"
    uid, sport = g.conn(t, host, ip, 80, "http", 400 + len(body), 3200, 0.4)
    g.http(t, uid, host, sport, ip, name or ip, "POST", "/account/login.php", 302, len(body),
           0, UAS[0], body)
    truth.append({"behaviour": "cred-post", "host": host, "dst": ip, "name": name,
                  "first_ts": t, "last_ts": t, "expect": ["NET_CRED_POST"]})


def plant_ioc(g, rng, spec, start, end, truth):
    host, ip = split_spec(spec, 2, "--ioc-contact")
    t = start + 0.3 * (end - start)
    first = t
    for _ in range(3):
        g.conn(t, host, ip, rng.choice([443, 8080]), None, rng.randint(200, 2000),
               rng.randint(200, 5000), rng.uniform(0.1, 5))
        t += rng.uniform(30, 900)
    truth.append({"behaviour": "ioc-contact", "host": host, "dst": ip, "first_ts": first,
                  "last_ts": t, "expect": ["NET_IOC_IP"]})


# ---- main ----

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=".", help="output directory (created)")
    ap.add_argument("--hosts", type=int, default=20, help="internal hosts browsing")
    ap.add_argument("--start", type=float, default=1700000000.0, help="first ts (epoch)")
    ap.add_argument("--hours", type=float, default=24.0, help="span of the logs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lines", type=int, default=0,
                    help="exactly N background conn.log lines (throughput runs)")
    ap.add_argument("--logs", default=None,
                    help="logs to write, comma-separated (default: all; conn with --lines)")
    ap.add_argument("--format", choices=["tsv", "json", "both"], default="tsv")
    ap.add_argument("--json-path", action="store_true",
                    help='add "_path" to JSON lines (as Kafka/syslog exporters do)')
    ap.add_argument("--beacon", action="append", default=[], metavar="HOST:DST:INTERVAL:JITTER")
    ap.add_argument("--exfil", action="append", default=[], metavar="HOST:DST:BYTES")
    ap.add_argument("--dns-tunnel", action="append", default=[], metavar="HOST:DOMAIN")
    ap.add_argument("--cred-post", action="append", default=[], metavar="HOST:DST")
    ap.add_argument("--ioc-contact", action="append", default=[], metavar="HOST:IP")
    a = ap.parse_args(argv)
    if a.hosts < 1 or a.hours <= 0 or a.lines < 0:
        sys.exit("netgen: --hosts >= 1, --hours > 0 and --lines >= 0 please")
    kinds = set((a.logs or ("conn" if a.lines else ",".join(LAYOUTS))).split(","))
    bad = kinds - set(LAYOUTS)
    if bad:
        sys.exit("netgen: unknown log(s) %s; known: %s" % (",".join(sorted(bad)),
                                                            ",".join(LAYOUTS)))
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    world = World(rng)
    g = Gen(world, rng)
    start, end = a.start, a.start + a.hours * 3600
    truth = []
    for spec in a.beacon:
        plant_beacon(g, rng, spec, start, end, truth)
    for spec in a.exfil:
        plant_exfil(g, rng, spec, start, end, truth)
    for spec in a.dns_tunnel:
        plant_tunnel(g, rng, spec, start, end, truth)
    for spec in a.cred_post:
        plant_cred(g, rng, spec, start, end, truth)
    for spec in a.ioc_contact:
        plant_ioc(g, rng, spec, start, end, truth)

    hosts = [Host(rng, "10.1.%d.%d" % (i // 200, 10 + i % 200)) for i in range(a.hosts)]
    only_conn = kinds == {"conn"}
    # sessions per host per second in working hours: ~6 an hour; with --lines, as many as
    # spread N lines over the span (a session makes ~4.5 conn lines, ~30 % of the day busy)
    base = 6 / 3600.0
    if a.lines:
        base = a.lines / (a.hosts * 4.5 * a.hours * 3600 * 0.4)
    nxt = []
    for i, h in enumerate(hosts):
        heapq.heappush(nxt, (start + rng.expovariate(session_rate(h, start, base)), i))
    w = Writer(a.out, kinds, a.format, start, a.json_path)
    g.budget = a.lines if a.lines else None
    while nxt:
        ts, i = heapq.heappop(nxt)
        if g.budget == 0 or (not a.lines and ts >= end):
            break
        # a session only adds rows at or after its start: everything earlier is final
        while g.heap and g.heap[0][0] < ts:
            _, _, kind, row = heapq.heappop(g.heap)
            w.write(kind, row)
        browse(g, rng, hosts[i], ts, only_conn)
        heapq.heappush(nxt, (ts + rng.expovariate(session_rate(hosts[i], ts, base)), i))
    while g.heap:
        _, _, kind, row = heapq.heappop(g.heap)
        w.write(kind, row)
    last = max(end, a.start)
    w.close(last)
    with open(os.path.join(a.out, "planted.truth"), "w", encoding="utf-8") as f:
        json.dump({"seed": a.seed, "start": start, "hours": a.hours, "hosts": a.hosts,
                   "lines": w.counts, "planted": truth}, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.stderr.write("netgen: %s in %s\n" % (", ".join("%s.log %d" % (k, w.counts[k])
                                                       for k in LAYOUTS if k in kinds), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
