#!/usr/bin/env python3
"""Independent derivation of the byte-exact vectors' expected values.

Everything here is computed from docs/spec.md §4's formulas with the `openssl` command line
tool (3DES: `enc -des-ede-ecb`, single DES CBC: `enc -des-cbc` from the legacy provider). It does
not import, call or read the Rust code. The keys, serial and card randoms are the test profile's
(profiles/default.json, vectors/published/profiles/real-card-load.json), restated here.

Usage:
    python3 vectors/derive/derive.py           print every derived value and APDU, with comments
    python3 vectors/derive/derive.py --check   also compare them with the raw steps of the vector
                                               files (exit 1 on any difference)
    python3 vectors/derive/derive.py --json    print each vector's raw steps as vector-file JSON
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.dirname(HERE)


def h(s):
    """Hex text (spaces allowed) to bytes."""
    return bytes.fromhex(s.replace(" ", ""))


def x(b):
    """Bytes to spaced upper-case hex."""
    return " ".join(f"{c:02X}" for c in b)


def openssl(args, data):
    r = subprocess.run(["openssl", "enc"] + args, input=data, capture_output=True, check=True)
    return r.stdout


def tdes(key16, block8):
    """docs/spec.md §4: two-key 3DES EDE on one block (K1 = key[0..8], K2 = key[8..16])."""
    assert len(key16) == 16 and len(block8) == 8
    # openssl's des-ede takes the 16-byte key as K1 ‖ K2 and uses K1 again as K3.
    return openssl(["-des-ede-ecb", "-K", key16.hex(), "-nopad"], block8)


def des_cbc(key8, data):
    assert len(key8) == 8 and len(data) % 8 == 0
    return openssl(
        ["-des-cbc", "-provider", "legacy", "-provider", "default",
         "-K", key8.hex(), "-iv", "0000000000000000", "-nopad"],
        data,
    )


def mac(key8, data):
    """docs/spec.md §4: pad 80 00.. to a multiple of 8 (a whole block if aligned), single-DES CBC,
    IV zero, first 4 bytes of the last block."""
    padded = data + b"\x80"
    while len(padded) % 8:
        padded += b"\x00"
    return des_cbc(key8, padded)[-8:-4]


def diversify(mk, serial10):
    """docs/spec.md §4: card key = 3DES(MK, F) ‖ 3DES(MK, NOT F), F = last 8 bytes of the serial."""
    f = serial10[2:]
    return tdes(mk, f) + tdes(mk, bytes(b ^ 0xFF for b in f))


def seslk(dlk, rnd, ctr):
    """docs/spec.md §4: SESLK = 3DES(DLK, random ‖ online ctr ‖ 80 00)."""
    return tdes(dlk, rnd + ctr + h("8000"))


def sespk(dpk, rnd, ctr, ttc):
    """docs/spec.md §4: SESPK = 3DES(DPK, random ‖ offline ctr ‖ TTC[2..4])."""
    return tdes(dpk, rnd + ctr + ttc[2:4])


def tac_key(dtk):
    """docs/spec.md §4: TAC key = DTK[0..8] XOR DTK[8..16]."""
    return bytes(a ^ b for a, b in zip(dtk[:8], dtk[8:]))


def u32(n):
    return n.to_bytes(4, "big")


def u16(n):
    return n.to_bytes(2, "big")


T_LOAD, T_PURCHASE = h("02"), h("06")


# ---- check the derivation against docs/spec.md §4's published examples first ----
def self_check():
    k = seslk(h("3F01" * 8), h("F9CABA91"), h("0000"))
    assert k == h("03015BEA347EA231"), x(k)
    assert mac(k, u32(0) + h("00001234") + T_LOAD + h("000000000001")) == h("6C394D64")
    k = seslk(h("3F3F3F3F3F3F3F3F1122334455667788"), h("4E066548"), h("0000"))
    assert mac(k, u32(0) + h("00000010") + T_LOAD + h("666666666666")) == h("0D39ADBB")
    k = sespk(h("11223344556677888877665544332211"), h("11223344"), h("0000"), h("00000001"))
    assert k == h("003238ABC57659DD"), x(k)
    assert mac(k, h("00001000") + T_PURCHASE + h("001122334455") + h("20120229") + h("135100")) == h("F15CAB75")
    assert mac(k, h("00001000")) == h("56988A13")
    assert tac_key(h("00112233445566778899AABBCCDDEEFF")) == h("8888888888888888")


# ---- the test profile (profiles/default.json), restated ----
SERIAL = h("00 00 31 41 59 26 53 58 97 93")
MK_DPK1 = h("101112131415161718191A1B1C1D1E1F")
MK_DLK1 = h("303132333435363738393A3B3C3D3E3F")
MK_DTK = h("404142434445464748494A4B4C4D4E4F")
MK_ISSUER = h("505152535455565758595A5B5C5D5E5F")
AID = h("A0 00 00 00 03 86 98 07 01")
EF0015 = h("86 98 00 00 FF FF FF FF") + h("02") + h("01") + SERIAL + h("20260101") + h("20361231") + h("0000")
RANDOMS = [h(r) for r in ["11223344", "55667788", "99AABBCC", "DDEEFF00"]]
TERM = h("001122334455")  # the PSAM's termID
DATE, TIME = h("20261122"), h("120000")  # the vectors' clock
BALANCE = 10000


def tlv(tag, value):
    assert len(value) < 0x80
    return tag + bytes([len(value)]) + value


def wallet_fci():
    """docs/spec.md §2: 6F L 84 L <DF name> A5 L 9F08 01 02 9F0C 1E <file 0015>."""
    return tlv(h("6F"), tlv(h("84"), AID) + tlv(h("A5"), tlv(h("9F08"), h("02")) + tlv(h("9F0C"), EF0015)))


def log_record(ctr, amount, ttype, term, date, time):
    """docs/spec.md §2: counter used 2 ‖ overdraft 000000 ‖ amount 4 ‖ type 1 ‖ termID 6 ‖ date 4 ‖ time 3."""
    return ctr + h("000000") + u32(amount) + ttype + term + date + time


class Vector:
    def __init__(self, path, title):
        self.path, self.title, self.steps = path, title, []

    def step(self, comment, apdu, expect=b"", sw="9000"):
        self.steps.append((comment, apdu, expect, sw))

    def as_json(self):
        out = []
        for c, a, e, sw in self.steps:
            s = {"note": c, "apdu": x(a)}
            if e:
                s["expect"] = x(e)
            if sw != "9000":
                s["sw"] = sw
            out.append(s)
        return out

    def show(self):
        print(f"\n=== {self.path}: {self.title}")
        for i, (c, a, e, sw) in enumerate(self.steps, 1):
            print(f"  -- {c}")
            print(f"     apdu   {x(a)}")
            print(f"     expect {x(e)}  sw {sw}")


# With --json the derived values go to stderr, so stdout is only the JSON.
LOG = sys.stderr if "--json" in sys.argv[1:] else sys.stdout


def derived(label, value):
    print(f"  {label:<34} {x(value)}", file=LOG)


def purchase_exact():
    v = Vector("purse/purchase-exact.json", "two purchases, default profile, fixed randoms")
    dpk = diversify(MK_DPK1, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    print(file=LOG)
    print("# purchase (default profile)", file=LOG)
    derived("DPK (purchase key 1, diversified)", dpk)
    derived("DTK (diversified)", dtk)
    derived("TAC key", tac_key(dtk))
    v.step("SELECT the wallet: FCI", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("READ BINARY 0015", h("00 B0 95 00 1E"), EF0015)
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(BALANCE))
    bal = BALANCE
    ctr = 0
    for n, (amount, ttc) in enumerate([(1234, 1), (500, 2)]):
        rnd = RANDOMS[n]
        c = u16(ctr)
        t = u32(ttc)
        k = sespk(dpk, rnd, c, t)
        m1 = mac(k, u32(amount) + T_PURCHASE + TERM + DATE + TIME)
        m2 = mac(k, u32(amount))
        tac = mac(tac_key(dtk), u32(amount) + T_PURCHASE + TERM + t + DATE + TIME)
        derived(f"purchase {amount}: random", rnd)
        derived(f"purchase {amount}: SESPK", k)
        derived(f"purchase {amount}: MAC1 (PSAM)", m1)
        derived(f"purchase {amount}: MAC2 (card)", m2)
        derived(f"purchase {amount}: TAC", tac)
        v.step(f"INITIALIZE FOR PURCHASE {amount}, key 1, termID {x(TERM)}",
               h("80 50 01 02 0B 01") + u32(amount) + TERM + h("0F"),
               u32(bal) + c + h("000000") + h("01") + h("00") + rnd)
        v.step(f"DEBIT FOR PURCHASE, TTC {x(t)}, MAC1 from the PSAM's formula",
               h("80 54 01 00 0F") + t + DATE + TIME + m1 + h("08"), tac + m2)
        bal -= amount
        ctr += 1
        v.step("GET BALANCE", h("80 5C 00 02 04"), u32(bal))
        v.step("GET TRANSACTION PROOF type 06, counter after", h("80 5A 00 06 02") + u16(ctr) + h("08"), m2 + tac)
        v.step("READ RECORD 1: the purchase", h("00 B2 01 C4 17"),
               log_record(c, amount, T_PURCHASE, TERM, DATE, TIME))
    v.step("GET TRANSACTION PROOF for the first purchase: no longer the last one", h("80 5A 00 06 02 0001 08"), b"", "9406")
    v.step("READ RECORD 2: the first purchase", h("00 B2 02 C4 17"),
           log_record(u16(0), 1234, T_PURCHASE, TERM, DATE, TIME))
    return v


def load_exact():
    v = Vector("purse/load-exact.json", "a load, default profile, fixed randoms")
    dlk = diversify(MK_DLK1, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    amount, rnd, c = 5000, RANDOMS[0], u16(0)
    k = seslk(dlk, rnd, c)
    m1 = mac(k, u32(BALANCE) + u32(amount) + T_LOAD + TERM)
    m2 = mac(k, u32(amount) + T_LOAD + TERM + DATE + TIME)
    after = BALANCE + amount
    tac = mac(tac_key(dtk), u32(after) + c + u32(amount) + T_LOAD + TERM + DATE + TIME)
    print(file=LOG)
    print("# load (default profile)", file=LOG)
    derived("DLK (load key 1, diversified)", dlk)
    derived("SESLK", k)
    derived("MAC1 (card)", m1)
    derived("MAC2 (host)", m2)
    derived("TAC", tac)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    v.step(f"INITIALIZE FOR LOAD {amount}, key 1, termID {x(TERM)}",
           h("80 50 00 02 0B 01") + u32(amount) + TERM + h("10"),
           u32(BALANCE) + c + h("01") + h("00") + rnd + m1)
    v.step("CREDIT FOR LOAD with the host's MAC2", h("80 52 00 00 0B") + DATE + TIME + m2 + h("04"), tac)
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(after))
    v.step("GET TRANSACTION PROOF type 02, counter after", h("80 5A 00 02 02 0001 08"), m2 + tac)
    v.step("READ RECORD 1: the load", h("00 B2 01 C4 17"), log_record(c, amount, T_LOAD, TERM, DATE, TIME))
    return v


# ---- a key rollover (docs/spec.md §8): a card personalised with the old and the new version ----
MK_DPK2 = h("202122232425262728292A2B2C2D2E2F")  # profiles/default.json purchase key index 2, version 2
MK_DLK2 = h("606162636465666768696A6B6C6D6E6F")  # the vector's second load key: index 2, version 2


def rollover_exact():
    """A card personalised with both versions of the purchase and load keys (index 1 version 1,
    index 2 version 2): a load and a purchase under the new index 2, then a purchase under the
    old index 1, each answered with its own key version and verified under its own key."""
    v = Vector("purse/key-rollover-exact.json", "both key versions on one card, fixed randoms")
    dlk2 = diversify(MK_DLK2, SERIAL)
    dpk1 = diversify(MK_DPK1, SERIAL)
    dpk2 = diversify(MK_DPK2, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    print(file=LOG)
    print("# key rollover: a card with both key versions (default profile + load key 2)", file=LOG)
    derived("DLK2 (load key 2, diversified)", dlk2)
    derived("DPK2 (purchase key 2, diversified)", dpk2)
    v.step("SELECT the wallet: FCI", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    amount, rnd, c = 5000, RANDOMS[0], u16(0)
    k = seslk(dlk2, rnd, c)
    m1 = mac(k, u32(BALANCE) + u32(amount) + T_LOAD + TERM)
    m2 = mac(k, u32(amount) + T_LOAD + TERM + DATE + TIME)
    bal = BALANCE + amount
    tac = mac(tac_key(dtk), u32(bal) + c + u32(amount) + T_LOAD + TERM + DATE + TIME)
    derived("load under key 2: SESLK", k)
    derived("load under key 2: MAC1 (card)", m1)
    derived("load under key 2: MAC2 (host)", m2)
    derived("load under key 2: TAC", tac)
    v.step(f"INITIALIZE FOR LOAD {amount}, new key index 2: key version 02",
           h("80 50 00 02 0B 02") + u32(amount) + TERM + h("10"),
           u32(BALANCE) + c + h("02") + h("00") + rnd + m1)
    v.step("CREDIT FOR LOAD with MAC2 under the new load key", h("80 52 00 00 0B") + DATE + TIME + m2 + h("04"), tac)
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(bal))
    ctr = 0
    for n, (index, dpk, amount, ttc) in enumerate([(2, dpk2, 1234, 1), (1, dpk1, 500, 2)], 1):
        rnd, c, t = RANDOMS[n], u16(ctr), u32(ttc)
        k = sespk(dpk, rnd, c, t)
        m1 = mac(k, u32(amount) + T_PURCHASE + TERM + DATE + TIME)
        m2 = mac(k, u32(amount))
        tac = mac(tac_key(dtk), u32(amount) + T_PURCHASE + TERM + t + DATE + TIME)
        derived(f"purchase under key {index}: SESPK", k)
        derived(f"purchase under key {index}: MAC1 (PSAM)", m1)
        derived(f"purchase under key {index}: MAC2 (card)", m2)
        derived(f"purchase under key {index}: TAC", tac)
        which = "new" if index == 2 else "old"
        v.step(f"INITIALIZE FOR PURCHASE {amount}, {which} key index {index}: key version 0{index}",
               h("80 50 01 02 0B") + bytes([index]) + u32(amount) + TERM + h("0F"),
               u32(bal) + c + h("000000") + bytes([index]) + h("00") + rnd)
        v.step(f"DEBIT FOR PURCHASE, TTC {x(t)}, MAC1 under purchase key {index}",
               h("80 54 01 00 0F") + t + DATE + TIME + m1 + h("08"), tac + m2)
        bal -= amount
        ctr += 1
        v.step("GET BALANCE", h("80 5C 00 02 04"), u32(bal))
    return v


def rollover_new_only():
    """A card personalised after the rollover with only the new keys (index 2): the old index
    is unknown to it (9403) for a purchase and a load; the new one works."""
    v = Vector("purse/key-rollover-new-only.json", "a card with only the new key version")
    dpk2 = diversify(MK_DPK2, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    v.step("SELECT the wallet: FCI", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("INITIALIZE FOR PURCHASE with the retired key index 1: key not found",
           h("80 50 01 02 0B 01") + u32(100) + TERM + h("0F"), b"", "9403")
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    v.step("INITIALIZE FOR LOAD with the retired key index 1: key not found",
           h("80 50 00 02 0B 01") + u32(100) + TERM + h("10"), b"", "9403")
    v.step("GET BALANCE: nothing changed", h("80 5C 00 02 04"), u32(BALANCE))
    amount, rnd, c, t = 100, RANDOMS[0], u16(0), u32(1)
    k = sespk(dpk2, rnd, c, t)
    m1 = mac(k, u32(amount) + T_PURCHASE + TERM + DATE + TIME)
    m2 = mac(k, u32(amount))
    tac = mac(tac_key(dtk), u32(amount) + T_PURCHASE + TERM + t + DATE + TIME)
    print(file=LOG)
    print("# key rollover: a card with only the new purchase key", file=LOG)
    derived("purchase under key 2: MAC1 (PSAM)", m1)
    derived("purchase under key 2: TAC", tac)
    v.step("INITIALIZE FOR PURCHASE with the new key index 2: key version 02",
           h("80 50 01 02 0B 02") + u32(amount) + TERM + h("0F"),
           u32(BALANCE) + c + h("000000") + h("02") + h("00") + rnd)
    v.step("DEBIT FOR PURCHASE, MAC1 under purchase key 2",
           h("80 54 01 00 0F") + t + DATE + TIME + m1 + h("08"), tac + m2)
    return v


def reload_exact():
    """RELOAD PIN's MAC (a layout docs/spec.md §4 leaves to the design, documented in src/crypto.rs and
    vectors/README.md): SESIK = 3DES(issuer card key, challenge ‖ 00000000); MAC over the
    command header 80 5E 00 00 07 ‖ new PIN."""
    v = Vector("pin/reload-exact.json", "lock the payment password, RELOAD PIN with the issuer MAC")
    ik = diversify(MK_ISSUER, SERIAL)
    new = h("654321")
    header = h("80 5E 00 00 07")
    k = tdes(ik, RANDOMS[0] + h("00000000"))
    m = mac(k, header + new)
    print(file=LOG)
    print("# RELOAD PIN (default profile)", file=LOG)
    derived("issuer key (diversified)", ik)
    derived("SESIK for challenge 11223344", k)
    derived("MAC over 805E000007 654321", m)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    for left in [4, 3, 2, 1]:
        v.step(f"wrong password: {left} tries left", h("00 20 00 00 03 000000"), b"", f"63C{left}")
    v.step("fifth wrong password: locked", h("00 20 00 00 03 000000"), b"", "6983")
    v.step("GET CHALLENGE", h("00 84 00 00 04"), RANDOMS[0])
    v.step("RELOAD PIN 654321 with the issuer MAC", header + new + m)
    v.step("VERIFY 654321", h("00 20 00 00 03") + new)
    v.step("GET CHALLENGE (a new one)", h("00 84 00 00 04"), RANDOMS[1])
    v.step("replaying the old RELOAD PIN: its MAC was for the old challenge", header + new + m, b"", "9302")
    return v


def issuer_mac(challenge, header, value):
    """The issuer commands' MAC (docs/spec.md §4): SESIK = 3DES(issuer card key, challenge ‖
    00000000), MAC over the command header ‖ the value."""
    k = tdes(diversify(MK_ISSUER, SERIAL), challenge + h("00000000"))
    return mac(k, header + value)


OP_TERM_DEFAULT = h("000000100860")  # profiles/default.json menu.operator_term_id


def reset_op_exact():
    """RESET OPERATION PASSWORD (docs/spec.md §4): 80 5E 02 00 Lc ‖ new password BCD, F-padded ‖
    MAC; the MAC over the header (Lc counts the MAC) ‖ the BCD value."""
    v = Vector("pin/reset-operation-exact.json",
               "RESET OPERATION PASSWORD with the issuer MAC; without a challenge, replayed")
    new = h("8765")
    header = h("80 5E 02 00 06")
    m = issuer_mac(RANDOMS[0], header, new)
    new5 = h("12345F")
    header5 = h("80 5E 02 00 07")
    m5 = issuer_mac(RANDOMS[1], header5, new5)
    print(file=LOG)
    print("# RESET OPERATION PASSWORD (default profile)", file=LOG)
    derived("MAC over 805E020006 8765, ch 11223344", m)
    derived("MAC over 805E020007 12345F, ch 55667788", m5)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("RESET OPERATION PASSWORD without a challenge", header + new + m, b"", "6985")
    v.step("GET CHALLENGE", h("00 84 00 00 04"), RANDOMS[0])
    v.step("RESET OPERATION PASSWORD 8765 with the issuer MAC", header + new + m)
    v.step("GET CHALLENGE (a new one)", h("00 84 00 00 04"), RANDOMS[1])
    v.step("an odd number of digits, F-padded: 12345", header5 + new5 + m5)
    v.step("GET CHALLENGE (a new one)", h("00 84 00 00 04"), RANDOMS[2])
    v.step("replaying the first RESET: its MAC was for the old challenge", header + new + m, b"", "9302")
    return v


def close_exact():
    """CLOSE WALLET (the service desk's issuer command, docs/spec.md §3/§4): 80 5E 03 00 0F ‖
    amount 4 ‖ date 4 ‖ time 3 ‖ MAC; the MAC over the header ‖ amount ‖ date ‖ time. The whole
    balance leaves the card as a type-06 log record at the operator's termID."""
    v = Vector("issuer/close-exact.json", "CLOSE WALLET with money on it: balance to 0, logged, closed")
    header = h("80 5E 03 00 0F")
    wrong = u32(BALANCE - 1) + DATE + TIME
    m_wrong = issuer_mac(RANDOMS[0], header, wrong)
    value = u32(BALANCE) + DATE + TIME
    m = issuer_mac(RANDOMS[1], header, value)
    print(file=LOG)
    print("# CLOSE WALLET (default profile)", file=LOG)
    derived("MAC over 805E03000F 0000270F.., ch 11223344", m_wrong)
    derived("MAC over 805E03000F 00002710.., ch 55667788", m)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("GET CHALLENGE", h("00 84 00 00 04"), RANDOMS[0])
    v.step("CLOSE WALLET for less than the balance: refused", header + wrong + m_wrong, b"", "6A80")
    v.step("GET CHALLENGE (a new one)", h("00 84 00 00 04"), RANDOMS[1])
    v.step("CLOSE WALLET for the whole balance", header + value + m)
    v.step("GET BALANCE: 0", h("80 5C 00 02 04"), u32(0))
    v.step("READ RECORD 1: the balance left at offline counter 0, the operator's termID",
           h("00 B2 01 C4 17"), log_record(h("0000"), BALANCE, T_PURCHASE, OP_TERM_DEFAULT, DATE, TIME))
    v.step("GET DATA DF36: the offline counter moved on", h("80 CA DF 36 00"), h("DF 36 04 0000 0001"))
    v.step("INITIALIZE FOR PURCHASE: the wallet is closed",
           h("80 50 01 02 0B 01 00000064") + TERM + h("0F"), b"", "6A81")
    return v


def cancel_exact():
    """CANCEL NUMBER (the service desk's issuer command): 80 5E 04 00 04 ‖ MAC over the header
    alone. Loads are refused (9405) from then on; purchases still work."""
    v = Vector("issuer/cancel-number-exact.json", "CANCEL NUMBER: loads refused 9405, purchases go on")
    header = h("80 5E 04 00 04")
    m = issuer_mac(RANDOMS[0], header, b"")
    print(file=LOG)
    print("# CANCEL NUMBER (default profile)", file=LOG)
    derived("MAC over 805E040004, ch 11223344", m)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("GET CHALLENGE", h("00 84 00 00 04"), RANDOMS[0])
    v.step("CANCEL NUMBER with the issuer MAC", header + m)
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    v.step("INITIALIZE FOR LOAD: the number is cancelled", h("80 50 00 02 0B 01 00000064") + TERM + h("10"),
           b"", "9405")
    return v


def published_load_1():
    """docs/spec.md §4's first real-card example, completed with a CREDIT whose MAC2 and TAC are derived
    here (they are not published): DTK 00112233..FF (the walkthrough's, TAC key 88..88)."""
    v = Vector("published/real-card-load.json", "real card EP load example 1, through the card")
    dlk = h("3F01" * 8)
    dtk = h("00112233445566778899AABBCCDDEEFF")
    amount, term, rnd, c = 0x1234, h("000000000001"), h("F9CABA91"), h("0000")
    date, time = h("20120229"), h("135100")
    k = seslk(dlk, rnd, c)
    m1 = mac(k, u32(0) + u32(amount) + T_LOAD + term)
    m2 = mac(k, u32(amount) + T_LOAD + term + date + time)
    tac = mac(tac_key(dtk), u32(amount) + c + u32(amount) + T_LOAD + term + date + time)
    print(file=LOG)
    print("# published real card, example 1", file=LOG)
    derived("SESLK (published 03015BEA347EA231)", k)
    derived("MAC1 (published 6C394D64)", m1)
    derived("MAC2 (derived)", m2)
    derived("TAC (derived)", tac)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"))
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    v.step("INITIALIZE FOR LOAD 00001234, termID 000000000001: published response",
           h("80 50 00 02 0B 01") + u32(amount) + term + h("10"),
           u32(0) + c + h("00") + h("01") + rnd + m1)
    v.step("CREDIT FOR LOAD 20120229 135100 with the derived MAC2", h("80 52 00 00 0B") + date + time + m2 + h("04"), tac)
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(amount))
    return v


def published_load_2():
    v = Vector("published/real-card-load-2.json", "real card EP load example 2")
    dlk = h("3F3F3F3F3F3F3F3F1122334455667788")
    amount, term, rnd, c = 0x10, h("666666666666"), h("4E066548"), h("0000")
    k = seslk(dlk, rnd, c)
    m1 = mac(k, u32(0) + u32(amount) + T_LOAD + term)
    print(file=LOG)
    print("# published real card, example 2", file=LOG)
    derived("SESLK", k)
    derived("MAC1 (published 0D39ADBB)", m1)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"))
    v.step("VERIFY 123456", h("00 20 00 00 03 123456"))
    v.step("INITIALIZE FOR LOAD 00000010, termID 666666666666: published MAC1",
           h("80 50 00 02 0B 01") + u32(amount) + term + h("10"),
           u32(0) + c + h("00") + h("01") + rnd + m1)
    return v


def published_purchase():
    v = Vector("published/purchase-walkthrough.json", "published purchase walkthrough, through the card")
    dpk = h("11223344556677888877665544332211")
    dtk = h("00112233445566778899AABBCCDDEEFF")
    amount, term, rnd, c, ttc = 0x1000, h("001122334455"), h("11223344"), h("0000"), h("00000001")
    date, time = h("20120229"), h("135100")
    k = sespk(dpk, rnd, c, ttc)
    m1 = mac(k, u32(amount) + T_PURCHASE + term + date + time)
    m2 = mac(k, u32(amount))
    tac = mac(tac_key(dtk), u32(amount) + T_PURCHASE + term + ttc + date + time)
    print(file=LOG)
    print("# published purchase walkthrough", file=LOG)
    derived("SESPK (published 003238ABC57659DD)", k)
    derived("MAC1 (published F15CAB75)", m1)
    derived("MAC2 (published 56988A13)", m2)
    derived("TAC (derived, key 8888888888888888)", tac)
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"))
    v.step("INITIALIZE FOR PURCHASE 00001000, termID 001122334455",
           h("80 50 01 02 0B 01") + u32(amount) + term + h("0F"),
           u32(BALANCE) + c + h("000000") + h("01") + h("00") + rnd)
    v.step("DEBIT FOR PURCHASE with the published MAC1: published MAC2",
           h("80 54 01 00 0F") + ttc + date + time + m1 + h("08"), tac + m2)
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(BALANCE - amount))
    return v


OP_TERM = h("00 00 00 10 08 60")  # the profile's operator termID (menu top-ups and bills)
TP_BIP_EN = h("09 21 0F 21 00 00 00 14 00 00 00 0F 22 00 00 00 01")


def tr(details, result="00", extra=b""):
    """A TERMINAL RESPONSE APDU (TS 102 223 §6.8): details, devices 82 -> 81, result, extra."""
    body = h("81 03") + details + h("82 02 82 81 83") + bytes([len(h(result))]) + h(result) + extra
    return h("80 14 00 00") + bytes([len(body)]) + body


def ota_load_exact(path="toolkit/ota-load-exact.json", key_index=1, mk_dlk=MK_DLK1):
    """A menu top-up over BIP (docs/ota.md) with the vector as handset and issuer: the card's
    OPEN CHANNEL, its SEND DATA (the load request with MAC1), RECEIVE DATA, the issuer's answer
    (date, time, MAC2) and CLOSE CHANNEL, byte for byte from TS 102 223 and docs/ota.md.
    `key_index`/`mk_dlk`: the load key the card asks under (its newest: docs/spec.md §8)."""
    v = Vector(path, f"a menu top-up over BIP under load key {key_index}, fixed randoms")
    dlk = diversify(mk_dlk, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    amount, rnd, c = 5000, RANDOMS[0], u16(0)
    k = seslk(dlk, rnd, c)
    m1 = mac(k, u32(BALANCE) + u32(amount) + T_LOAD + OP_TERM)
    m2 = mac(k, u32(amount) + T_LOAD + OP_TERM + DATE + TIME)
    after = BALANCE + amount
    tac = mac(tac_key(dtk), u32(after) + c + u32(amount) + T_LOAD + OP_TERM + DATE + TIME)
    print(file=LOG)
    print(f"# over-the-air load (load key index {key_index}, operator termID)", file=LOG)
    derived("SESLK", k)
    derived("MAC1 (card)", m1)
    derived("MAC2 (issuer)", m2)
    derived("TAC", tac)
    # Load request: 01 ‖ serial ‖ key index ‖ balance ‖ online ctr ‖ random ‖ MAC1 ‖ amount ‖ termID.
    req = h("01") + SERIAL + bytes([key_index]) + u32(BALANCE) + c + rnd + m1 + u32(amount) + OP_TERM
    assert len(req) == 36
    # Answer: 81 (load answer) ‖ 00 approved ‖ date ‖ time ‖ MAC2.
    ans = h("81 00") + DATE + TIME + m2
    open_ch = h("81 03 05 40 01 82 02 81 82 B5 01 03 B9 02 01 00 BC 03 02 1F 90 BE 05 21 0A 00 00 01")
    send = h("81 03 06 43 01 82 02 81 21 B6") + bytes([len(req)]) + req
    recv = h("81 03 07 42 00 82 02 81 21 B7 01") + bytes([len(ans)])
    close = h("81 03 08 41 00 82 02 81 21")

    def d0(body):
        return h("D0") + bytes([len(body)]) + body

    def sw91(body):
        return f"91{len(d0(body)):02X}"

    v.step("TERMINAL PROFILE: BIP, no UCS2 display", h("80 10 00 00") + bytes([len(TP_BIP_EN)]) + TP_BIP_EN, b"", "91??")
    v.step("FETCH SET UP MENU", h("80 12 00 00 00"))
    # The TERMINAL RESPONSEs echo each command's details; SET UP MENU, SELECT ITEM and GET INPUT
    # carry qualifier b8 (help information available, TS 102 223 §8.6): 25 80, 24 80, 23 80 and
    # 23 84 (hidden digits with help).
    v.step("menu set up", tr(h("01 25 80")))
    v.step("ENVELOPE MENU SELECTION item 1 (My Wallet)", h("80 C2 00 00 09 D3 07 82 02 01 81 90 01 01"), b"", "91??")
    v.step("FETCH: SELECT ITEM My Wallet", h("80 12 00 00 00"))
    v.step("choose 1: Top Up", tr(h("02 24 80"), extra=h("90 01 01")), b"", "91??")
    v.step("FETCH: GET INPUT, the amount", h("80 12 00 00 00"))
    v.step("50 (yuan)", tr(h("03 23 80"), extra=h("8D 03 04") + b"50"), b"", "91??")
    v.step("FETCH: GET INPUT, the payment password", h("80 12 00 00 00"))
    v.step("123456: the card opens the load and asks for a channel",
           tr(h("04 23 84"), extra=h("8D 07 04") + b"123456"), b"", sw91(open_ch))
    v.step("FETCH: OPEN CHANNEL (default bearer, buffer 256, TCP client to 10.0.0.1:8080)",
           h("80 12 00 00") + bytes([len(d0(open_ch))]), d0(open_ch))
    v.step("channel 1 open (B8 02 81 00)",
           tr(h("05 40 01"), extra=h("B8 02 81 00 B5 01 03 B9 02 01 00")), b"", sw91(send))
    v.step("FETCH: SEND DATA, the load request with MAC1",
           h("80 12 00 00") + bytes([len(d0(send))]), d0(send))
    v.step("sent; free Tx space FF", tr(h("06 43 01"), extra=h("B7 01 FF")), b"", sw91(recv))
    v.step("FETCH: RECEIVE DATA, 13 bytes", h("80 12 00 00") + bytes([len(d0(recv))]), d0(recv))
    v.step("the issuer's answer (approved, date, time, MAC2): the card verifies MAC2 and commits",
           tr(h("07 42 00"), extra=h("B6") + bytes([len(ans)]) + ans + h("B7 01 00")), b"", sw91(close))
    v.step("FETCH: CLOSE CHANNEL", h("80 12 00 00") + bytes([len(d0(close))]), d0(close))
    v.step("channel closed", tr(h("08 41 00")), b"", "91??")
    v.step("FETCH: DISPLAY TEXT, topped up", h("80 12 00 00 00"))
    v.step("OK: back to My Wallet", tr(h("09 21 80")), b"", "91??")
    v.step("FETCH: SELECT ITEM My Wallet", h("80 12 00 00 00"))
    v.step("end the session", tr(h("0A 24 80"), "10"))
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("GET BALANCE", h("80 5C 00 02 04"), u32(after))
    v.step("GET TRANSACTION PROOF type 02, counter after", h("80 5A 00 02 02 0001 08"), m2 + tac)
    v.step("READ RECORD 1: the load at the operator's termID, the issuer's date and time",
           h("00 B2 01 C4 17"), log_record(c, amount, T_LOAD, OP_TERM, DATE, TIME))
    return v


def gsm8(text):
    """TS 102 223 §8.15 / TS 23.038: a TEXT STRING in the GSM default alphabet, 8-bit (DCS 04).
    Only characters whose GSM code equals their ASCII code are used here (letters, digits,
    space, `-`, `.`, `:`, `(`, `)`, `,`) plus LF (0x0A in both)."""
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.:(),\n")
    assert set(text) <= allowed, text
    return text.encode("ascii")


def d0(body):
    """A proactive command: D0 ‖ length ‖ body (all lengths here are below 0x80)."""
    assert len(body) < 0x80
    return h("D0") + bytes([len(body)]) + body


def sw91(body):
    return f"91{len(d0(body)):02X}"


def fetch(body):
    return h("80 12 00 00") + bytes([len(d0(body))])


def get_input(n, qualifier, prompt, lo, hi):
    """GET INPUT (type 23): details, devices 81 -> 82 (UICC -> terminal), text 8D (DCS 04),
    response length 91 02 min max."""
    return (h("81 03") + bytes([n]) + h("23") + bytes([qualifier]) + h("82 02 81 82")
            + tlv(h("8D"), h("04") + gsm8(prompt)) + h("91 02") + bytes([lo, hi]))


def display_text(n, text):
    """DISPLAY TEXT (type 21, qualifier 80: wait for the user), devices 81 -> 02 (display)."""
    return h("81 03") + bytes([n]) + h("21 80 82 02 81 02") + tlv(h("8D"), h("04") + gsm8(text))


def typed(n, qualifier, text):
    """The TERMINAL RESPONSE to GET INPUT n: the text typed, DCS 04."""
    return tr(bytes([n]) + h("23") + bytes([qualifier]), extra=tlv(h("8D"), h("04") + text.encode("ascii")))


PHONE_PROMPT = "Phone number (11 digits)"
NOT_CHINA_MOBILE = "Not a China Mobile number: bills of China Mobile numbers only"


def bill_not_china_mobile():
    """docs/spec.md §7: a bill for a China Unicom number (130) is refused by the menu with its
    text, and the number is asked again; a China Mobile number (139) goes on to the amount."""
    v = Vector("toolkit/bill-not-china-mobile.json", "a bill for a China Unicom number is refused")
    ask = get_input(0x02, 0x80, PHONE_PROMPT, 11, 11)
    refused = display_text(0x03, NOT_CHINA_MOBILE)
    again = get_input(0x04, 0x80, PHONE_PROMPT, 11, 11)
    v.step("TERMINAL PROFILE: BIP, no UCS2 display", h("80 10 00 00") + bytes([len(TP_BIP_EN)]) + TP_BIP_EN, b"", "91??")
    v.step("FETCH SET UP MENU", h("80 12 00 00 00"))
    v.step("menu set up", tr(h("01 25 80")))
    v.step("ENVELOPE MENU SELECTION item 3 (Pay Phone Bill)", h("80 C2 00 00 09 D3 07 82 02 01 81 90 01 03"), b"", sw91(ask))
    v.step("FETCH: GET INPUT, the phone number (11 digits, visible)", fetch(ask), d0(ask))
    v.step("13000000000 (China Unicom's 130)", typed(0x02, 0x80, "13000000000"), b"", sw91(refused))
    v.step("FETCH: DISPLAY TEXT, not a China Mobile number", fetch(refused), d0(refused))
    v.step("OK", tr(h("03 21 80")), b"", sw91(again))
    v.step("FETCH: GET INPUT, the phone number again (same flow)", fetch(again), d0(again))
    v.step("13912345678 (China Mobile's 139)", typed(0x04, 0x80, "13912345678"), b"", "91??")
    v.step("FETCH: GET INPUT, the amount", h("80 12 00 00 00"))
    v.step("end the session: nothing paid", tr(h("05 23 80"), "10"))
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("GET BALANCE: unchanged", h("80 5C 00 02 04"), u32(BALANCE))
    return v


def bill_above_limit():
    """docs/spec.md §1, §7: a bill of 150.00 with the single-payment limit at 100.00 and a
    balance of 500.00 is paid over BIP (the limit is a contactless purchase's); the bill request,
    the debit's proof and log record; then History shows it as a bill; then a contactless
    purchase of the same amount is refused at INITIALIZE (6985)."""
    v = Vector("toolkit/bill-above-limit.json", "a bill above the single-payment limit, then History")
    balance, limit, amount = 50000, 10000, 15000
    dpk = diversify(MK_DPK1, SERIAL)
    dtk = diversify(MK_DTK, SERIAL)
    rnd, c, ttc = RANDOMS[0], u16(0), u32(0)
    k = sespk(dpk, rnd, c, ttc)
    m2 = mac(k, u32(amount))
    tac = mac(tac_key(dtk), u32(amount) + T_PURCHASE + OP_TERM + ttc + DATE + TIME)
    print(file=LOG)
    print("# bill payment above the single-payment limit (operator termID, TTC = offline counter 0)", file=LOG)
    derived("SESPK", k)
    derived("MAC2 (card)", m2)
    derived("TAC", tac)
    # Bill request: 02 ‖ serial ‖ offline counter ‖ amount ‖ termID ‖ phone 11 BCD digits, F-padded.
    req = h("02") + SERIAL + c + u32(amount) + OP_TERM + h("13 80 01 38 00 0F")
    assert len(req) == 29
    # Answer: 82 (bill answer) ‖ 00 approved ‖ date ‖ time ‖ MAC2 00000000.
    ans = h("82 00") + DATE + TIME + h("00000000")
    open_ch = h("81 03 05 40 01 82 02 81 82 B5 01 03 B9 02 01 00 BC 03 02 1F 90 BE 05 21 0A 00 00 01")
    send = h("81 03 06 43 01 82 02 81 21 B6") + bytes([len(req)]) + req
    recv = h("81 03 07 42 00 82 02 81 21 B7 01") + bytes([len(ans)])
    close = h("81 03 08 41 00 82 02 81 21")
    hist = (h("81 03 0A 24 80 82 02 81 82") + tlv(h("85"), gsm8("History"))
            + tlv(h("8F"), h("01") + gsm8("11-22 -150.00")))
    detail = display_text(0x0B, "2026-11-22 12:00:00\nBill -150.00 yuan")
    hist_again = h("81 03 0C") + hist[3:]
    v.step("TERMINAL PROFILE: BIP, no UCS2 display", h("80 10 00 00") + bytes([len(TP_BIP_EN)]) + TP_BIP_EN, b"", "91??")
    v.step("FETCH SET UP MENU", h("80 12 00 00 00"))
    v.step("menu set up", tr(h("01 25 80")))
    v.step("ENVELOPE MENU SELECTION item 3 (Pay Phone Bill)", h("80 C2 00 00 09 D3 07 82 02 01 81 90 01 03"), b"", "91??")
    v.step("FETCH: GET INPUT, the phone number", h("80 12 00 00 00"))
    v.step("13800138000", typed(0x02, 0x80, "13800138000"), b"", "91??")
    v.step("FETCH: GET INPUT, the amount", h("80 12 00 00 00"))
    v.step("150 (yuan): above the limit of 100.00, within the balance of 500.00", typed(0x03, 0x80, "150"), b"", "91??")
    v.step("FETCH: GET INPUT, the payment password (not a refusal)", h("80 12 00 00 00"))
    v.step("123456: the card opens the purchase and asks for a channel",
           typed(0x04, 0x84, "123456"), b"", sw91(open_ch))
    v.step("FETCH: OPEN CHANNEL (default bearer, buffer 256, TCP client to 10.0.0.1:8080)", fetch(open_ch), d0(open_ch))
    v.step("channel 1 open (B8 02 81 00)",
           tr(h("05 40 01"), extra=h("B8 02 81 00 B5 01 03 B9 02 01 00")), b"", sw91(send))
    v.step("FETCH: SEND DATA, the bill request (no limit in it)", fetch(send), d0(send))
    v.step("sent; free Tx space FF", tr(h("06 43 01"), extra=h("B7 01 FF")), b"", sw91(recv))
    v.step("FETCH: RECEIVE DATA, 13 bytes", fetch(recv), d0(recv))
    v.step("the issuer's approval (date, time): the card debits",
           tr(h("07 42 00"), extra=h("B6") + bytes([len(ans)]) + ans + h("B7 01 00")), b"", sw91(close))
    v.step("FETCH: CLOSE CHANNEL", fetch(close), d0(close))
    v.step("channel closed", tr(h("08 41 00")), b"", "91??")
    v.step("FETCH: DISPLAY TEXT, paid", h("80 12 00 00 00"))
    v.step("OK: the session ends (started from the SET UP MENU)", tr(h("09 21 80")))
    v.step("SELECT the wallet", h("00 A4 04 00 09") + AID + h("00"), wallet_fci())
    v.step("GET BALANCE: 500.00 - 150.00", h("80 5C 00 02 04"), u32(balance - amount))
    v.step("GET TRANSACTION PROOF type 06, counter after", h("80 5A 00 06 02 0001 08"), m2 + tac)
    v.step("READ RECORD 1: a purchase (06) at the operator's termID, the issuer's date and time",
           h("00 B2 01 C4 17"), log_record(c, amount, T_PURCHASE, OP_TERM, DATE, TIME))
    v.step("ENVELOPE MENU SELECTION item 2 (History)", h("80 C2 00 00 09 D3 07 82 02 01 81 90 01 02"), b"", sw91(hist))
    v.step("FETCH: SELECT ITEM History, one item: 11-22 -150.00", fetch(hist), d0(hist))
    v.step("choose 1", tr(h("0A 24 80"), extra=h("90 01 01")), b"", sw91(detail))
    v.step("FETCH: DISPLAY TEXT, the record: a bill, no terminal", fetch(detail), d0(detail))
    v.step("OK: back to the list", tr(h("0B 21 80")), b"", sw91(hist_again))
    v.step("FETCH: SELECT ITEM History again", fetch(hist_again), d0(hist_again))
    v.step("end the session", tr(h("0C 24 80"), "10"))
    return v


TP_BIP_ZH = h("09 61 0F 21 00 00 00 14 00 00 00 0F 22 00 00 00 01")  # byte 2 b7: UCS2 display


def ucs2(text):
    """TS 102 223 §8.15 / TS 23.038: a TEXT STRING in UCS2 (DCS 08), big-endian, no BOM."""
    assert all(ord(c) < 0x10000 for c in text)
    return text.encode("utf-16-be")


def bill_not_china_mobile_zh():
    """The same refusal in Chinese: GET INPUT 请输入手机号码 and DISPLAY TEXT
    不是中国移动号码,只能为中国移动号码缴费, both TEXT STRINGs in UCS2 (DCS 08)."""
    v = Vector("toolkit/bill-not-china-mobile-zh.json", "the refusal in Chinese (UCS2)")

    def ask(n):
        return (h("81 03") + bytes([n]) + h("23 80 82 02 81 82")
                + tlv(h("8D"), h("08") + ucs2("请输入手机号码")) + h("91 02 0B 0B"))

    refused = (h("81 03 03 21 80 82 02 81 02")
               + tlv(h("8D"), h("08") + ucs2("不是中国移动号码,只能为中国移动号码缴费")))
    v.step("TERMINAL PROFILE: BIP, UCS2 display", h("80 10 00 00") + bytes([len(TP_BIP_ZH)]) + TP_BIP_ZH, b"", "91??")
    v.step("FETCH SET UP MENU", h("80 12 00 00 00"))
    v.step("menu set up", tr(h("01 25 80")))
    v.step("ENVELOPE MENU SELECTION item 3 (我要缴费)", h("80 C2 00 00 09 D3 07 82 02 01 81 90 01 03"), b"", sw91(ask(2)))
    v.step("FETCH: GET INPUT 请输入手机号码", fetch(ask(2)), d0(ask(2)))
    v.step("13312345678 (China Telecom's 133)", typed(0x02, 0x80, "13312345678"), b"", sw91(refused))
    v.step("FETCH: DISPLAY TEXT 不是中国移动号码,只能为中国移动号码缴费", fetch(refused), d0(refused))
    v.step("OK", tr(h("03 21 80")), b"", sw91(ask(4)))
    v.step("FETCH: GET INPUT, the number again", fetch(ask(4)), d0(ask(4)))
    v.step("end the session", tr(h("04 23 80"), "10"))
    return v


def norm(s):
    return "".join(s.split()).upper()


def check(vectors):
    """Compares each derived vector with the raw (apdu) steps of its file, in order: the derived
    steps must be the file's first apdu steps (the file may add more steps after them)."""
    bad = 0
    for v in vectors:
        with open(os.path.join(VECTORS, v.path)) as f:
            doc = json.load(f)
        raws = [s for s in doc["steps"] if "apdu" in s]
        if len(raws) < len(v.steps):
            print(f"CHECK {v.path}: {len(raws)} apdu steps in the file, {len(v.steps)} derived")
            bad += 1
            continue
        for i, (s, (c, a, e, sw)) in enumerate(zip(raws, v.steps), 1):
            problems = []
            if norm(s["apdu"]) != norm(x(a)):
                problems.append(f"apdu {s['apdu']} != {x(a)}")
            if e and norm(s.get("expect", "")) != norm(x(e)):
                problems.append(f"expect {s.get('expect')} != {x(e)}")
            if norm(str(s.get("sw", "9000"))) != norm(sw):
                problems.append(f"sw {s.get('sw', '9000')} != {sw}")
            for p in problems:
                print(f"CHECK {v.path} apdu step {i} ({c}): {p}")
                bad += 1
    print(f"\ncheck: {'all vector files carry the derived bytes' if bad == 0 else f'{bad} difference(s)'}")
    return bad == 0


def ota_load_newest_key():
    """A card with both load key versions (index 1 version 1, index 2 version 2) tops up over
    the air under its newest load key, index 2 (docs/spec.md §8, over-the-air loads after a
    rollover): the request names index 2 and MAC1/MAC2 are under load key 2."""
    return ota_load_exact("toolkit/ota-load-newest-key.json", 2, MK_DLK2)


def main():
    self_check()
    print("derivation reproduces every published value of docs/spec.md §4", file=LOG)
    vectors = [purchase_exact(), load_exact(), reload_exact(),
               published_load_1(), published_load_2(), published_purchase(), ota_load_exact(),
               ota_load_newest_key(),
               rollover_exact(), rollover_new_only(),
               bill_not_china_mobile(), bill_not_china_mobile_zh(), bill_above_limit(),
               reset_op_exact(), close_exact(), cancel_exact()]
    if "--json" in sys.argv[1:]:
        print(json.dumps({v.path: v.as_json() for v in vectors}, indent=2))
        return
    for v in vectors:
        v.show()
    if "--check" in sys.argv[1:]:
        sys.exit(0 if check(vectors) else 1)


if __name__ == "__main__":
    main()
