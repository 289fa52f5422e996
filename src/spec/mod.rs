//! The Task as written: parsing with spans ([`parse`]) and the typed model ([`model`]).

pub mod model;
pub mod parse;
