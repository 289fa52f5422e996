//! taskrender renders container Tasks into Kubernetes objects, offline:
//!
//! ```text
//! load (source) → parse (yaml) → validate (schema) → profile → resolve → render → emit
//! ```
//! Only `source` reads and only `emit` writes (both through `outdir` under `-o DIR`);
//! every stage between is a pure function.
//! `ARCHITECTURE.md` is the map. [`run`] runs one command line and returns what to print.

mod app;
pub mod cli;
mod command;
mod diagnostic;
mod emit;
#[cfg(test)]
mod generate;
mod lines;
mod lint;
mod outcome;
mod outdir;
mod pipeline;
mod plan;
mod profile;
mod project;
mod quantity;
mod render;
mod report;
mod resolve;
mod scalar_style;
mod schema;
mod source;
pub mod streams;
mod task;
mod text;
mod yaml;

pub use app::run;
pub use cli::Cli;
pub use outcome::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Outcome, Terminal};
