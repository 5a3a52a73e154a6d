//! The back office: the issuer host (keys, load authorisation, TAC checks, issuer commands),
//! the acquirer (the bank that charges and reverses), the clearing host (settlement, shadow
//! balances) and their storage. It knows the domain's messages and records, not terminals or
//! cards.

pub mod acquirer;
pub mod host;
pub mod issuer_db;
pub mod ledger;
pub mod reconcile;
pub mod refund;
pub mod settle;
pub mod store;

use stk_domain::{crypto, profile};
