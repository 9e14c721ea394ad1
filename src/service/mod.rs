//! The procedure table: every method of the contract joined at startup with how it is
//! answered (`table`): by a profile (`crate::profile`: the resource engine with a service's
//! domain rules), by the generic resource store (`generic`) or with generated data; and the
//! built-in service's documented methods (`methods`). Handlers are plain synchronous
//! functions over `&mut State`, so no lock is ever held across an `.await`; they only build
//! answers, and the codec encodes them.

pub mod generic;
mod methods;
mod table;

pub use methods::{Example, Method, METHODS, UNCOVERED};
pub use table::{Entry, Handling, ProfileCall, ProfileMethod, Route, Table};
