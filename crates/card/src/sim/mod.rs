//! The SIM side of the card: the UICC/GSM file system (MF, EF_DIR, EF_ICCID, ADF USIM, DF GSM)
//! and the commands a handset's start-up uses on it: SELECT by file id, path or DF name, READ
//! BINARY / READ RECORD of the current EF, STATUS, and in class `A0` GET RESPONSE
//! (TS 102 221 §11.1, TS 31.102 §5.1.1, GSM 11.11 §9). docs/files.md lists the files.

pub mod tree;

use super::{Card, Handled, Interface, Selected, refuse};
use crate::apdu::ResponseApdu;
use crate::command::{SimClass, StatusData};
use crate::sw::Sw;
use tree::{Df, Ef, Structure, Target};

/// The SIM file the interface has selected (volatile, in [`crate::Session`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCursor {
    /// The current EF, if the last selection named one.
    pub ef: Option<Ef>,
    /// The USIM is the current application (what `7FFF` names).
    pub usim_active: bool,
}

fn not_found(class: SimClass) -> Sw {
    match class {
        SimClass::Uicc => Sw::NOT_FOUND,
        SimClass::Gsm => Sw::GSM_NOT_FOUND,
    }
}

/// The answer of `data` to a command with `le`: class `00`/`80` refuses a shorter Le with `6Cxx`
/// (ISO 7816-4 §5.1.3); class `A0` returns the first Le bytes as GSM 11.11 allows.
fn sized(class: SimClass, data: Vec<u8>, le: Option<usize>, sw: Sw) -> Handled {
    match le {
        Some(n) if n < data.len() => match class {
            SimClass::Uicc => Err(refuse(
                Sw::wrong_le(data.len()),
                format!("the answer is {} bytes: Le {n} is short", data.len()),
            )),
            SimClass::Gsm => Ok(ResponseApdu {
                data: data[..n].to_vec(),
                sw,
            }),
        },
        _ => Ok(ResponseApdu { data, sw }),
    }
}

impl Card {
    /// The DF a file id is resolved from: the MF after power-up or an application outside the
    /// SIM file system (the wallet or the PSE sit beside the ADF USIM under the MF).
    fn current_df(&self, iface: Interface) -> Df {
        match self.session(iface).selected {
            Selected::Sim(d) => d,
            _ => Df::Mf,
        }
    }

    fn resolve(&self, iface: Interface, from: Df, fid: u16) -> Option<Target> {
        if fid == tree::FID_CURRENT_ADF && self.session(iface).file.usim_active {
            return Some(Target::Df(Df::Usim));
        }
        // From the wallet or the PSE (ADFs beside the USIM): the MF and its DFs, not its EFs.
        let in_other_adf = matches!(
            self.session(iface).selected,
            Selected::Wallet | Selected::Pse
        );
        if in_other_adf && matches!(tree::resolve(from, fid), Some(Target::Ef(_))) {
            return None;
        }
        tree::resolve(from, fid)
    }

    /// Makes `target` current and returns its description in `class`.
    fn land(&mut self, iface: Interface, class: SimClass, target: Target) -> Vec<u8> {
        let perso = &self.eeprom.state.perso;
        let (df, ef, description) = match target {
            Target::Df(d) => {
                let name = (d == Df::Usim).then_some(&tree::USIM_AID[..]);
                let desc = match class {
                    SimClass::Uicc => tree::df_fcp(d.fid(), name),
                    SimClass::Gsm => tree::gsm_df_response(d),
                };
                (d, None, desc)
            }
            Target::Ef(e) => {
                let spec = e.spec();
                let size = tree::content(perso, e).len();
                let desc = match class {
                    SimClass::Uicc => tree::ef_fcp(spec, size),
                    SimClass::Gsm => tree::gsm_ef_response(spec, size),
                };
                (spec.parent, Some(e), desc)
            }
        };
        let s = self.session_mut(iface);
        if s.selected != Selected::Sim(df) {
            s.pin_verified = false;
        }
        s.selected = Selected::Sim(df);
        s.file.ef = ef;
        if df == Df::Usim {
            s.file.usim_active = true;
        }
        description
    }

    fn selected_answer(
        &mut self,
        iface: Interface,
        class: SimClass,
        target: Target,
        want_fci: bool,
    ) -> Handled {
        let description = self.land(iface, class, target);
        match class {
            SimClass::Uicc if want_fci => Ok(ResponseApdu::ok(description)),
            SimClass::Uicc => Ok(ResponseApdu::status(Sw::OK)),
            SimClass::Gsm => {
                let sw = Sw::gsm_response(description.len());
                self.session_mut(iface).gsm_response = Some(description);
                Ok(ResponseApdu::status(sw))
            }
        }
    }

    /// SELECT by file id in either class. A failed SELECT leaves the selection as it was.
    pub(crate) fn select_fid(
        &mut self,
        iface: Interface,
        class: SimClass,
        fid: u16,
        want_fci: bool,
    ) -> Handled {
        let from = self.current_df(iface);
        match self.resolve(iface, from, fid) {
            Some(t) => self.selected_answer(iface, class, t, want_fci),
            None => Err(refuse(
                not_found(class),
                format!(
                    "no file {fid:04X} reachable from the {} (docs/files.md lists the files)",
                    from.name()
                ),
            )),
        }
    }

    /// SELECT by path from the MF or the current DF (TS 102 221 §8.4.2).
    pub(crate) fn select_path(
        &mut self,
        iface: Interface,
        from_mf: bool,
        path: &[u16],
        want_fci: bool,
    ) -> Handled {
        let mut at = if from_mf {
            Df::Mf
        } else {
            self.current_df(iface)
        };
        // The MF's own id is not part of a path from the MF; a leading 3F00 is tolerated.
        let path = match path {
            [tree::FID_MF, rest @ ..] if from_mf && !rest.is_empty() => rest,
            p => p,
        };
        let fail = |why: String| Err(refuse(Sw::NOT_FOUND, why));
        for (i, &fid) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            match self.resolve(iface, at, fid) {
                Some(Target::Df(d)) if !last => at = d,
                Some(t) if last => return self.selected_answer(iface, SimClass::Uicc, t, want_fci),
                _ => {
                    return fail(format!(
                        "path element {fid:04X} is not a DF or file below the {}",
                        at.name()
                    ));
                }
            }
        }
        fail("empty path".into())
    }

    /// SELECT of the USIM application by its AID (from EF_DIR).
    pub(crate) fn select_usim(&mut self, iface: Interface, want_fci: bool) -> Handled {
        self.selected_answer(iface, SimClass::Uicc, Target::Df(Df::Usim), want_fci)
    }

    /// GSM GET RESPONSE: the description the previous SELECT announced with `9Fxx`.
    pub(crate) fn get_response(&mut self, held: Option<Vec<u8>>, le: Option<usize>) -> Handled {
        let Some(data) = held else {
            return Err(refuse(
                Sw::CONDITIONS_NOT_SATISFIED,
                "GET RESPONSE: no response data waits (it follows a 9Fxx at once)",
            ));
        };
        match le {
            Some(n) if n > data.len() && n != 256 => Err(refuse(
                Sw::WRONG_LENGTH,
                format!("GET RESPONSE: {} bytes wait, P3 {n} is more", data.len()),
            )),
            _ => sized(SimClass::Gsm, data, le, Sw::OK),
        }
    }

    fn current_ef(
        &self,
        iface: Interface,
        class: SimClass,
        want_records: bool,
    ) -> Result<Ef, super::Fail> {
        let Some(ef) = self.session(iface).file.ef else {
            return Err(refuse(
                match class {
                    SimClass::Uicc => Sw::NO_CURRENT_EF,
                    SimClass::Gsm => Sw::GSM_NO_EF,
                },
                "no EF is selected: SELECT one first (e.g. 2FE2 for the ICCID)",
            ));
        };
        let records = matches!(ef.spec().structure, Structure::LinearFixed { .. });
        if records != want_records {
            return Err(refuse(
                match class {
                    SimClass::Uicc => Sw::WRONG_FILE_STRUCTURE,
                    SimClass::Gsm => Sw::GSM_WRONG_FILE,
                },
                format!(
                    "{} is a {} file: use {}",
                    ef.spec().name,
                    if records { "record" } else { "transparent" },
                    if records {
                        "READ RECORD"
                    } else {
                        "READ BINARY"
                    }
                ),
            ));
        }
        Ok(ef)
    }

    /// READ BINARY of the current EF.
    pub(crate) fn read_current_binary(
        &mut self,
        iface: Interface,
        class: SimClass,
        offset: u16,
        le: Option<usize>,
    ) -> Handled {
        let ef = self.current_ef(iface, class, false)?;
        let file = tree::content(&self.eeprom.state.perso, ef);
        let offset = offset as usize;
        if offset >= file.len() {
            return Err(refuse(
                Sw::WRONG_OFFSET,
                format!(
                    "offset {offset} is past the end of the {}-byte file",
                    file.len()
                ),
            ));
        }
        let rest = file[offset..].to_vec();
        match le {
            None | Some(256) => Ok(ResponseApdu::ok(rest)),
            Some(n) if n <= rest.len() => Ok(ResponseApdu::ok(rest[..n].to_vec())),
            Some(n) => match class {
                SimClass::Uicc => Ok(ResponseApdu {
                    data: rest,
                    sw: Sw(0x6282),
                }),
                SimClass::Gsm => Err(refuse(
                    Sw::WRONG_LENGTH,
                    format!(
                        "P3 {n} reaches past the end of the file ({} bytes left)",
                        rest.len()
                    ),
                )),
            },
        }
    }

    /// READ RECORD (absolute) of the current EF.
    pub(crate) fn read_current_record(
        &mut self,
        iface: Interface,
        class: SimClass,
        record: u8,
        le: Option<usize>,
    ) -> Handled {
        let ef = self.current_ef(iface, class, true)?;
        let Structure::LinearFixed { record_len } = ef.spec().structure else {
            return Err(refuse(Sw::WRONG_FILE_STRUCTURE, "not a record file"));
        };
        let file = tree::content(&self.eeprom.state.perso, ef);
        let count = file.len() / record_len;
        if record == 0 || record as usize > count {
            return Err(refuse(
                Sw::RECORD_NOT_FOUND,
                format!("{} has records 1-{count}, not {record}", ef.spec().name),
            ));
        }
        if let Some(n) = le.filter(|&n| n != record_len && n != 256) {
            return Err(refuse(
                match class {
                    SimClass::Uicc => Sw::wrong_le(record_len),
                    SimClass::Gsm => Sw::WRONG_LENGTH,
                },
                format!("records are {record_len} bytes, not {n}"),
            ));
        }
        let start = (record as usize - 1) * record_len;
        Ok(ResponseApdu::ok(file[start..start + record_len].to_vec()))
    }

    /// VERIFY PIN / VERIFY CHV of PIN1, which is present and disabled (docs/files.md). With no
    /// data (UICC class only) it asks whether verification is needed: `9000`, it is not
    /// (TS 102 221 §11.1.9, ISO 7816-4 §11.5.6). With a PIN the command is not executed on a
    /// disabled PIN: `6984` (UICC), `9808` in contradiction with CHV status (GSM 11.11 §8.9).
    /// Nothing is compared and no try is spent; the purse's password state is untouched.
    pub(crate) fn verify_pin1(&mut self, class: SimClass, with_pin: bool) -> Handled {
        match (class, with_pin) {
            (_, false) => Ok(ResponseApdu::status(Sw::OK)),
            (SimClass::Uicc, true) => Err(refuse(
                Sw::PIN_DISABLED,
                "PIN1 is disabled: VERIFY PIN is not executed (TS 102 221 §11.1.9); the payment \
                 password is VERIFY P2 00",
            )),
            (SimClass::Gsm, true) => Err(refuse(
                Sw::GSM_CHV_DISABLED,
                "CHV1 is disabled: VERIFY CHV is not executed (GSM 11.11 §8.9)",
            )),
        }
    }

    /// STATUS: the current DF's description and `91xx` when a proactive command waits.
    pub(crate) fn status(
        &mut self,
        iface: Interface,
        class: SimClass,
        data: StatusData,
        le: Option<usize>,
    ) -> Handled {
        let perso = &self.eeprom.state.perso;
        let app: Option<Vec<u8>> = match self.session(iface).selected {
            Selected::Wallet => Some(perso.aids[0].clone()),
            Selected::Pse => Some(crate::files::PSE_NAME.to_vec()),
            _ if self.session(iface).file.usim_active => Some(tree::USIM_AID.to_vec()),
            _ => None,
        };
        let df = self.current_df(iface);
        let description = match (class, self.session(iface).selected) {
            (SimClass::Gsm, _) => tree::gsm_df_response(df),
            (SimClass::Uicc, Selected::Sim(d)) => {
                let name = (d == Df::Usim).then_some(&tree::USIM_AID[..]);
                tree::df_fcp(d.fid(), name)
            }
            (SimClass::Uicc, Selected::Nothing) => tree::df_fcp(Some(tree::FID_MF), None),
            (SimClass::Uicc, _) => tree::df_fcp(None, app.as_deref()),
        };
        let body = match data {
            StatusData::Fcp => description,
            StatusData::DfName => app.map(|a| tree::tlv(0x84, &a)).unwrap_or_default(),
            StatusData::Nothing => Vec::new(),
        };
        if iface == Interface::Contact {
            self.retry_deferred();
        }
        let sw = match (iface, self.toolkit.waiting()) {
            (Interface::Contact, Some(n)) => Sw::proactive(n),
            _ => Sw::OK,
        };
        sized(class, body, le, sw)
    }
}
