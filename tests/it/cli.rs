//! Command-line behaviour beyond the golden fixtures.
