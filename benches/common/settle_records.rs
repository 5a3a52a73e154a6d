//! The settlement bench's records, shared by `benches/settle.rs` and
//! `examples/settle_phases.rs` (benches/README.md): genuine offline purchase records whose TACs
//! the clearing host verifies.

use stk_wallet::crypto;
use stk_wallet::pos::PurchaseRecord;
use stk_wallet::profile::Profile;

pub const DATE: [u8; 4] = [0x20, 0x26, 0x11, 0x30];
pub const TIME: [u8; 3] = [0x21, 0x40, 0x00];
/// Records per card (the card's offline counter is 16 bits).
pub const PER_CARD: usize = 10_000;

/// `n` genuine records over `n / PER_CARD` cards, two terminals, TTCs unique per terminal.
pub fn records(p: &Profile, n: usize) -> Vec<PurchaseRecord> {
    let mut out = Vec::with_capacity(n);
    let mut key = None;
    for i in 0..n {
        let mut serial = p.issuer.serial;
        serial[..4].copy_from_slice(&((i / PER_CARD) as u32).to_be_bytes());
        if i % PER_CARD == 0 {
            key = Some(crypto::tac_key(&p.keys.tac.card_key(&serial)));
        }
        let term_id = [0x00, 0x11, 0x22, 0x33, 0x44, (i % 2) as u8];
        let ttc = (i / 2) as u32;
        let amount = 100 + (i % 900) as u32;
        let tac = crypto::purchase_tac(key.as_ref().unwrap(), amount, &term_id, ttc, &DATE, &TIME);
        out.push(PurchaseRecord {
            serial,
            counter: (i % PER_CARD) as u16,
            amount,
            term_id,
            ttc,
            date: DATE,
            time: TIME,
            tac,
            flagged: false,
            recovered: false,
        });
    }
    out
}
