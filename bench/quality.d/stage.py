#!/usr/bin/env python3
"""stage.py link|copy LIST SRC DST [all|train|eval] - one set's messages as DST/<n>.eml.

bench/quality gives every tool the same messages under uniform names: message n of LIST
(line n, "relative path<TAB>size") becomes DST/<n>.eml, n zero-padded to 5 digits, as a
symbolic link to SRC/<relative path> (watchpost follows links to files) or as a copy (the
peer recipes only see regular files named *.eml). With train or eval, only that half of
the split (split.py) is staged; n keeps its place in the full list either way.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split import is_train  # noqa: E402


def main(argv):
    if len(argv) not in (5, 6) or argv[1] not in ("link", "copy"):
        sys.stderr.write("usage: stage.py link|copy LIST SRC DST [all|train|eval]\n")
        return 2
    mode, lst, src, dst = argv[1:5]
    part = argv[5] if len(argv) == 6 else "all"
    if part not in ("all", "train", "eval"):
        sys.stderr.write("stage.py: part must be all, train or eval\n")
        return 2
    os.makedirs(dst, exist_ok=True)
    with open(lst, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            rel = line.rstrip("\n").split("\t", 1)[0]
            if part != "all" and is_train(rel) != (part == "train"):
                continue
            path = os.path.join(src, rel)
            target = os.path.join(dst, "%05d.eml" % n)
            if mode == "link":
                os.symlink(path, target)
            else:
                shutil.copyfile(path, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
