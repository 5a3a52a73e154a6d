#!/usr/bin/env python3
"""Sets the "help information available" bit in the toolkit vectors, by rule.

TS 102 223 §8.6: bit 8 of the command qualifier of SET UP MENU (25), SELECT ITEM (24) and
GET INPUT (23) says help information is available. The wallet now offers help on every menu,
list and input screen, so in every vector string each command-details object `81 03 nn tt qq`
(or `01 03 nn tt qq`, the tag with its comprehension-required bit clear) with tt = 23, 24 or 25
(in a FETCHed command, or echoed in a TERMINAL RESPONSE) gains 0x80 in qq. Nothing else changes: no length, no other byte. This script does not read or run the Rust
code; it rewrites the hex text of vectors/toolkit/*.json in place (idempotent).

Usage:
    python3 vectors/derive/help_qualifier.py           rewrite, print how many objects changed
    python3 vectors/derive/help_qualifier.py --check   exit 1 if any such object lacks the bit
"""

import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLKIT = os.path.join(os.path.dirname(HERE), "toolkit")
DETAILS = re.compile(r"\b([08]1) 03 ([0-9A-Fa-f]{2}) (2[345]) ([0-9A-Fa-f]{2})\b")


def with_help(m):
    q = int(m.group(4), 16) | 0x80
    return f"{m.group(1)} 03 {m.group(2)} {m.group(3)} {q:02X}"


def main():
    check = "--check" in sys.argv[1:]
    changed = 0
    for path in sorted(glob.glob(os.path.join(TOOLKIT, "*.json"))):
        with open(path) as f:
            text = f.read()
        n = sum(1 for m in DETAILS.finditer(text) if int(m.group(4), 16) & 0x80 == 0)
        if n:
            print(f"{os.path.relpath(path, os.path.dirname(TOOLKIT))}: {n} command details without the help bit")
            changed += n
            if not check:
                with open(path, "w") as f:
                    f.write(DETAILS.sub(with_help, text))
    print(f"{changed} command-details objects {'lack' if check else 'gained'} the help bit")
    if check and changed:
        sys.exit(1)


if __name__ == "__main__":
    main()
