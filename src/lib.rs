//! taskrender: load → parse → validate → decode → resolve → render → emit.

pub mod diagnostic;
pub mod schema;
pub mod source;
pub mod spec;
