//! Reading and removing files the store points at, confined to the data directory: the
//! core's `media::local_file` (the core's services delete recordings with it too).

pub use crate::media::local_file::{read_inside_async, remove_inside};
