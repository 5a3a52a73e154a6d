#!/usr/bin/env python3
"""Writes vectors/toolkit/help.json: help on a SET UP MENU item and result 13 on an input.

Every byte is built here from TS 102 223's TLV rules (command details 81, device identities 82,
TEXT STRING 8D with DCS 04, response length 91, result 83, item identifier 90, help request
95 00, the D0 and D3 wrappers) and the card's help texts as docs/toolkit.md lists them. It does
not read or run the Rust code.

Usage: python3 vectors/derive/help_vector.py   (rewrites the file)
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "toolkit", "help.json")


def x(b):
    return " ".join(f"{c:02X}" for c in b)


def gsm(s):
    """GSM 03.38 default alphabet, unpacked (DCS 04): for letters, digits, space and
    * , : ( ) - . = the septet is the ASCII code."""
    assert all(c.isascii() and (c.isalnum() or c in " *,:()-.=") for c in s), s
    return s.encode("ascii")


def ctlv(tag, v):
    return bytes([tag, len(v)]) + v


def d0(body):
    return bytes([0xD0, len(body)]) + body


def display(n, text):
    """DISPLAY TEXT, qualifier 80 (wait for the user), UICC -> display."""
    return d0(ctlv(0x81, bytes([n, 0x21, 0x80])) + ctlv(0x82, bytes([0x81, 0x02]))
              + ctlv(0x8D, b"\x04" + gsm(text)))


def get_input(n, q, text, mn, mx):
    return d0(ctlv(0x81, bytes([n, 0x23, q])) + ctlv(0x82, bytes([0x81, 0x82]))
              + ctlv(0x8D, b"\x04" + gsm(text)) + ctlv(0x91, bytes([mn, mx])))


def select_item(n, title, items, default=None):
    """SELECT ITEM, qualifier 80: alpha identifier 85, items 8F (id + GSM text, no DCS), then
    the default item identifier 90 01 id if any."""
    body = ctlv(0x81, bytes([n, 0x24, 0x80])) + ctlv(0x82, bytes([0x81, 0x82])) + ctlv(0x85, gsm(title))
    for i, t in items:
        body += ctlv(0x8F, bytes([i]) + gsm(t))
    if default is not None:
        body += ctlv(0x90, bytes([default]))
    return d0(body)


def tr(n, t, q, result, extra=b""):
    body = (ctlv(0x81, bytes([n, t, q])) + ctlv(0x82, bytes([0x82, 0x81])) + ctlv(0x83, result)
            + extra)
    return bytes([0x80, 0x14, 0, 0, len(body)]) + body


def envelope(item, help_request):
    body = ctlv(0x82, bytes([0x01, 0x81])) + ctlv(0x90, bytes([item]))
    if help_request:
        body += bytes([0x95, 0x00])
    m = bytes([0xD3, len(body)]) + body
    return bytes([0x80, 0xC2, 0, 0, len(m)]) + m


# English handset (byte 2 b7 clear) with BIP and PROVIDE LOCAL INFORMATION, as derive.py's.
TP = bytes.fromhex("09 21 0F 21 00 00 00 14 00 00 00 0F 22 00 00 00 01".replace(" ", ""))
MENU_HELP = "Pay a phone bill from the wallet"
AMOUNT = "Top-up amount (yuan, * = point)"
AMOUNT_HELP = "Amount in yuan, * is the point: 50*00"
LIMIT_HELP = "See or change the most one payment may be"
HELP_AVAILABLE = 0x80


def main():
    dt2 = display(2, MENU_HELP)
    gi4 = get_input(4, HELP_AVAILABLE, AMOUNT, 1, 10)
    dt5 = display(5, AMOUNT_HELP)
    gi6 = get_input(6, HELP_AVAILABLE, AMOUNT, 1, 10)
    si3 = select_item(3, "My Wallet", [(1, "Top Up"), (2, "Balance")])
    settings = [(1, "Operation Password"), (2, "Single-Payment Limit"),
                (3, "Change Payment Password"), (4, "Close Wallet")]
    si7 = select_item(7, "Wallet Settings", settings)
    dt8 = display(8, LIMIT_HELP)
    si9 = select_item(9, "Wallet Settings", settings, default=2)
    assert len(si7) == 0x71 and len(dt8) == 0x37 and len(si9) == 0x74
    assert len(dt2) == 0x2E and len(dt5) == 0x33 and len(gi4) == 0x31
    steps = [
        {"note": "TERMINAL PROFILE: English (byte 2 b7 clear), BIP, PROVIDE LOCAL INFORMATION",
         "apdu": x(bytes([0x80, 0x10, 0, 0, len(TP)]) + TP), "sw": "9152"},
        {"note": "FETCH SET UP MENU: qualifier 80, help information available (items as in english_fallback_a0.json)",
         "apdu": "80 12 00 00 52",
         "expect": "D0 50 81 03 01 25 80 82 02 81 82 85 0C 50686F6E652057616C6C6574 8F 0A 01 4D792057616C6C6574 8F 08 02 486973746F7279 8F 0F 03 5061792050686F6E652042696C6C 8F 10 04 57616C6C65742053657474696E6773"},
        {"note": "the handset accepts the menu", "apdu": x(tr(1, 0x25, 0x80, b"\x00")), "sw": "9000"},
        {"note": "MENU SELECTION with the help request (95 00) on item 3, Pay Phone Bill",
         "apdu": x(envelope(3, True)), "sw": f"91{len(dt2):02X}"},
        {"note": "FETCH: DISPLAY TEXT of item 3's help (qualifier 80: wait for the user), UICC -> display",
         "apdu": f"80 12 00 00 {len(dt2):02X}", "expect": x(dt2)},
        {"note": "acknowledged: the card is idle again, no SET UP MENU is sent again",
         "apdu": x(tr(2, 0x21, 0x80, b"\x00")), "sw": "9000"},
        {"note": "STATUS: nothing waiting", "apdu": "80 F2 00 0C", "sw": "9000"},
        {"note": "a help request on an item not in the menu: refused",
         "apdu": x(envelope(9, True)), "sw": "6A80"},
        {"note": "MENU SELECTION item 1, My Wallet", "apdu": x(envelope(1, False)),
         "sw": f"91{len(si3):02X}"},
        {"note": "FETCH: SELECT ITEM My Wallet, number 03, qualifier 80",
         "apdu": f"80 12 00 00 {len(si3):02X}", "expect": x(si3)},
        {"note": "choose 1, Top Up", "apdu": x(tr(3, 0x24, 0x80, b"\x00", ctlv(0x90, b"\x01"))),
         "sw": f"91{len(gi4):02X}"},
        {"note": "FETCH: GET INPUT of the amount, qualifier 80 (visible digits, help available)",
         "apdu": f"80 12 00 00 {len(gi4):02X}", "expect": x(gi4)},
        {"note": "result 13: help information required by the user",
         "apdu": x(tr(4, 0x23, 0x80, b"\x13")), "sw": f"91{len(dt5):02X}"},
        {"note": "FETCH: DISPLAY TEXT of the amount screen's help",
         "apdu": f"80 12 00 00 {len(dt5):02X}", "expect": x(dt5)},
        {"note": "acknowledged: the same question again",
         "apdu": x(tr(5, 0x21, 0x80, b"\x00")), "sw": f"91{len(gi6):02X}"},
        {"note": "FETCH: the same GET INPUT, number 06",
         "apdu": f"80 12 00 00 {len(gi6):02X}", "expect": x(gi6)},
        {"note": "end (10): nothing was loaded", "apdu": x(tr(6, 0x23, 0x80, b"\x10")), "sw": "9000"},
        {"note": "MENU SELECTION item 4, Wallet Settings", "apdu": x(envelope(4, False)),
         "sw": f"91{len(si7):02X}"},
        {"note": "FETCH: SELECT ITEM Wallet Settings, number 07, qualifier 80",
         "apdu": f"80 12 00 00 {len(si7):02X}", "expect": x(si7)},
        {"note": "result 13 with item identifier 02: help on Single-Payment Limit (TS 102 223 §6.4.9)",
         "apdu": x(tr(7, 0x24, 0x80, b"\x13", ctlv(0x90, b"\x02"))), "sw": f"91{len(dt8):02X}"},
        {"note": "FETCH: DISPLAY TEXT of item 2's help",
         "apdu": f"80 12 00 00 {len(dt8):02X}", "expect": x(dt8)},
        {"note": "acknowledged: the list again", "apdu": x(tr(8, 0x21, 0x80, b"\x00")),
         "sw": f"91{len(si9):02X}"},
        {"note": "FETCH: the same SELECT ITEM, number 09, with the item asked about as default item (90 01 02)",
         "apdu": f"80 12 00 00 {len(si9):02X}", "expect": x(si9)},
        {"note": "end (10)", "apdu": x(tr(9, 0x24, 0x80, b"\x10")), "sw": "9000"},
        {"balance": 10000, "interface": "contactless"},
    ]
    doc = {
        "name": "toolkit: help on a SET UP MENU item, result 13 on an input screen and on a list item",
        "spec": "§1 §1.1; TS 102 223 §6.4.9, §6.4.17, §8.6, §8.12; docs/toolkit.md (Help)",
        "description": (
            "An English handset (TERMINAL PROFILE byte 2 b7 clear). Every SET UP MENU, SELECT ITEM and GET INPUT "
            "carries qualifier b8 (80, help information available, TS 102 223 §8.6). A MENU SELECTION envelope "
            "with the help request object (tag 15 with its comprehension-required bit: 95 00, after the item "
            "identifier 90 01 03) is answered with a DISPLAY TEXT of the item's help; its acknowledgement leaves "
            "the card idle (STATUS 9000, no SET UP MENU again). A TERMINAL RESPONSE with general result 13 (help "
            "information required by the user, TS 102 223 §8.12) to the Top Up amount's GET INPUT is answered "
            "with a DISPLAY TEXT of that screen's help, then the same GET INPUT with the next command number. "
            "The help texts are the card's own words (docs/toolkit.md lists them); every byte is derived by hand "
            "from the TLV rules in vectors/derive/help_vector.py: 81 03 nn 21 80 (command details, DISPLAY "
            "TEXT, wait for the user), 82 02 81 02 (UICC to display), 8D L 04 text (TEXT STRING, DCS 04 = GSM "
            "default alphabet unpacked, one byte per character; for the letters, digits, space and * , : ( ) - = "
            "used here the GSM code is the ASCII code). 'Pay a phone bill from the wallet' is 32 characters: "
            "8D 21, body 5+4+35 = 44 = 2C, D0 2C, 46 bytes = 91 2E. 'Amount in yuan, * is the point: 50*00' is "
            "37 characters: 8D 26, body 5+4+40 = 49 = 31, D0 31, 51 bytes = 91 33. The GET INPUT 'Top-up amount "
            "(yuan, * = point)' is 31 characters: 8D 20, 91 02 01 0A (1-10 digits), body 5+4+34+4 = 47 = 2F, "
            "D0 2F, 49 bytes = 91 31. The SELECT ITEM My Wallet is 81 03 03 24 80, 82 02 81 82, 85 09 'My Wallet', 8F 07 01 'Top Up', 8F 08 02 'Balance': body 5+4+11+9+10 = 39 = 27, 41 bytes = 91 29. The envelope is D3 09 82 02 01 81 90 01 id 95 00; result 13 is 83 01 13. "
            "Last, result 13 with item identifier 90 01 02 to the Wallet Settings SELECT ITEM (TS 102 223 "
            "§6.4.9: the item the user asked help on) shows item 2's help, 'See or change the most one payment "
            "may be' (41 characters: 8D 2A, body 5+4+44 = 53 = 35, 55 bytes = 91 37), then the same list with "
            "that item as its default item, 90 01 02 appended (the list as in english_fallback_a0.json: "
            "5+4+17+21+23+26+15 = 111 = 6F, 113 bytes = 91 71; with the default item 72h, 116 bytes = 91 74)."
        ),
        "interface": "contact",
        "steps": steps,
    }
    with open(OUT, "w") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
