//! taskrender: load → parse → validate → decode → resolve → render → emit.

pub mod diagnostic;
pub mod schema;
pub mod source;
pub mod spec;
pub mod profile;
pub mod quantity;
pub mod resolve;
