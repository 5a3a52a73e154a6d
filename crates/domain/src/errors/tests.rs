use super::*;

fn in_catalogue(e: &Entry) -> bool {
    all().contains(e)
}

#[test]
fn lookup_accepts_spacing_prefix_and_case() {
    let want = lookup("9302").expect("9302 is catalogued");
    assert!(want.code.eq_ignore_ascii_case("9302"));
    for form in ["93 02", "0x9302", "0X9302", " 0x93 02 ", "9 3 0 2"] {
        assert_eq!(lookup(form), Some(want), "form {form:?}");
    }
    // The entry found by code is the one the card's status word explains to.
    assert_eq!(for_sw(Sw::MAC_INVALID), want);

    let pd = lookup("P-DIGEST").expect("P-DIGEST is catalogued");
    assert_eq!(lookup("p-digest"), Some(pd));
    assert_eq!(lookup("P-Digest"), Some(pd));
    assert_ne!(pd, want);

    // Lower-case hex digits in a status word.
    assert_eq!(lookup("6a82"), lookup("6A82"));
    assert!(lookup("6a82").is_some());
}

#[test]
fn lookup_rejects_garbage_and_uncatalogued() {
    for bad in [
        "", "  ", "0x", "93", "930", "93022", "zzzz", "P-NOPE", "digest", "6A99",
    ] {
        assert_eq!(lookup(bad), None, "{bad:?}");
    }
}

#[test]
fn every_entry_is_found_by_its_own_code() {
    for e in &all() {
        assert_eq!(lookup(e.code), Some(*e), "{}", e.code);
        assert_eq!(lookup(&e.code.to_ascii_lowercase()), Some(*e), "{}", e.code);
    }
}

#[test]
fn wrong_pin_matches_pattern_and_counts_tries() {
    let pattern = lookup("63C2").expect("63C2 matches a pattern");
    assert!(is_pattern(pattern.code));
    assert_eq!(lookup("63cx"), Some(pattern));
    assert_eq!(for_sw(Sw::wrong_pin(2)), pattern);
    // Every tries-left value maps to the same pattern entry.
    for n in 0..=15 {
        assert_eq!(for_sw(Sw::wrong_pin(n)), pattern);
    }

    let r2 = render_for(Sw::wrong_pin(2));
    assert!(r2.starts_with("63C2"), "{r2}");
    assert!(r2.contains("2 tries left"), "{r2}");
    assert!(r2.contains('2') && r2.contains("次"), "{r2}");
    let r1 = render_for(Sw::wrong_pin(1));
    assert!(r1.contains("1 try left") && !r1.contains("2 tries"), "{r1}");
    let r0 = render_for(Sw::wrong_pin(0));
    assert!(r0.contains("locked"), "{r0}");
}

#[test]
fn other_patterns_fill_in_sw2() {
    let le = render_for(Sw::wrong_le(30));
    assert!(le.starts_with("6C1E"), "{le}");
    assert!(le.contains("Le = 1E") && le.contains("30 bytes"), "{le}");
    assert!(render_for(Sw(0x6C00)).contains("256"));

    let pro = render_for(Sw::proactive(46));
    assert!(pro.starts_with("912E"), "{pro}");
    assert!(pro.contains("46 bytes"), "{pro}");
    assert_eq!(for_sw(Sw::proactive(46)), for_sw(Sw::proactive(7)));
}

#[test]
fn unknown_sw_gets_generic_entry_naming_its_class() {
    // One status word per ISO 7816-4 group that the catalogue does not list.
    let samples: [(u16, &str); 14] = [
        (0x6110, "61"),
        (0x6283, "62"),
        (0x6381, "63"),
        (0x6401, "64"),
        (0x6581, "65"),
        (0x6600, "66"),
        (0x6701, "67"),
        (0x6881, "68"),
        (0x6999, "69"),
        (0x6A99, "6A"),
        (0x6B01, "6B"),
        (0x6D01, "6D"),
        (0x6E01, "6E"),
        (0x6F01, "6F"),
    ];
    let mut seen = Vec::new();
    for (sw, class) in samples {
        let e = for_sw(Sw(sw));
        assert!(!in_catalogue(&e), "{sw:04X} should not be catalogued");
        assert!(e.en.contains("unknown"), "{sw:04X}: {}", e.en);
        assert!(
            e.en.contains(&format!("class {class}")),
            "{sw:04X}: {}",
            e.en
        );
        assert!(e.zh.contains(&format!("{class}组")), "{sw:04X}: {}", e.zh);
        // Same class, other SW2: same entry.
        assert_eq!(e, for_sw(Sw(sw ^ 0x0002)), "{sw:04X}");
        assert!(!seen.contains(&e), "{sw:04X} shares a generic entry");
        seen.push(e);
        assert!(render_for(Sw(sw)).starts_with(&format!("{sw:04X}")));
    }
    // 6C and 91 are fully explained by their pattern entries.
    assert!(in_catalogue(&for_sw(Sw(0x6C42))));
    assert!(in_catalogue(&for_sw(Sw(0x9142))));
    // Outside the groups, and application-specific 9X.
    let bad = for_sw(Sw(0x1234));
    assert!(!in_catalogue(&bad) && bad.en.contains("unknown"));
    // 9F is the GSM-class "response data waiting" (9Fxx); 9E is not the wallet's.
    assert!(in_catalogue(&for_sw(Sw(0x9F17))));
    let app = for_sw(Sw(0x9E10));
    assert!(!in_catalogue(&app) && app.en.contains("unknown") && app != bad);
    assert_eq!(
        for_sw(Sw(0x6000)),
        bad,
        "60 is a procedure byte, not a class"
    );
}

#[test]
fn required_codes_are_all_catalogued() {
    let required = [
        "9000",
        "91xx",
        "9300",
        "6700",
        "6Cxx",
        "6982",
        "6983",
        "6985",
        "6A80",
        "6A81",
        "6A82",
        "6A83",
        "6A86",
        "6A88",
        "6B00",
        "6D00",
        "6E00",
        "6F00",
        "9302",
        "9401",
        "9402",
        "9403",
        "9406",
        "63Cx",
        "P-DIGEST",
        "P-NO-RESPONSE",
        "P-TORN-RECOVERED",
        "P-PSAM",
        "P-READER",
        "P-TERMINAL-BUSY",
        "P-TERMINAL",
        "H-MAC1",
        "H-UNREACHABLE",
        "H-REVERSAL-PENDING",
        "H-TAC",
        "H-DUPLICATE",
        "V-MISMATCH",
        "V-SW",
        "V-FORMAT",
        "I-IMAGE",
        "I-PROFILE",
        "I-FAULT",
    ];
    for code in required {
        let e = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
        assert!(
            e.code.eq_ignore_ascii_case(code),
            "{code} found as {}",
            e.code
        );
    }
}

#[test]
fn every_named_status_word_has_its_own_entry() {
    let named = [
        Sw::OK,
        Sw::WRONG_LENGTH,
        Sw::SECURITY_NOT_SATISFIED,
        Sw::BLOCKED,
        Sw::CONDITIONS_NOT_SATISFIED,
        Sw::WRONG_DATA,
        Sw::WALLET_CLOSED,
        Sw::NOT_FOUND,
        Sw::RECORD_NOT_FOUND,
        Sw::WRONG_P1P2,
        Sw::DATA_NOT_FOUND,
        Sw::WRONG_OFFSET,
        Sw::INS_NOT_SUPPORTED,
        Sw::CLA_NOT_SUPPORTED,
        Sw::UNKNOWN,
        Sw::MAC_INVALID,
        Sw::INSUFFICIENT_BALANCE,
        Sw::COUNTER_MAX,
        Sw::KEY_NOT_FOUND,
        Sw::NO_PROOF,
        Sw::TOOLKIT_BUSY,
        Sw::WRONG_FILE_STRUCTURE,
        Sw::NO_CURRENT_EF,
        Sw::GSM_NO_EF,
        Sw::GSM_NOT_FOUND,
        Sw::GSM_WRONG_FILE,
        Sw::PIN_DISABLED,
        Sw::GSM_CHV_DISABLED,
    ];
    for sw in named {
        let e = for_sw(sw);
        assert!(in_catalogue(&e), "{sw}");
        assert_eq!(e.code, format!("{sw}"), "{sw} explained by another entry");
    }
}

#[test]
fn entries_are_complete_and_codes_unique() {
    let has_cjk = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    let entries = all();
    let generics = GENERIC
        .iter()
        .map(|(_, e)| e)
        .chain([&GENERIC_APP, &GENERIC_INVALID]);
    let mut codes: Vec<String> = Vec::new();
    for e in &all() {
        let c = e.code.to_ascii_uppercase();
        assert!(!codes.contains(&c), "duplicate code {}", e.code);
        codes.push(c);
        let prefixed = ["P-", "H-", "V-", "I-"]
            .iter()
            .any(|p| e.code.starts_with(p) && e.code.len() > 2);
        assert!(is_sw_code(e.code) || prefixed, "bad code shape {}", e.code);
        assert_eq!(e.code.trim(), e.code);
    }
    for e in entries.iter().chain(generics) {
        for (what, f) in [
            ("code", e.code),
            ("en", e.en),
            ("zh", e.zh),
            ("cause", e.cause),
            ("remedy", e.remedy),
        ] {
            assert!(!f.trim().is_empty(), "{}: empty {what}", e.code);
            assert!(!f.contains('\n'), "{}: {what} is not one line", e.code);
        }
        assert!(has_cjk(e.zh), "{}: zh has no Chinese", e.code);
        assert!(!has_cjk(e.en), "{}: en has Chinese", e.code);
    }
}

#[test]
fn render_shapes() {
    for e in &all() {
        let r = e.render();
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines.len(), 3, "{r}");
        assert!(lines[0].starts_with(e.code) && lines[0].contains(e.en));
        assert!(lines[0].contains(e.zh));
        assert!(lines[1].trim_start().starts_with("cause:") && lines[1].contains(e.cause));
        assert!(lines[2].trim_start().starts_with("remedy:") && lines[2].contains(e.remedy));
        let o = e.one_line();
        assert!(!o.contains('\n') && o.starts_with(e.code));
        assert!(o.contains(e.en) && o.contains(e.zh));
    }
}

#[test]
fn every_code_is_listed_once_and_has_its_own_entry() {
    // ALL is generated from the enum's own variant list; its order is the discriminants'.
    for (i, c) in Code::ALL.iter().enumerate() {
        assert_eq!(*c as usize, i, "{c} out of place in Code::ALL");
        let e = c.entry();
        assert_eq!(e.code, c.as_str());
        assert_eq!(lookup(c.as_str()), Some(e), "{c}");
        assert!(!is_sw_code(c.as_str()), "{c} looks like a status word");
        assert_eq!(c.to_string(), c.as_str());
        assert_eq!(c.as_str().parse::<Code>(), Ok(*c));
        assert_eq!(c.as_str().to_lowercase().parse::<Code>(), Ok(*c));
        assert_eq!(c.as_str().parse::<Reason>(), Ok(Reason::Code(*c)));
        assert_eq!(Reason::from(*c).render(), e.render());
    }
    // No two codes share an entry or a text.
    for (i, a) in Code::ALL.iter().enumerate() {
        for b in &Code::ALL[i + 1..] {
            assert_ne!(a.as_str(), b.as_str());
            assert_ne!(a.entry(), b.entry(), "{a} and {b}");
        }
    }
    let codes: Vec<Entry> = all().into_iter().filter(|e| !is_sw_code(e.code)).collect();
    assert_eq!(codes.len(), Code::ALL.len());
}

#[test]
fn unknown_codes_are_refused_with_the_known_list() {
    for bad in ["P-NOPE", "", "P-", "PDIGEST", "P_DIGEST", "P-NOT-WALLET"] {
        let err = bad.parse::<Code>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("`{bad}`")), "{msg}");
        assert!(
            msg.contains("P-DIGEST") && msg.contains("I-PROFILE"),
            "{msg}"
        );
        assert!(bad.parse::<Reason>().is_err(), "{bad}");
    }
}

#[test]
fn reason_parses_status_words_and_codes() {
    for form in ["9302", "93 02", "0x9302", "0X93 02"] {
        assert_eq!(
            form.parse::<Reason>(),
            Ok(Reason::Sw(Sw::MAC_INVALID)),
            "{form}"
        );
    }
    assert_eq!(
        "p-digest".parse::<Reason>(),
        Ok(Reason::Code(Code::PDigest))
    );
    assert_eq!(Reason::Sw(Sw(0x63C2)).to_string(), "63C2");
    assert!(Reason::Sw(Sw(0x63C2)).render().contains("2 tries left"));
    assert_eq!(Reason::from(Code::HTac).to_string(), "H-TAC");
    assert_eq!(Reason::from(Code::HTac), Code::HTac);
    assert_eq!(Reason::from(Sw::OK), Sw::OK);
    assert_ne!(Reason::from(Sw::OK), Code::HTac);
    assert_eq!(Reason::from(Code::VSw).code(), Some(Code::VSw));
    assert_eq!(Reason::from(Sw::OK).sw(), Some(Sw::OK));
    // Patterns are catalogue keys, not status words.
    assert!("63Cx".parse::<Reason>().is_err());
    assert!("930".parse::<Reason>().is_err());
}

#[test]
fn for_sw_total_over_all_status_words() {
    for v in 0..=u16::MAX {
        let sw = Sw(v);
        let e = for_sw(sw);
        assert!(!e.en.is_empty() && !e.zh.is_empty() && !e.remedy.is_empty());
        let hex = format!("{v:04X}");
        if in_catalogue(&e) {
            // A catalogued answer really is about this status word.
            assert!(pattern_matches(e.code, &hex), "{hex} -> {}", e.code);
        }
        if sw.is_success() {
            assert!(in_catalogue(&e), "{hex} is success but uncatalogued");
        }
        let r = render_for(sw);
        assert!(r.starts_with(&hex) && r.lines().count() == 3, "{r}");
    }
}
