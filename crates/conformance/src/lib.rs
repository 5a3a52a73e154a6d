//! Conformance vectors: the file format ([`format`]), the runner ([`runner`]), the reports
//! ([`report`]: one line per vector, failure details, JUnit XML) and scriptor import/export.

pub use stk_vector_format as format;
pub mod report;
pub mod runner;
pub mod scriptor;

use stk_backoffice::host;
use stk_card as card;
use stk_domain::{apdu, crypto, errors, hexser, profile, sw};
use stk_terminal::{pos, psam, transport};
