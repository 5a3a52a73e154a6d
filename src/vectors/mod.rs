//! Conformance vectors: the file format ([`format`]), the runner ([`runner`]) and the reports
//! ([`report`]: one line per vector, failure details, JUnit XML).

pub mod format;
pub mod report;
pub mod runner;
pub mod scriptor;
