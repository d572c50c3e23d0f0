//! Integration tests of the core: one test binary, one module per area. Tests return
//! `Result` and their assertions say why.

mod cli;
mod common;
mod signature_vectors;
mod store_migrations;
