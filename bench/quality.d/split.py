#!/usr/bin/env python3
"""split.py LIST - prints the TRAIN or EVAL half of a set list (bench/quality helper).

The learned classifier (Bayes) is trained and evaluated on disjoint halves of every set,
chosen by the message's file name alone, so the split is the same on every machine, for
every order of files and for every subset of a corpus:

    TRAIN  the first hex digit of sha256(file name) is 0-7
    EVAL   it is 8-f

"file name" is the last path component, as bytes (UTF-8), e.g. "sample-4.eml" or
"00001.7c53336b37003a9286aba55d2945844c.eml". This is the rule of bench/bayes_split.sh.

usage: split.py train|eval LIST     LIST: lines "relative path<TAB>size"
output: the selected lines' line numbers (1-based) and relative paths, "n<TAB>path"
"""
import hashlib
import os
import sys


def is_train(rel_path):
    name = os.path.basename(rel_path).encode("utf-8", "surrogateescape")
    return hashlib.sha256(name).hexdigest()[0] in "01234567"


def main(argv):
    if len(argv) != 3 or argv[1] not in ("train", "eval"):
        sys.stderr.write("usage: split.py train|eval LIST\n")
        return 2
    want_train = argv[1] == "train"
    with open(argv[2], encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            rel = line.rstrip("\n").split("\t", 1)[0]
            if is_train(rel) == want_train:
                sys.stdout.write("%d\t%s\n" % (n, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
