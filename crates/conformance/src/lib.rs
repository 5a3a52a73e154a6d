//! Conformance vectors: the file format ([`format`]), the runner ([`runner`]), the reports
//! ([`report`]: one line per vector, failure details, JSON; [`junit`]; [`html`]), finding and
//! filtering vectors ([`select`]), decoded transcripts ([`decode`]) and scriptor
//! import/export.

pub use stk_vector_format as format;
pub mod coverage;
pub mod decode;
pub mod html;
pub mod junit;
pub mod limits;
pub mod report;
pub mod runner;
pub mod scriptor;
pub mod select;
pub mod state;

use stk_backoffice::host;
use stk_card as card;
use stk_domain::{apdu, crypto, errors, hexser, profile, sw};
use stk_terminal::{pos, psam, transport};
