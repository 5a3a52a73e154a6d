//! The terminal side: how terminals reach a card ([`transport`]: in-process, PC/SC, vpcd), the
//! PSAM, the POS flows (purchase, load, integrated top-up, reversal, recovery) and their
//! journal, the handset that drives the SIM Toolkit, the reader lab's card server, fault
//! injection, the mobile network to the issuer, and card images on disk.

pub mod card_file;
pub mod desk;
pub mod fault;
pub mod handset;
pub mod home;
pub mod journal;
pub mod lab;
pub mod link;
pub mod network;
pub mod pcap;
pub mod pos;
pub mod psam;
pub mod receipt;
pub mod serve;
pub mod transport;

use stk_backoffice::{acquirer, host};
use stk_card as card;
use stk_card::stk;
use stk_domain::{apdu, crypto, errors, hexser, profile, sw};
