//! What the store's tests start from: a fresh store in a temporary folder, the same with our
//! number already in it, and the query plans the tests that pin a query to its index read.

use rusqlite::Connection;

use super::sql::all_rows;
use super::{numbers, Store};
use crate::error::Result;

/// A fresh store in a temporary folder (removed when the `TempDir` is dropped).
pub(crate) fn test_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

/// A store in `data/` of a temporary folder, with room beside it for files of the owner's
/// own (documents, export targets): for the tests of paths the owner picks.
pub(crate) fn test_store_in_data() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("data")).expect("open store");
    (dir, store)
}

/// The steps of SQLite's plan for `sql` (`EXPLAIN QUERY PLAN`'s detail column), for the
/// tests that pin a query to its index.
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let plan = all_rows(&mut stmt, [], |r| r.get::<_, String>(3))?;
    Ok(plan)
}

/// Runs `f` in a write transaction of a fresh store: for the tests that need nothing else.
pub(crate) fn write_fresh<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    let (_d, store) = test_store();
    store.write(f)
}

/// The same with our number `e164` already in the store (kept as the app keeps a number it is
/// given), passing its id: how most store tests start.
pub(crate) fn write_with_number<T, F>(e164: &str, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection, i64) -> Result<T> + Send + 'static,
{
    let e164 = e164.to_string();
    write_fresh(move |tx| {
        let n = numbers::ensure(tx, &e164, false)?;
        f(tx, n)
    })
}

/// The same with our number "Shop" (PN01, +61255501234) as Twilio's list of numbers gives it.
pub(crate) fn write_with_shop<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection, i64) -> Result<T> + Send + 'static,
{
    write_fresh(move |tx| {
        let shop = shop_number(tx)?;
        f(tx, shop)
    })
}

/// A fresh store with the number "Shop" in it, and its id: for the tests that go on using
/// the store after their first write.
pub(crate) fn test_store_with_shop() -> Result<(tempfile::TempDir, Store, i64)> {
    let (dir, store) = test_store();
    let shop = store.write(shop_number)?;
    Ok((dir, store, shop))
}

fn shop_number(tx: &Connection) -> Result<i64> {
    numbers::upsert_from_twilio(tx, "PN01", "+61255501234", "Shop")
}
