//! Every query of the store goes through a per-connection cache of prepared statements.
//!
//! Parsing and planning SQL cost more than running it: before this, a signed webhook spent
//! a third of the writer thread's time in `sqlite3_prepare` for a dozen small statements,
//! and the writer thread is what limits ingest (docs/PERFORMANCE.md). The cache keys on the
//! SQL text, so call sites stay plain SQL strings.

use rusqlite::{Connection, OptionalExtension, Params, Row, Statement};

use crate::error::{Error, Result};

/// The statements one connection keeps prepared (rusqlite's default is 16, fewer than the
/// store's distinct statements, which would make the cache thrash).
pub const STATEMENT_CACHE: usize = 256;

/// `execute` and `query_row` through [`Connection::prepare_cached`].
pub trait CachedSql {
    /// Like [`Connection::execute`], with the statement kept prepared.
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;

    /// Like [`Connection::query_row`], with the statement kept prepared.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>;
}

impl CachedSql for Connection {
    fn exec<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// A row that must be there: none becomes [`Error::NotFound`] naming `what` ("message 12"),
/// which is how every read by id answers for a record that does not exist (any more).
pub trait MustExist<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> MustExist<T> for rusqlite::Result<T> {
    fn or_not_found(self, what: impl FnOnce() -> String) -> Result<T> {
        self.optional()?.ok_or_else(|| Error::not_found(what()))
    }
}

/// Every row `stmt` returns for `params`, mapped by `f`: how the store reads a list. The
/// caller prepares `stmt`, kept in the cache or not, as the query deserves.
pub fn all_rows<T, P, F>(stmt: &mut Statement<'_>, params: P, f: F) -> Result<Vec<T>>
where
    P: Params,
    F: FnMut(&Row<'_>) -> rusqlite::Result<T>,
{
    let rows = stmt.query_map(params, f)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
