//! Card images: round trip, and refusal of damaged files without loading half a card.

mod common;

use common::{card_image, new_card, pos_with};
use stk_wallet::card::{Card, Interface, image};
use stk_wallet::pos::{Clock, Pos};
use stk_wallet::profile::Profile;
use stk_wallet::transport::sim::{SharedCard, SimCard, SimPsam};

/// A POS on the contactless side of `card`, stamping 2026-11-22 at `time`.
fn pos_on(card: &SharedCard, p: &Profile, time: [u8; 3]) -> Pos<SimCard, SimPsam> {
    let mut pos = pos_with(SimCard::contactless(card.clone()), p);
    pos.clock = Clock::Fixed {
        date: [0x20, 0x26, 0x11, 0x22],
        time,
    };
    pos
}

fn card_with_a_purchase() -> Card {
    let p = Profile::default_profile();
    let card = new_card(&p);
    let mut pos = pos_on(&card, &p, [0x12, 0, 0]);
    pos.purchase(250).expect("purchase");
    card.borrow().clone()
}

#[test]
fn round_trip_keeps_every_persistent_byte() {
    let c = card_with_a_purchase();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    image::save(&c, &path).unwrap();
    let back = image::load(&path).unwrap();
    assert_eq!(back.state(), c.state());
    assert_eq!(back.state().purse.balance, 10000 - 250);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn every_truncation_is_refused() {
    let bytes = image::to_bytes(&card_with_a_purchase());
    for n in (0..bytes.len() - 1).step_by(7) {
        let e = image::from_bytes(&bytes[..n], "t")
            .err()
            .unwrap_or_else(|| panic!("truncated at {n} loaded"));
        assert!(e.to_string().starts_with("I-IMAGE"), "{e}");
    }
}

#[test]
fn every_bit_flip_in_the_state_is_refused_or_harmless() {
    let bytes = image::to_bytes(&card_with_a_purchase());
    let original = image::from_bytes(&bytes, "t").unwrap();
    let mut refused = 0;
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0x04;
        match image::from_bytes(&b, "t") {
            Err(_) => refused += 1,
            // A flip in JSON whitespace or in the letter case of the stored CRC changes nothing.
            Ok(c) => assert_eq!(
                c.state(),
                original.state(),
                "a flip at byte {i} loaded a different card"
            ),
        }
    }
    assert!(refused > bytes.len() / 4, "only {refused} flips refused");
}

#[test]
fn wrong_version_and_oversize_are_refused_with_a_reason() {
    let bytes = image::to_bytes(&card_with_a_purchase());
    let text = String::from_utf8(bytes)
        .unwrap()
        .replacen("\"version\": 1", "\"version\": 2", 1);
    let e = image::from_bytes(text.as_bytes(), "t")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("version 2"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; (image::MAX_IMAGE_BYTES + 1) as usize]).unwrap();
    let e = image::load(&big).err().unwrap().to_string();
    assert!(e.contains("more than"), "{e}");
}

#[test]
fn an_image_saved_mid_commit_recovers_to_old_or_new() {
    // Tear the DEBIT's commit at each write, save what the card holds, reload: the reloaded card
    // has the old balance (journal not armed) or the new one (armed journal replayed).
    let base = card_with_a_purchase();
    let p = Profile::default_profile();
    let mut results = Vec::new();
    for n in 0..12 {
        let card = stk_wallet::transport::sim::shared(base.clone());
        let mut pos = pos_on(&card, &p, [0x12, 0, 1]);
        let info = pos.select().unwrap();
        // Tear only inside DEBIT: INITIALIZE itself writes the random cursor once.
        let _ = card
            .borrow_mut()
            .process(Interface::Contactless, &[0x80, 0x5C, 0x00, 0x02, 0x04]);
        card.borrow_mut().tear_after_writes(n + 1);
        let r = pos.purchase_selected(&info, 100);
        let bytes = image::to_bytes(&card.borrow());
        let back = image::from_bytes(&bytes, "t").unwrap();
        let bal = back.state().purse.balance;
        assert!(bal == 9750 || bal == 9650, "tear {n}: balance {bal}");
        let ctr = back.state().purse.offline_counter;
        assert_eq!(
            ctr,
            if bal == 9650 { 2 } else { 1 },
            "tear {n}: counter and balance disagree"
        );
        assert_eq!(
            back.state().log.count,
            ctr as u8,
            "tear {n}: log and counter disagree"
        );
        results.push((r.is_ok(), bal));
    }
    assert!(
        results.iter().any(|r| r.1 == 9750) && results.iter().any(|r| r.1 == 9650),
        "{results:?}"
    );
}

#[test]
fn image_size_does_not_grow_with_transactions() {
    // The log is a fixed ring of ten records and the journal is emptied after every commit, so
    // the image is bounded: after 10 and after 600 purchases it differs only by the width of
    // the numbers in it (counters, write count, balance).
    let p = Profile::default_profile();
    let card = new_card(&p);
    let mut pos = pos_on(&card, &p, [0x12, 0, 0]);
    let mut sizes = Vec::new();
    for n in 1..=600 {
        pos.trace.0.clear();
        pos.purchase(1).unwrap();
        if n == 10 || n == 600 {
            sizes.push(image::to_bytes(&card.borrow()).len());
        }
    }
    assert!(
        sizes[1] <= sizes[0] + 16,
        "image grew from {} to {} bytes",
        sizes[0],
        sizes[1]
    );
}

#[test]
fn a_served_card_keeps_its_last_good_state_when_the_image_is_damaged() {
    use vpicc::VSmartCard;
    let p = Profile::default_profile();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    card_image(&path, &p);
    let card = stk_wallet::transport::sim::shared(image::load(&path).unwrap());
    let front = Box::new(stk_wallet::transport::sim::SimCard::contactless(
        card.clone(),
    ));
    let mut server = stk_wallet::serve::CardServer::new(card.clone(), front, Some(path.clone()));
    // Someone truncates the image on disk; at the next power-on the server refuses it.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    server.power_on();
    assert!(
        server
            .notices
            .iter()
            .any(|n| n.contains("I-IMAGE") && n.contains("last good card")),
        "{:?}",
        server.notices
    );
    let mut select = vec![0x00, 0xA4, 0x04, 0x00, p.wallet_aid.len() as u8];
    select.extend_from_slice(&p.wallet_aid);
    assert!(server.execute(&select).ends_with(&[0x90, 0x00]));
    assert_eq!(
        server.execute(&[0x80, 0x5C, 0x00, 0x02, 0x04]),
        vec![0x00, 0x00, 0x27, 0x10, 0x90, 0x00]
    );
}
