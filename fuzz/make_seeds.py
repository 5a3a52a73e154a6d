#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, taken from the shipped vectors (run from the repo root).

apdu_parser and card_sequence get every raw APDU of vectors/ (card_sequence as framed
sequences: [flags][len][apdu]... per vector file), vector_loader gets the vector files,
stk_tlv the proactive commands and terminal responses found in the toolkit vectors, and
image_loader a card image made by `stk-wallet card new`.
"""
import json, pathlib, subprocess, sys

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"

def steps(s):
    for st in s:
        yield st
        yield from steps(st.get("steps", []))

def main():
    for t in ["apdu_parser", "card_sequence", "vector_loader", "stk_tlv", "image_loader"]:
        (corpus / t).mkdir(parents=True, exist_ok=True)
    n = 0
    for f in sorted((root / "vectors").rglob("*.json")):
        if "profiles" in f.parts or "derive" in f.parts:
            continue
        (corpus / "vector_loader" / f.name).write_bytes(f.read_bytes())
        try:
            v = json.loads(f.read_text())
        except Exception:
            continue
        seq = bytearray()
        contact = 1 if v.get("interface") == "contact" else 0
        for st in steps(v.get("steps", [])):
            if "apdu" not in st:
                continue
            b = bytes.fromhex(st["apdu"].replace(" ", ""))
            n += 1
            (corpus / "apdu_parser" / f"{f.stem}-{n}").write_bytes(b)
            flags = 1 if st.get("interface", v.get("interface")) == "contact" else 0
            if len(b) < 256:
                seq += bytes([flags, len(b)]) + b
            exp = st.get("expect", "").replace(" ", "")
            if contact and exp.startswith("D0") and "?" not in exp:
                (corpus / "stk_tlv" / f"{f.stem}-{n}").write_bytes(bytes.fromhex(exp))
            if contact and b[1:2] == b"\x14":
                (corpus / "stk_tlv" / f"{f.stem}-{n}-tr").write_bytes(b[5:])
        (corpus / "card_sequence" / f.stem).write_bytes(bytes(seq))
    img = corpus / "image_loader" / "default.json"
    subprocess.run([str(root / "target" / "release" / "stk-wallet"), "card", "new", "--force", "-o", str(img)], check=True, stdout=subprocess.DEVNULL)
    print(f"seeded {n} APDUs into {corpus}")

if __name__ == "__main__":
    sys.exit(main())
