//! One type per flow: its variants (or fields) are its steps.

mod bill;
mod change_password;
mod close;
mod history;
mod limit;
mod op_toggle;
mod top_up;

pub(crate) use bill::*;
pub(crate) use change_password::*;
pub(crate) use close::*;
pub(crate) use history::*;
pub(crate) use limit::*;
pub(crate) use op_toggle::*;
pub(crate) use top_up::*;
