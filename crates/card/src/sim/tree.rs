//! The SIM file system as data: which DFs and EFs exist, where, with what structure and access
//! conditions, and how their contents and descriptions (FCP templates, GSM responses) are
//! encoded. docs/files.md lists the same table for people.

use crate::profile::SimSetup;
use crate::state::Personalisation;

/// The USIM application's AID (TS 101 220 annex E: RID A000000087, application code 1002,
/// country 86, then the provider's bytes).
pub const USIM_AID: [u8; 16] = [
    0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0x86, 0xFF, 0xFF, 0x89, 0xFF, 0xFF, 0xFF, 0xFF,
];
/// The file id of the MF.
pub const FID_MF: u16 = 0x3F00;
/// The reserved file id naming the current ADF (TS 102 221 §8.3).
pub const FID_CURRENT_ADF: u16 = 0x7FFF;
/// EF_DIR's record length: the longest application template, padded with `FF`.
pub const DIR_RECORD_LEN: usize = 0x20;

/// A dedicated file of the SIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Df {
    /// The master file 3F00.
    Mf,
    /// The USIM application's ADF (selected by its AID; `7FFF` when current).
    Usim,
    /// DF GSM 7F20, for class `A0` handsets.
    Gsm,
}

impl Df {
    pub fn fid(self) -> Option<u16> {
        match self {
            Df::Mf => Some(FID_MF),
            Df::Gsm => Some(0x7F20),
            Df::Usim => None,
        }
    }
    pub fn parent(self) -> Option<Df> {
        match self {
            Df::Mf => None,
            Df::Usim | Df::Gsm => Some(Df::Mf),
        }
    }
    /// The DFs a file id can name below this one (the ADF is reached by its AID only).
    fn child_dfs(self) -> &'static [Df] {
        match self {
            Df::Mf => &[Df::Gsm],
            _ => &[],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Df::Mf => "MF",
            Df::Usim => "ADF USIM",
            Df::Gsm => "DF GSM",
        }
    }
}

/// An elementary file of the SIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ef {
    Dir,
    Iccid,
    UsimImsi,
    Ust,
    UsimAd,
    GsmImsi,
    Sst,
    GsmAd,
}

/// How an EF is organised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structure {
    Transparent,
    LinearFixed { record_len: usize },
}

/// Who may do something to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Always,
    /// PIN1 (CHV1) verified, or PIN1 disabled (as it is by default).
    Pin1,
    /// Nobody: the card has no UPDATE command.
    Never,
}

impl Access {
    /// GSM 11.11 §9.3 access condition nibble.
    fn gsm_nibble(self) -> u8 {
        match self {
            Access::Always => 0x0,
            Access::Pin1 => 0x1,
            Access::Never => 0xF,
        }
    }
    /// ISO 7816-4 §5.4.3.1 security condition byte of the compact format: `00` always, `FF`
    /// never, `10` user authentication (the PIN).
    fn sc_byte(self) -> u8 {
        match self {
            Access::Always => 0x00,
            Access::Pin1 => 0x10,
            Access::Never => 0xFF,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Access::Always => "ALW",
            Access::Pin1 => "PIN1",
            Access::Never => "NEV",
        }
    }
}

/// One EF's place and shape.
#[derive(Clone, Copy, Debug)]
pub struct EfSpec {
    pub ef: Ef,
    pub parent: Df,
    pub fid: u16,
    pub name: &'static str,
    pub structure: Structure,
    pub read: Access,
    pub update: Access,
}

const fn ef(
    ef: Ef,
    parent: Df,
    fid: u16,
    name: &'static str,
    structure: Structure,
    read: Access,
) -> EfSpec {
    EfSpec {
        ef,
        parent,
        fid,
        name,
        structure,
        read,
        update: Access::Never,
    }
}

/// Every EF of the SIM file system.
pub const EFS: &[EfSpec] = &[
    ef(
        Ef::Dir,
        Df::Mf,
        0x2F00,
        "EF_DIR",
        Structure::LinearFixed {
            record_len: DIR_RECORD_LEN,
        },
        Access::Always,
    ),
    ef(
        Ef::Iccid,
        Df::Mf,
        0x2FE2,
        "EF_ICCID",
        Structure::Transparent,
        Access::Always,
    ),
    ef(
        Ef::UsimImsi,
        Df::Usim,
        0x6F07,
        "EF_IMSI",
        Structure::Transparent,
        Access::Pin1,
    ),
    ef(
        Ef::Ust,
        Df::Usim,
        0x6F38,
        "EF_UST",
        Structure::Transparent,
        Access::Pin1,
    ),
    ef(
        Ef::UsimAd,
        Df::Usim,
        0x6FAD,
        "EF_AD",
        Structure::Transparent,
        Access::Always,
    ),
    ef(
        Ef::GsmImsi,
        Df::Gsm,
        0x6F07,
        "EF_IMSI",
        Structure::Transparent,
        Access::Pin1,
    ),
    ef(
        Ef::Sst,
        Df::Gsm,
        0x6F38,
        "EF_SST",
        Structure::Transparent,
        Access::Pin1,
    ),
    ef(
        Ef::GsmAd,
        Df::Gsm,
        0x6FAD,
        "EF_AD",
        Structure::Transparent,
        Access::Always,
    ),
];

impl Ef {
    pub fn spec(self) -> &'static EfSpec {
        EFS.iter()
            .find(|s| s.ef == self)
            .expect("every EF is in the table")
    }
}

/// What a file id names from `current` (TS 102 221 §8.4.1): the MF, the current ADF (`7FFF`),
/// an EF or DF child of the current DF, the parent, or a DF child of the parent.
pub enum Target {
    Df(Df),
    Ef(Ef),
}

pub fn resolve(current: Df, fid: u16) -> Option<Target> {
    if fid == FID_MF {
        return Some(Target::Df(Df::Mf));
    }
    if fid == FID_CURRENT_ADF && current == Df::Usim {
        return Some(Target::Df(Df::Usim));
    }
    if let Some(s) = EFS.iter().find(|s| s.parent == current && s.fid == fid) {
        return Some(Target::Ef(s.ef));
    }
    let mut dfs: Vec<Df> = current.child_dfs().to_vec();
    if let Some(p) = current.parent() {
        dfs.push(p);
        dfs.extend_from_slice(p.child_dfs());
    }
    dfs.into_iter()
        .find(|d| d.fid() == Some(fid))
        .map(Target::Df)
}

/// Digits as TS 102 221 §13.2 / TS 31.102 §4.2.2 store them: two per byte, the first in the
/// low nibble, an odd count padded with `F`.
pub fn swapped_bcd(digits: &str) -> Vec<u8> {
    let d: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    d.chunks(2)
        .map(|c| c[0] | (c.get(1).copied().unwrap_or(0xF) << 4))
        .collect()
}

/// EF_IMSI (TS 31.102 §4.2.2, GSM 11.11 §10.3.2): a length byte, then the first digit with
/// the parity/identity nibble (`1001` odd, `0001` even), then the other digits swapped.
pub fn imsi_file(imsi: &str) -> Vec<u8> {
    let d: Vec<u8> = imsi.bytes().map(|b| b - b'0').collect();
    let parity = if d.len() % 2 == 1 { 0x9 } else { 0x1 };
    let mut body = vec![(d[0] << 4) | parity];
    body.extend(
        d[1..]
            .chunks(2)
            .map(|c| c[0] | (c.get(1).copied().unwrap_or(0xF) << 4)),
    );
    let mut out = vec![body.len() as u8];
    out.extend(body);
    out.resize(9, 0xFF);
    out
}

/// EF_UST (TS 31.102 §4.2.8): service n is bit (n-1)%8 of byte (n-1)/8. The card declares
/// service 33 only (the packet-switched-domain bit that release 7+ requires set); it has none
/// of the toolkit services the table names (data download, call control, MO-SMS control, RUN
/// AT COMMAND). The toolkit itself is announced by the proactive answers, not in this table.
pub fn ust() -> Vec<u8> {
    services(&[33], 5, 1)
}

/// EF_SST (GSM 11.11 §10.3.7): two bits per service (allocated, activated). Declared: 1 (CHV1
/// disable function), 27 (menu selection) and 29 (proactive SIM), the ones the card has.
pub fn sst() -> Vec<u8> {
    services(&[1, 27, 29], 8, 2)
}

fn services(list: &[usize], len: usize, bits: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let per_byte = 8 / bits;
    let mask = if bits == 2 { 0b11 } else { 0b1 };
    for &n in list {
        out[(n - 1) / per_byte] |= mask << (((n - 1) % per_byte) * bits);
    }
    out
}

/// EF_AD (TS 31.102 §4.2.18, GSM 11.11 §10.3.18): normal operation, no extra information,
/// the MNC length.
pub fn ad(sim: &SimSetup) -> Vec<u8> {
    vec![0x00, 0x00, 0x00, sim.mnc_digits]
}

/// BER-TLV with a one-byte length (every value here is shorter than 128 bytes).
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag, value.len() as u8];
    v.extend_from_slice(value);
    v
}

/// An EF_DIR record (TS 102 221 §13.1): `61 { 4F aid, 50 label }` padded with `FF`.
pub fn dir_record(aid: &[u8], label: &str) -> Vec<u8> {
    let mut r = tlv(
        0x61,
        &[tlv(0x4F, aid), tlv(0x50, label.as_bytes())].concat(),
    );
    r.resize(DIR_RECORD_LEN, 0xFF);
    r
}

/// The content of an EF (a record file: its records one after the other).
pub fn content(perso: &Personalisation, ef: Ef) -> Vec<u8> {
    match ef {
        Ef::Dir => [
            dir_record(&USIM_AID, "USIM"),
            dir_record(&perso.aids[0], "PHONE WALLET"),
        ]
        .concat(),
        Ef::Iccid => swapped_bcd(&perso.sim.iccid),
        Ef::UsimImsi | Ef::GsmImsi => imsi_file(&perso.sim.imsi),
        Ef::Ust => ust(),
        Ef::Sst => sst(),
        Ef::UsimAd | Ef::GsmAd => ad(&perso.sim),
    }
}

/// The PIN status template of every DF (TS 102 221 §9.5.2): PS_DO `90 01 00` says the one key
/// reference listed, PIN1 (`83 01 01`), is disabled.
fn pin_status() -> Vec<u8> {
    tlv(0xC6, &[tlv(0x90, &[0x00]), tlv(0x83, &[0x01])].concat())
}

/// The FCP template of a DF or ADF (TS 102 221 §11.1.1.3.1): descriptor `78 21` (DF,
/// shareable), the file id (DFs with one), the DF name (applications), life cycle `05`
/// (operational, activated), compact security (no DF-level operation is offered), and the
/// PIN status template.
pub fn df_fcp(fid: Option<u16>, name: Option<&[u8]>) -> Vec<u8> {
    let mut v = tlv(0x82, &[0x78, 0x21]);
    if let Some(f) = fid {
        v.extend(tlv(0x83, &f.to_be_bytes()));
    }
    if let Some(n) = name {
        v.extend(tlv(0x84, n));
    }
    v.extend(tlv(0x8A, &[0x05]));
    // AM byte 03 (b2 CREATE EF, b1 DELETE child) with both never: the card creates nothing.
    v.extend(tlv(0x8C, &[0x03, 0xFF, 0xFF]));
    v.extend(pin_status());
    tlv(0x62, &v)
}

/// The FCP template of an EF (TS 102 221 §11.1.1.3.2): descriptor (`41 21` transparent, or
/// `42 21` + record length + record count for a linear fixed file), file id, life cycle `05`,
/// compact security (AM `03`: update then read), file size, and `88 00` (no SFI).
pub fn ef_fcp(spec: &EfSpec, size: usize) -> Vec<u8> {
    let descriptor = match spec.structure {
        Structure::Transparent => vec![0x41, 0x21],
        Structure::LinearFixed { record_len } => {
            let [hi, lo] = (record_len as u16).to_be_bytes();
            vec![0x42, 0x21, hi, lo, (size / record_len) as u8]
        }
    };
    let v = [
        tlv(0x82, &descriptor),
        tlv(0x83, &spec.fid.to_be_bytes()),
        tlv(0x8A, &[0x05]),
        tlv(0x8C, &[0x03, spec.update.sc_byte(), spec.read.sc_byte()]),
        tlv(0x80, &(size as u16).to_be_bytes()),
        tlv(0x88, &[]),
    ]
    .concat();
    tlv(0x62, &v)
}

/// GSM 11.11 §9.2.1 response to SELECT of the MF or a DF (23 bytes): free memory, file id,
/// type, then the GSM-specific data: file characteristics (b8 set: CHV1 disabled), the child
/// counts, one code (CHV1), and the code statuses (CHV1 initialised, 3 tries; no UNBLOCK CHV1,
/// no CHV2).
pub fn gsm_df_response(df: Df) -> Vec<u8> {
    let [hi, lo] = df.fid().unwrap_or(FID_MF).to_be_bytes();
    let kind = if df == Df::Mf { 0x01 } else { 0x02 };
    let dfs = df.child_dfs().len() as u8;
    let efs = EFS.iter().filter(|s| s.parent == df).count() as u8;
    vec![
        0x00, 0x00, // RFU
        0x00, 0x00, // memory not allocated
        hi, lo, kind, // file id, type
        0x00, 0x00, 0x00, 0x00, 0x00, // RFU
        0x0A, // length of the GSM-specific data (bytes 14-23)
        0x80, // file characteristics: CHV1 disabled
        dfs, efs, 0x01, // child DFs, child EFs, number of codes
        0x00, // RFU
        0x83, 0x00, 0x00, 0x00, // CHV1, UNBLOCK CHV1, CHV2, UNBLOCK CHV2
        0x00, // RFU
    ]
}

/// GSM 11.11 §9.2.1 response to SELECT of an EF (15 bytes): size, file id, type `04`, access
/// conditions (READ|UPDATE, INCREASE|RFU, REHABILITATE|INVALIDATE), status `01` (not
/// invalidated), 2 more bytes: structure and record length.
pub fn gsm_ef_response(spec: &EfSpec, size: usize) -> Vec<u8> {
    let [sh, sl] = (size as u16).to_be_bytes();
    let [fh, fl] = spec.fid.to_be_bytes();
    let (structure, rec) = match spec.structure {
        Structure::Transparent => (0x00, 0x00),
        Structure::LinearFixed { record_len } => (0x01, record_len as u8),
    };
    vec![
        0x00,
        0x00,
        sh,
        sl,
        fh,
        fl,
        0x04,
        0x00,
        (spec.read.gsm_nibble() << 4) | spec.update.gsm_nibble(),
        0xF0,
        0xFF,
        0x01,
        0x02,
        structure,
        rec,
    ]
}
