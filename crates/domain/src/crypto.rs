//! PBOC e-purse cryptography (docs/spec.md §4) on RustCrypto's `des` and `cbc-mac`.
//!
//! - 3DES is two-key EDE on one block ([`tdes`]).
//! - The MAC is ISO 9797-1 padding method 2 followed by single-DES CBC-MAC with a zero IV,
//!   truncated to 4 bytes ([`pboc_mac`]). `cbc-mac` does the chaining; it adds no extra block
//!   when the padded input is already aligned, so method-2 padding is all we add.
//! - Session keys, the TAC key and key diversification are one-liners over those two.
//!
//! The formulae for MAC1/MAC2/TAC inputs live here once, shared by the card, the PSAM and the
//! hosts. Their correctness is pinned by the published examples in the tests below and by the
//! vectors under `vectors/`, whose expected bytes were derived with OpenSSL, not with this code.

use cbc_mac::{CbcMac, Mac};
use des::cipher::{BlockCipherEncrypt, KeyInit};
use des::{Des, TdesEde2};

pub type Key16 = [u8; 16];
pub type Key8 = [u8; 8];
pub type Mac4 = [u8; 4];

/// Two-key triple DES (EDE) of one 8-byte block.
pub fn tdes(key: &Key16, block: [u8; 8]) -> [u8; 8] {
    let cipher = TdesEde2::new(key.into());
    let mut b = block.into();
    cipher.encrypt_block(&mut b);
    b.into()
}

/// The PBOC MAC: pad with `80 00..` to a multiple of 8 (a whole block when aligned), single-DES
/// CBC with `key`, IV zero, first 4 bytes of the last block.
pub fn pboc_mac(key: &Key8, data: &[u8]) -> Mac4 {
    let mut mac = <CbcMac<Des> as KeyInit>::new(key.into());
    mac.update(data);
    mac.update(&[0x80]);
    // cbc-mac pads the final partial block with zeros, which completes ISO 9797-1 method 2.
    let out = mac.finalize().into_bytes();
    [out[0], out[1], out[2], out[3]]
}

/// Card key diversification: `3DES(MK, F) ‖ 3DES(MK, NOT F)`, F = the last 8 bytes of the
/// 10-byte application serial number.
pub fn diversify(master: &Key16, serial: &[u8; 10]) -> Key16 {
    let mut f = [0u8; 8];
    f.copy_from_slice(&serial[2..]);
    let left = tdes(master, f);
    let right = tdes(master, f.map(|b| !b));
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&left);
    k[8..].copy_from_slice(&right);
    k
}

/// Load session key SESLK = 3DES(DLK, random ‖ online counter ‖ `80 00`).
pub fn load_session_key(dlk: &Key16, random: [u8; 4], online_ctr: u16) -> Key8 {
    let c = online_ctr.to_be_bytes();
    let r = random;
    tdes(dlk, [r[0], r[1], r[2], r[3], c[0], c[1], 0x80, 0x00])
}

/// Purchase session key SESPK = 3DES(DPK, random ‖ offline counter ‖ TTC[2..4]).
pub fn purchase_session_key(dpk: &Key16, random: [u8; 4], offline_ctr: u16, ttc: u32) -> Key8 {
    let c = offline_ctr.to_be_bytes();
    let t = ttc.to_be_bytes();
    let r = random;
    tdes(dpk, [r[0], r[1], r[2], r[3], c[0], c[1], t[2], t[3]])
}

/// TAC key = DTK[0..8] XOR DTK[8..16].
pub fn tac_key(dtk: &Key16) -> Key8 {
    std::array::from_fn(|i| dtk[i] ^ dtk[i + 8])
}

/// Whether a 16-byte key has equal halves (its TAC key would be all zeros).
pub fn is_degenerate(key: &Key16) -> bool {
    key[..8] == key[8..]
}

/// Transaction type bytes (docs/spec.md §3).
pub const TYPE_LOAD: u8 = 0x02;
pub const TYPE_PURCHASE: u8 = 0x06;
pub const TYPE_COMPOSITE: u8 = 0x09;

/// Load MAC1 (card → host): balance-before ‖ amount ‖ type ‖ termID.
pub fn load_mac1(seslk: &Key8, balance: u32, amount: u32, term: &[u8; 6]) -> Mac4 {
    let mut d = Vec::with_capacity(15);
    d.extend_from_slice(&balance.to_be_bytes());
    d.extend_from_slice(&amount.to_be_bytes());
    d.push(TYPE_LOAD);
    d.extend_from_slice(term);
    pboc_mac(seslk, &d)
}

/// Load MAC2 (host → card): amount ‖ type ‖ termID ‖ date ‖ time.
pub fn load_mac2(
    seslk: &Key8,
    amount: u32,
    term: &[u8; 6],
    date: &[u8; 4],
    time: &[u8; 3],
) -> Mac4 {
    let mut d = Vec::with_capacity(18);
    d.extend_from_slice(&amount.to_be_bytes());
    d.push(TYPE_LOAD);
    d.extend_from_slice(term);
    d.extend_from_slice(date);
    d.extend_from_slice(time);
    pboc_mac(seslk, &d)
}

/// Load TAC: balance-after ‖ online ctr (before) ‖ amount ‖ type ‖ termID ‖ date ‖ time.
pub fn load_tac(
    tac_key: &Key8,
    balance_after: u32,
    ctr_before: u16,
    amount: u32,
    term: &[u8; 6],
    date: &[u8; 4],
    time: &[u8; 3],
) -> Mac4 {
    let mut d = Vec::with_capacity(24);
    d.extend_from_slice(&balance_after.to_be_bytes());
    d.extend_from_slice(&ctr_before.to_be_bytes());
    d.extend_from_slice(&amount.to_be_bytes());
    d.push(TYPE_LOAD);
    d.extend_from_slice(term);
    d.extend_from_slice(date);
    d.extend_from_slice(time);
    pboc_mac(tac_key, &d)
}

/// Purchase MAC1 (PSAM → card): amount ‖ type ‖ termID ‖ date ‖ time.
pub fn purchase_mac1(
    sespk: &Key8,
    amount: u32,
    term: &[u8; 6],
    date: &[u8; 4],
    time: &[u8; 3],
) -> Mac4 {
    let mut d = Vec::with_capacity(18);
    d.extend_from_slice(&amount.to_be_bytes());
    d.push(TYPE_PURCHASE);
    d.extend_from_slice(term);
    d.extend_from_slice(date);
    d.extend_from_slice(time);
    pboc_mac(sespk, &d)
}

/// Purchase MAC2 (card → PSAM): amount.
pub fn purchase_mac2(sespk: &Key8, amount: u32) -> Mac4 {
    pboc_mac(sespk, &amount.to_be_bytes())
}

/// Purchase TAC: amount ‖ type ‖ termID ‖ TTC ‖ date ‖ time.
pub fn purchase_tac(
    tac_key: &Key8,
    amount: u32,
    term: &[u8; 6],
    ttc: u32,
    date: &[u8; 4],
    time: &[u8; 3],
) -> Mac4 {
    let mut d = Vec::with_capacity(22);
    d.extend_from_slice(&amount.to_be_bytes());
    d.push(TYPE_PURCHASE);
    d.extend_from_slice(term);
    d.extend_from_slice(&ttc.to_be_bytes());
    d.extend_from_slice(date);
    d.extend_from_slice(time);
    pboc_mac(tac_key, &d)
}

/// Hex helper for tests and vectors: spaces ignored.
pub fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let v = hex::decode(s.replace(' ', "")).expect("hex");
    v.try_into().expect("length")
}

/// Issuer command MAC (RELOAD PIN, RESET OPERATION PASSWORD; a layout docs/spec.md §4 leaves to us):
/// session key SESIK = 3DES(issuer card key, challenge ‖ `00 00 00 00`), where the challenge is
/// the card's GET CHALLENGE answer, so a captured command cannot be replayed; the MAC covers
/// the command header `CLA INS P1 P2 Lc` and the new value.
pub fn issuer_mac(issuer_key: &Key16, challenge: [u8; 4], header: [u8; 5], value: &[u8]) -> Mac4 {
    let c = challenge;
    let ses = tdes(issuer_key, [c[0], c[1], c[2], c[3], 0, 0, 0, 0]);
    let mut d = header.to_vec();
    d.extend_from_slice(value);
    pboc_mac(&ses, &d)
}

#[cfg(test)]
mod tests {
    //! Every expected value here is published in docs/spec.md §4 (real cards and a public
    //! walkthrough) and was re-derived with `openssl enc -des-ede-ecb` / `-des-cbc`.
    use super::*;

    #[test]
    fn real_card_load_example_1() {
        let dlk: Key16 = unhex("3F013F013F013F013F013F013F013F01");
        let seslk = load_session_key(&dlk, unhex("F9CABA91"), 0);
        assert_eq!(seslk, unhex::<8>("03015BEA347EA231"));
        assert_eq!(
            load_mac1(&seslk, 0, 0x1234, &unhex("000000000001")),
            unhex::<4>("6C394D64")
        );
    }

    #[test]
    fn real_card_load_example_2() {
        let dlk: Key16 = unhex("3F3F3F3F3F3F3F3F1122334455667788");
        let seslk = load_session_key(&dlk, unhex("4E066548"), 0);
        assert_eq!(
            load_mac1(&seslk, 0, 0x10, &unhex("666666666666")),
            unhex::<4>("0D39ADBB")
        );
    }

    #[test]
    fn purchase_walkthrough() {
        let dpk: Key16 = unhex("11223344556677888877665544332211");
        let sespk = purchase_session_key(&dpk, unhex("11223344"), 0, 1);
        assert_eq!(sespk, unhex::<8>("003238ABC57659DD"));
        let mac1 = purchase_mac1(
            &sespk,
            0x1000,
            &unhex("001122334455"),
            &unhex("20120229"),
            &unhex("135100"),
        );
        assert_eq!(mac1, unhex::<4>("F15CAB75"));
        assert_eq!(purchase_mac2(&sespk, 0x1000), unhex::<4>("56988A13"));
        let dtk: Key16 = unhex("00112233445566778899AABBCCDDEEFF");
        assert_eq!(tac_key(&dtk), unhex::<8>("8888888888888888"));
    }

    #[test]
    fn mac_pads_a_whole_block_when_aligned() {
        // 8 aligned bytes → two blocks (data, then 80 00..). Derived with
        // `openssl enc -des-cbc -K 0123456789ABCDEF -iv 0 -nopad` over 0000000000000000 8000000000000000.
        let m = pboc_mac(&unhex("0123456789ABCDEF"), &[0u8; 8]);
        assert_eq!(m, unhex::<4>("8B9EFCDE"));
    }

    #[test]
    fn diversification_matches_openssl() {
        // MK 404142..4F, serial 0000 0102030405060708: 3DES(MK, 0102..08) and of its complement,
        // both by `openssl enc -des-ede-ecb -K 404142434445464748494A4B4C4D4E4F -nopad`.
        let mk: Key16 = unhex("404142434445464748494A4B4C4D4E4F");
        let k = diversify(&mk, &unhex("00000102030405060708"));
        assert_eq!(k, unhex::<16>("0E9A7741E84385BE9C10AC38806AD146"));
    }
}
