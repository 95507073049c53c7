#!/usr/bin/env python3
"""intel_gen.py - a deterministic set of N mixed indicators and lookup queries for
bench/intel_bench.sh.

    bench/intel_gen.py [--count N] [--queries Q] [--seed S] [--csv] OUT_DIR

Writes OUT_DIR/indicators.txt (a plain list, types inferred by the loader; with --csv a
"type,value,source" CSV instead) and OUT_DIR/queries.tsv ("kind<TAB>value<TAB>expect": kind
h/e/d/u/i, expect 1 for a value that must match, 0 for one that must not).

The mix, by share of N (numbers that resemble a CSIRT's combined feeds: hash lists are the
largest, then domains and URLs):
    sha256 25%, sha1 10%, md5 10%, domain 20%, url 15%, email 5%,
    IPv4 13% (every tenth a CIDR of /16 to /28), IPv6 2% (/48 to /128)
Values come from splitmix64 with the given seed (not Python's random module), so the same
arguments give byte-identical files on every Python 3. Half the queries are hits: a listed
value, a subdomain of a listed domain, an address inside a listed network, a URL or address
in another case. The other half are misses of the same shapes (other hashes, sibling
domains, unlisted addresses). Queries never depend on the order of the set.
"""
import argparse
import os
import sys

MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def hex(self, digits):
        out = ""
        while len(out) < digits:
            out += "%016x" % self.next()
        return out[:digits]


WORDS = ["secure", "login", "account", "verify", "update", "mail", "cdn", "pay", "bank",
         "cloud", "portal", "office", "docs", "share", "track", "invoice", "support", "id"]
TLDS = ["com", "net", "org", "info", "xyz", "top", "ru", "cn", "io", "biz", "online", "site"]
PATHS = ["index.php", "login.html", "wp-admin/x.php", "gate.php", "doc/invoice.zip",
         "files/update.exe", "verify", "signin/account", "a/b/c/d.js"]

# (kind, share in per mille)
MIX = [("sha256", 250), ("sha1", 100), ("md5", 100), ("domain", 200), ("url", 150),
       ("email", 50), ("ipv4", 130), ("ipv6", 20)]


def domain(r, i):
    # the index makes every generated name distinct; words make it look like a feed
    return "%s-%s%x.%s" % (WORDS[r.below(len(WORDS))], WORDS[r.below(len(WORDS))], i,
                           TLDS[r.below(len(TLDS))])


NETS = [0]  # IPv4 networks handed out so far


def make(kind, r, i):
    """One indicator: (csv type, value, a query that hits it, a query that misses)."""
    if kind in ("sha256", "sha1", "md5"):
        n = {"sha256": 64, "sha1": 40, "md5": 32}[kind]
        v = r.hex(n)
        return kind, v, ("h", v.upper()), ("h", r.hex(n))
    if kind == "domain":
        d = domain(r, i)
        return "domain", d, ("d", "www.a." + d), ("d", "not" + d)
    if kind == "url":
        d = domain(r, i)
        path = PATHS[r.below(len(PATHS))]
        v = "http://%s/%s?id=%d" % (d, path, r.below(100000))
        hit = "HTTP://%s:80/%s#frag" % (d.upper(), v.split("/", 3)[3])
        return "url", v, ("u", hit), ("u", v + "&x=1")
    if kind == "email":
        d = domain(r, i)
        user = "%s.%s%d" % (WORDS[r.below(len(WORDS))], WORDS[r.below(len(WORDS))], i)
        v = "%s@%s" % (user, d)
        return "email", v, ("e", v.upper()), ("e", "x" + v)
    if kind == "ipv4":
        # each indicator owns its own addresses, so no network covers another's miss query
        if i % 10 == 0:
            b = NETS[0]  # one /16 block per network, from 32.0.0.0 up (~13,000 at 1M)
            NETS[0] += 1
            if b >= 190 * 256:
                raise SystemExit("intel_gen: too many IPv4 networks for 32.0.0.0-221.255.0.0")
            base = ((32 + b // 256) << 24) | ((b % 256) << 16)
            plen = 16 + r.below(13)
            inside = base | r.below(1 << (32 - plen))
            return ("ip-dst", "%s/%d" % (ip4(base), plen), ("i", ip4(inside)),
                    ("i", "9.%d.%d.1" % (b >> 8 & 255, b & 255)))
        a = 0x0B000000 + i * 4  # 11.0.0.0 upwards, four addresses per indicator
        return "ip-dst", ip4(a), ("i", ip4(a)), ("i", ip4(a + 1))
    # ipv6: the index as two groups under a /16 per prefix length, so prefixes never nest
    hi, lo = i >> 16, i & 0xFFFF
    plen = [48, 56, 64, 128][r.below(4)]
    top = {48: "2c0f", 56: "2c0e", 64: "2c0d", 128: "2c0c"}[plen]
    miss = ("i", "2c0b:%x:%x::1" % (hi, lo))
    if plen == 128:
        v = "%s:%x:%x::1" % (top, hi, lo)
        return "ip-dst", v, ("i", v), miss
    hit = {48: "%s:%x:%x:1:2:3:4:77", 56: "%s:%x:%x:ab::77", 64: "%s:%x:%x:0:1:2:3:77"}[plen]
    return "ip-dst", "%s:%x:%x::/%d" % (top, hi, lo, plen), ("i", hit % (top, hi, lo)), miss


def ip4(a):
    return "%d.%d.%d.%d" % (a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--queries", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("out")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    r = SplitMix(a.seed)
    # the kind of indicator i: a fixed cycle of 1000 slots laid out by the shares
    cycle = [k for k, share in MIX for _ in range(share)]
    perm = list(range(1000))
    for j in range(999, 0, -1):  # Fisher-Yates with our own generator
        k = r.below(j + 1)
        perm[j], perm[k] = perm[k], perm[j]
    every = max(1, a.count // max(1, a.queries // 2))
    hits, misses = [], []
    with open(os.path.join(a.out, "indicators.txt"), "w") as out:
        if a.csv:
            out.write("type,value,source\n")
        for i in range(a.count):
            kind = cycle[perm[i % 1000]]
            t, v, hit, miss = make(kind, r, i)
            if a.csv:
                out.write("%s,%s,gen-%d\n" % (t, v, i % 16))
            else:
                out.write(v + "\n")
            if i % every == 0 and len(hits) < a.queries // 2:
                hits.append(hit)
                misses.append(miss)
    with open(os.path.join(a.out, "queries.tsv"), "w") as q:
        for (k, v) in hits:
            q.write("%s\t%s\t1\n" % (k, v))
        for (k, v) in misses:
            q.write("%s\t%s\t0\n" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
