#!/usr/bin/env python3
"""tabulate.py WORKDIR - the quality report of bench/quality, as Markdown, then a summary.

Reads what bench/quality left in WORKDIR (python3 standard library only):
  meta.tsv            key<TAB>value: date, commit, machine, command, versions, states
  sets.tsv            i<TAB>label<TAB>name<TAB>dir<TAB>n<TAB>rspamd answers<TAB>sa answers
  lists/I.tsv         set I's messages, "relative path<TAB>size"; line n = message n
  wp/all.jsonl        watchpost scan --json over wp/all/I/n.eml (classifier off, every message)
  wp/eval.jsonl       the same over wp/eval/I/n.eml (classifier on, EVAL half), if it ran
  wp/*.time           "user sys wall" seconds of those runs (GNU time), wp/learn.time
  peers: the answer files named in sets.tsv ("relative path<TAB>answer"), and the rspamd CPU
  line file named in meta.tsv (rspamd_cpu_file)

Definitions (also printed with the report):
  watchpost flagged            verdict.class != clean
  watchpost phishing-or-worse  verdict.class in phishing, malware, targeted
  rspamd flagged               action in "add header", "rewrite subject", "reject"
                               (not "greylist", "soft reject", "no action")
  SpamAssassin flagged         score >= threshold (spamc -c "score/threshold"); "0/0" = no answer
A message without an answer from a tool counts as not flagged and is listed as "no answer".
"""
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split import is_train  # noqa: E402  (same directory; one definition of the split)

CLASSES = ["clean", "spam", "phishing", "malware", "targeted"]
WORSE = {"phishing", "malware", "targeted"}
LABELS = ["phish", "spam", "ham"]
LABEL_NAME = {"phish": "phishing", "spam": "spam", "ham": "legitimate (ham)"}
RSPAMD_FLAG = {"add header", "rewrite subject", "reject"}
SOURCE_RE = re.compile(r"/wp/(all|eval)/(\d+)/(\d+)\.eml(?:#\d+)?$")

# targets of the issue
TARGET_PHISH = 95.0
TARGET_FP = 0.5
TARGET_CPU_RATIO = 10.0


def read_tsv(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


class Set:
    def __init__(self, row, work):
        self.i, self.label, self.name, self.dir = int(row[0]), row[1], row[2], row[3]
        self.n = int(row[4])
        self.rspamd_file, self.sa_file = row[5], row[6]
        self.rel = [r[0] for r in read_tsv(os.path.join(work, "lists", "%d.tsv" % self.i))]
        self.train = [is_train(r) for r in self.rel]  # index n-1
        self.wp = {"all": {}, "eval": {}}  # run -> n -> json object
        self.rspamd = self._answers(self.rspamd_file)
        self.sa = self._answers(self.sa_file)

    def _answers(self, path):
        if not path or path == "-" or not os.path.isfile(path):
            return None
        index = {rel: n for n, rel in enumerate(self.rel, 1)}
        out = {}
        for row in read_tsv(path):
            if len(row) >= 2 and row[0] in index:
                out[index[row[0]]] = row[1].strip()
        return out

    def members(self, part):
        """message numbers of ALL, TRAIN or EVAL"""
        return [n for n in range(1, self.n + 1)
                if part == "all" or self.train[n - 1] == (part == "train")]


def load_jsonl(path, sets, run):
    bad = 0
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1
                continue
            m = SOURCE_RE.search(obj.get("source", ""))
            if not m or m.group(1) != run:
                bad += 1
                continue
            i, n = int(m.group(2)), int(m.group(3))
            if i in sets:
                sets[i].wp[run][n] = obj
    return bad


def wp_class(obj):
    if obj is None:
        return None
    v = obj.get("verdict")
    return v.get("class") if isinstance(v, dict) else None


def rspamd_flag(ans):
    return ans is not None and ans in RSPAMD_FLAG


def sa_flag(ans):
    if not ans or "/" not in ans:
        return False
    try:
        score, thr = (float(x) for x in ans.split("/", 1))
    except ValueError:
        return False
    return thr > 0 and score >= thr


def sa_answered(ans):
    return bool(ans) and "/" in ans and not ans.endswith("/0") and not ans.endswith("/0.0")


def pct(k, n):
    return 100.0 * k / n if n else float("nan")


def cell(k, n):
    return "%.1f%% (%d)" % (pct(k, n), k) if n else "–"


def cell_fp(k, n):
    return "%.2f%% (%d)" % (pct(k, n), k) if n else "–"


def counts(s, run, members):
    """per-message outcomes of one set over the given members"""
    c = collections.Counter()
    for n in members:
        cls = wp_class(s.wp[run].get(n))
        if cls is None:
            c["wp_missing"] += 1
        else:
            c["wp_cls_" + cls] += 1
            if cls != "clean":
                c["wp_flag"] += 1
            if cls in WORSE:
                c["wp_worse"] += 1
        if s.rspamd is not None:
            a = s.rspamd.get(n)
            c["r_missing"] += a is None
            c["r_flag"] += rspamd_flag(a)
        if s.sa is not None:
            a = s.sa.get(n)
            c["sa_missing"] += not sa_answered(a)
            c["sa_flag"] += sa_flag(a)
    c["n"] = len(members)
    return c


def peer_cell(s, c, key, tool):
    if getattr(s, tool) is None:
        return "not run"
    return cell(c[key], c["n"])


def main(argv):
    work = argv[1]
    meta = {r[0]: (r[1] if len(r) > 1 else "") for r in read_tsv(os.path.join(work, "meta.tsv"))}
    sets = {}
    for row in read_tsv(os.path.join(work, "sets.tsv")):
        s = Set(row, work)
        sets[s.i] = s
    bad_all = load_jsonl(os.path.join(work, "wp", "all.jsonl"), sets, "all")
    bad_eval = load_jsonl(os.path.join(work, "wp", "eval.jsonl"), sets, "eval")
    bayes_ran = bad_eval is not None
    ordered = [sets[k] for k in sorted(sets)]
    by_label = {lab: [s for s in ordered if s.label == lab] for lab in LABELS}
    out = []
    p = out.append
    summary = collections.OrderedDict()

    p("## Run")
    p("")
    p("| | |")
    p("|---|---|")
    for key, title in [("date", "date (UTC)"), ("commit", "commit"), ("machine", "machine"),
                       ("command", "command"), ("watchpost", "watchpost binary"),
                       ("rspamd_version", "rspamd (Debian)"), ("sa_version", "SpamAssassin (Debian)"),
                       ("bayes", "learned classifier (Bayes)"), ("peers", "peers")]:
        if key in meta:
            p("| %s | %s |" % (title, meta[key].replace("|", "\\|")))
    p("")
    p("Flagged: watchpost `verdict.class` ≠ clean; rspamd action *add header*, *rewrite subject* "
      "or *reject* (not *greylist*); SpamAssassin score ≥ threshold (5.0). Phishing-or-worse: "
      "watchpost class phishing, malware or targeted (the peers have no such class). On "
      "legitimate mail every flag is a false positive.")
    p("")

    # ---------------------------------------------------------------- per-set table, all messages
    def set_table(run, part, title):
        p(title)
        p("")
        p("| set | label | n | watchpost flagged | watchpost phishing-or-worse | rspamd flagged "
          "| SpamAssassin flagged |")
        p("|---|---|---:|---:|---:|---:|---:|")
        totals = {}
        for lab in LABELS:
            tot = collections.Counter()
            for s in by_label[lab]:
                c = counts(s, run, s.members(part))
                tot.update(c)
                fmt = cell_fp if lab == "ham" else cell
                p("| %s | %s | %d | %s | %s | %s | %s |" % (
                    s.name, lab, c["n"], fmt(c["wp_flag"], c["n"]), fmt(c["wp_worse"], c["n"]),
                    fmt(c["r_flag"], c["n"]) if s.rspamd is not None else "not run",
                    fmt(c["sa_flag"], c["n"]) if s.sa is not None else "not run"))
            if len(by_label[lab]) > 1:
                fmt = cell_fp if lab == "ham" else cell
                peers_r = all(s.rspamd is not None for s in by_label[lab])
                peers_s = all(s.sa is not None for s in by_label[lab])
                p("| **all %s** | %s | %d | %s | %s | %s | %s |" % (
                    LABEL_NAME[lab], lab, tot["n"], fmt(tot["wp_flag"], tot["n"]),
                    fmt(tot["wp_worse"], tot["n"]),
                    fmt(tot["r_flag"], tot["n"]) if peers_r else "not run",
                    fmt(tot["sa_flag"], tot["n"]) if peers_s else "not run"))
            totals[lab] = tot
        p("")
        return totals

    totals_all = set_table("all", "all", "## Detection per set — classifier off, every message")

    # ---------------------------------------------------------------- classifier off vs on, EVAL
    totals_eval_off = totals_eval_on = None
    p("## Learned classifier off and on — EVAL half only")
    p("")
    p("Split (bench/quality.d/split.py, the rule of bench/bayes_split.sh): a message is TRAIN "
      "when the first hex digit of sha256(file name) is 0-7, EVAL when 8-f. Bayes is trained "
      "on the TRAIN half of every set (phishing and spam as spam, legitimate mail as ham) and "
      "evaluated on the EVAL half only; the off column is the same EVAL messages from the "
      "classifier-off run.")
    p("")
    if not bayes_ran:
        p("Classifier-on run: %s." % meta.get("bayes", "not run"))
        p("")
    else:
        p("| set | label | n (EVAL) | flagged off | flagged on | phishing-or-worse off "
          "| phishing-or-worse on | rspamd flagged | SpamAssassin flagged |")
        p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        totals_eval_off, totals_eval_on = {}, {}
        for lab in LABELS:
            toff, ton = collections.Counter(), collections.Counter()
            fmt = cell_fp if lab == "ham" else cell
            rows = list(by_label[lab])
            for s in rows:
                mem = s.members("eval")
                coff, con = counts(s, "all", mem), counts(s, "eval", mem)
                toff.update(coff)
                ton.update(con)
                p("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                    s.name, lab, coff["n"], fmt(coff["wp_flag"], coff["n"]),
                    fmt(con["wp_flag"], con["n"]), fmt(coff["wp_worse"], coff["n"]),
                    fmt(con["wp_worse"], con["n"]),
                    fmt(coff["r_flag"], coff["n"]) if s.rspamd is not None else "not run",
                    fmt(coff["sa_flag"], coff["n"]) if s.sa is not None else "not run"))
            if len(rows) > 1:
                p("| **all %s** | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                    LABEL_NAME[lab], lab, toff["n"], fmt(toff["wp_flag"], toff["n"]),
                    fmt(ton["wp_flag"], ton["n"]), fmt(toff["wp_worse"], toff["n"]),
                    fmt(ton["wp_worse"], ton["n"]), fmt(toff["r_flag"], toff["n"]),
                    fmt(toff["sa_flag"], toff["n"])))
            totals_eval_off[lab], totals_eval_on[lab] = toff, ton
        p("")

    # ---------------------------------------------------------------- false positives
    p("## False positives on legitimate mail")
    p("")
    p("| tool | messages | flagged | rate | target < %.1f%% |" % TARGET_FP)
    p("|---|---:|---:|---:|---|")
    ham = totals_all["ham"]
    ham_sets = by_label["ham"]
    fp_rows = [("watchpost (classifier off, all)", ham["n"], ham["wp_flag"])]
    if bayes_ran:
        fp_rows.append(("watchpost (classifier off, EVAL)", totals_eval_off["ham"]["n"],
                        totals_eval_off["ham"]["wp_flag"]))
        fp_rows.append(("watchpost (classifier on, EVAL)", totals_eval_on["ham"]["n"],
                        totals_eval_on["ham"]["wp_flag"]))
    if ham_sets and all(s.rspamd is not None for s in ham_sets):
        fp_rows.append(("rspamd (all)", ham["n"], ham["r_flag"]))
    if ham_sets and all(s.sa is not None for s in ham_sets):
        fp_rows.append(("SpamAssassin (all)", ham["n"], ham["sa_flag"]))
    for name, n, k in fp_rows:
        ok = "met" if n and pct(k, n) < TARGET_FP else "missed"
        p("| %s | %d | %d | %.2f%% | %s |" % (name, n, k, pct(k, n), ok if n else "–"))
    p("")

    # ---------------------------------------------------------------- confusion matrices
    def confusion(run, part, title):
        p(title)
        p("")
        p("| true label \\ watchpost class | " + " | ".join(CLASSES) + " | no output | n |")
        p("|---|" + "---:|" * (len(CLASSES) + 2))
        for lab in LABELS:
            tot = collections.Counter()
            for s in by_label[lab]:
                tot.update(counts(s, run, s.members(part)))
            if not tot["n"]:
                continue
            p("| %s | " % LABEL_NAME[lab] +
              " | ".join("%d" % tot["wp_cls_" + c] for c in CLASSES) +
              " | %d | %d |" % (tot["wp_missing"], tot["n"]))
        p("")

    confusion("all", "all", "## Confusion matrix — classifier off, every message")
    if bayes_ran:
        confusion("all", "eval", "## Confusion matrix — classifier off, EVAL half")
        confusion("eval", "eval", "## Confusion matrix — classifier on, EVAL half")

    # ---------------------------------------------------------------- CPU
    def read_time(name):
        path = os.path.join(work, "wp", name + ".time")
        try:
            with open(path) as f:  # GNU time may put "Command exited with ..." first
                u, s_, w = (float(x) for x in f.read().strip().splitlines()[-1].split()[:3])
            return u + s_, w
        except (OSError, ValueError):
            return None

    n_all = sum(s.n for s in ordered)
    n_eval = sum(len(s.members("eval")) for s in ordered)
    n_train = n_all - n_eval
    p("## CPU per message")
    p("")
    p("watchpost: user+system CPU of the `watchpost scan --json -j%s` process over all its "
      "messages, start-up (rule compilation, configuration) included. rspamd: CPU of all rspamd "
      "processes during the scan of the same messages, from ../shared/peers/rspamd_cpu_per_msg.sh "
      "(start-up and a 50-message warm-up excluded; network modules off, as offline). Both are "
      "taken after the peers' answers are in, one tool at a time; 10 ms resolution."
      % meta.get("jobs", "?"))
    p("")
    p("| run | messages | CPU s | CPU ms/msg | wall s |")
    p("|---|---:|---:|---:|---:|")
    t_all = read_time("all")
    wp_ms = None
    if t_all:
        wp_ms = 1000.0 * t_all[0] / n_all
        p("| watchpost, classifier off | %d | %.2f | %.3f | %.2f |" % (n_all, t_all[0], wp_ms, t_all[1]))
        summary["wp_cpu_ms_per_msg"] = "%.3f" % wp_ms
    t_one = read_time("one")
    wp_ms_warm = None
    if t_one and t_all and n_all > 1:
        p("| watchpost, one message (start-up) | 1 | %.2f | %.3f | %.2f |" % (
            t_one[0], 1000.0 * t_one[0], t_one[1]))
        wp_ms_warm = 1000.0 * max(t_all[0] - t_one[0], 0.0) / (n_all - 1)
        p("| watchpost, classifier off, start-up excluded | %d | %.2f | %.3f | |" % (
            n_all - 1, max(t_all[0] - t_one[0], 0.0), wp_ms_warm))
        summary["wp_startup_cpu_ms"] = "%.1f" % (1000.0 * t_one[0])
    t_eval = read_time("eval")
    if t_eval and n_eval:
        p("| watchpost, classifier on (EVAL) | %d | %.2f | %.3f | %.2f |" % (
            n_eval, t_eval[0], 1000.0 * t_eval[0] / n_eval, t_eval[1]))
        summary["wp_bayes_cpu_ms_per_msg"] = "%.3f" % (1000.0 * t_eval[0] / n_eval)
    t_learn = read_time("learn")
    if t_learn and n_train:
        p("| watchpost learn (TRAIN) | %d | %.2f | %.3f | %.2f |" % (
            n_train, t_learn[0], 1000.0 * t_learn[0] / n_train, t_learn[1]))
    r_ms = None
    cpu_file = meta.get("rspamd_cpu_file", "")
    if cpu_file and os.path.isfile(cpu_file):
        with open(cpu_file) as f:
            line = f.read()
        m = re.search(r"messages (\d+) scanned (\d+) wall_s ([\d.]+) cpu_ms_per_msg ([\d.]+)", line)
        if m:
            r_ms = float(m.group(4))
            scanned = int(m.group(2))
            p("| rspamd 3.4 (offline recipe) | %d | %.2f | %.3f | %s |" % (
                scanned, r_ms * scanned / 1000.0, r_ms, m.group(3)))
            summary["rspamd_cpu_ms_per_msg"] = "%.3f" % r_ms
    p("")
    ratio = None
    if wp_ms and r_ms:
        ratio = r_ms / wp_ms
        p("rspamd CPU ÷ watchpost CPU (classifier off): **%.1f×** with watchpost's start-up "
          "included (the target's reading, target ≥ %.0f×)" % (ratio, TARGET_CPU_RATIO) +
          ("; %.1f× with it excluded, like rspamd's figure." % (r_ms / wp_ms_warm)
           if wp_ms_warm else "."))
        summary["cpu_ratio_rspamd_over_wp"] = "%.2f" % ratio
        if wp_ms_warm:
            summary["cpu_ratio_rspamd_over_wp_excl_startup"] = "%.2f" % (r_ms / wp_ms_warm)
    else:
        p("rspamd CPU ÷ watchpost CPU: not measured (rspamd not run).")
    p("")

    # ---------------------------------------------------------------- targets
    p("## Targets (default configuration)")
    p("")
    p("| target | measured | |")
    p("|---|---|---|")

    def verdict(ok):
        return "met" if ok else "**missed**"

    for s in by_label["phish"]:
        c = counts(s, "all", s.members("all"))
        rates = [("watchpost", pct(c["wp_flag"], c["n"]))]
        if s.rspamd is not None:
            rates.append(("rspamd", pct(c["r_flag"], c["n"])))
        if s.sa is not None:
            rates.append(("SpamAssassin", pct(c["sa_flag"], c["n"])))
        beats = all(rates[0][1] > r for _, r in rates[1:])
        p("| %s: watchpost flagged above rspamd and SpamAssassin | %s | %s |" % (
            s.name, ", ".join("%s %.1f%%" % x for x in rates),
            verdict(beats) if len(rates) > 1 else "peers not run"))
        p("| %s: phishing flagged ≥ %.0f%% (aim) | flagged %.1f%%, phishing-or-worse %.1f%% | %s |" % (
            s.name, TARGET_PHISH, pct(c["wp_flag"], c["n"]), pct(c["wp_worse"], c["n"]),
            verdict(pct(c["wp_flag"], c["n"]) >= TARGET_PHISH)))
        key = re.sub(r"[^A-Za-z0-9]+", "_", s.name).strip("_")
        summary["phish_flagged_pct." + key] = "%.2f" % pct(c["wp_flag"], c["n"])
        summary["phish_worse_pct." + key] = "%.2f" % pct(c["wp_worse"], c["n"])
        if s.rspamd is not None:
            summary["rspamd_phish_flagged_pct." + key] = "%.2f" % pct(c["r_flag"], c["n"])
        if s.sa is not None:
            summary["sa_phish_flagged_pct." + key] = "%.2f" % pct(c["sa_flag"], c["n"])
    for s in by_label["spam"]:
        c = counts(s, "all", s.members("all"))
        key = re.sub(r"[^A-Za-z0-9]+", "_", s.name).strip("_")
        summary["spam_flagged_pct." + key] = "%.2f" % pct(c["wp_flag"], c["n"])
    if ham["n"]:
        p("| legitimate mail false positives < %.1f%% | %.2f%% (%d of %d) | %s |" % (
            TARGET_FP, pct(ham["wp_flag"], ham["n"]), ham["wp_flag"], ham["n"],
            verdict(pct(ham["wp_flag"], ham["n"]) < TARGET_FP)))
        summary["ham_fp_pct"] = "%.3f" % pct(ham["wp_flag"], ham["n"])
        if ham_sets and all(s.rspamd is not None for s in ham_sets):
            summary["rspamd_ham_fp_pct"] = "%.3f" % pct(ham["r_flag"], ham["n"])
        if ham_sets and all(s.sa is not None for s in ham_sets):
            summary["sa_ham_fp_pct"] = "%.3f" % pct(ham["sa_flag"], ham["n"])
    if bayes_ran:
        for s in by_label["phish"]:
            mem = s.members("eval")
            con, coff = counts(s, "eval", mem), counts(s, "all", mem)
            rates = [("watchpost", pct(con["wp_flag"], con["n"]))]
            if s.rspamd is not None:
                rates.append(("rspamd", pct(coff["r_flag"], coff["n"])))
            if s.sa is not None:
                rates.append(("SpamAssassin", pct(coff["sa_flag"], coff["n"])))
            beats = all(rates[0][1] > r for _, r in rates[1:])
            p("| %s EVAL, classifier on: flagged above rspamd and SpamAssassin | %s | %s |" % (
                s.name, ", ".join("%s %.1f%%" % x for x in rates),
                verdict(beats) if len(rates) > 1 else "peers not run"))
        h = totals_eval_on["ham"]
        if h["n"]:
            p("| legitimate mail EVAL, classifier on: false positives < %.1f%% | %.2f%% (%d of %d) "
              "| %s |" % (TARGET_FP, pct(h["wp_flag"], h["n"]), h["wp_flag"], h["n"],
                          verdict(pct(h["wp_flag"], h["n"]) < TARGET_FP)))
    if bayes_ran and totals_eval_on["ham"]["n"]:
        h = totals_eval_on["ham"]
        summary["ham_fp_pct_bayes_eval"] = "%.3f" % pct(h["wp_flag"], h["n"])
        for lab in ("phish", "spam"):
            t = totals_eval_on[lab]
            if t["n"]:
                summary["%s_flagged_pct_bayes_eval" % lab] = "%.2f" % pct(t["wp_flag"], t["n"])
                summary["%s_flagged_pct_off_eval" % lab] = "%.2f" % pct(
                    totals_eval_off[lab]["wp_flag"], totals_eval_off[lab]["n"])
    if ratio is not None:
        p("| CPU per message ≥ %.0f× less than rspamd | %.1f× | %s |" % (
            TARGET_CPU_RATIO, ratio, verdict(ratio >= TARGET_CPU_RATIO)))
    p("")

    # ---------------------------------------------------------------- finding codes
    def top_codes(run, part, pick, title, what):
        msgs = 0
        codes = collections.Counter()
        weights = collections.defaultdict(list)
        cats = {}
        for s in ordered:
            for n in s.members(part):
                obj = s.wp[run].get(n)
                if obj is None or not pick(s, obj):
                    continue
                msgs += 1
                seen = set()
                for f in obj.get("findings", []) or []:
                    code = f.get("code")
                    if not code or code in seen:
                        continue
                    seen.add(code)
                    codes[code] += 1
                    weights[code].append(f.get("weight", 0))
                    cats[code] = f.get("category", "")
        p(title)
        p("")
        p("%d %s. Count = messages carrying the code (once per message)." % (msgs, what))
        p("")
        if not codes:
            p("(none)")
            p("")
            return
        p("| code | category | messages | share | weight |")
        p("|---|---|---:|---:|---:|")
        for code, k in codes.most_common(10):
            w = weights[code]
            p("| `%s` | %s | %d | %.0f%% | %s |" % (
                code, cats[code], k, pct(k, msgs),
                w[0] if min(w) == max(w) else "%s–%s" % (min(w), max(w))))
        p("")

    top_codes("all", "all", lambda s, o: s.label == "ham" and wp_class(o) != "clean",
              "## Most frequent finding codes among ham false positives (classifier off)",
              "legitimate messages flagged")
    top_codes("all", "all", lambda s, o: s.label == "phish" and wp_class(o) not in WORSE,
              "## Most frequent finding codes among missed phishing (classifier off)",
              "phishing messages not classed phishing-or-worse (clean or spam)")
    top_codes("all", "all", lambda s, o: s.label == "phish" and wp_class(o) == "clean",
              "## Most frequent finding codes among phishing judged clean (classifier off)",
              "phishing messages judged clean")

    # ---------------------------------------------------------------- peer answers detail
    p("## Peer answers")
    p("")
    p("| set | rspamd actions | rspamd no answer | SpamAssassin no answer |")
    p("|---|---|---:|---:|")
    for s in ordered:
        if s.rspamd is None and s.sa is None:
            continue
        acts = collections.Counter(s.rspamd.values()) if s.rspamd is not None else None
        c = counts(s, "all", s.members("all"))
        p("| %s | %s | %s | %s |" % (
            s.name,
            ", ".join("%s %d" % kv for kv in sorted(acts.items())) if acts is not None else "not run",
            c["r_missing"] if s.rspamd is not None else "–",
            c["sa_missing"] if s.sa is not None else "–"))
    p("")
    missing = sum(counts(s, "all", s.members("all"))["wp_missing"] for s in ordered)
    if missing or bad_all:
        p("Warning: watchpost produced no verdict for %d message(s); %d output line(s) were "
          "not understood." % (missing, bad_all or 0))
        p("")

    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.write("== summary ==\n")
    summary["messages"] = str(n_all)
    summary["wp_missing"] = str(missing)
    for k, v in summary.items():
        sys.stdout.write("%s=%s\n" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
