//! Migrations: a fresh database, an upgrade from the previous schema, a newer one refused.

use rusqlite::Connection;
use switchboard::store::{self, Store};
use switchboard::Error;

use crate::common::{temp_store, TestResult};

#[test]
fn fresh_database_gets_the_latest_schema_with_wal_and_foreign_keys() -> TestResult {
    let (dir, store) = temp_store()?;
    let (version, mode, fk) = store.read(|c| {
        Ok((
            store::schema_version(c)?,
            c.pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))?,
            c.pragma_query_value(None, "foreign_keys", |r| r.get::<_, i64>(0))?,
        ))
    })?;
    assert_eq!(version, store::latest_version()?, "a new store is at the latest schema");
    assert_eq!(mode, "wal");
    // The read connection is separate; the writer is the one that enforces FKs.
    let fk_writer = store.write(|tx| Ok(tx.pragma_query_value(None, "foreign_keys", |r| r.get::<_, i64>(0))?))?;
    assert_eq!(fk_writer, 1, "foreign keys must be on for writes");
    let _ = fk;
    // Opening again is a no-op.
    drop(store);
    Store::open(dir.path())?;
    Ok(())
}

#[test]
fn upgrade_from_schema_1_makes_old_messages_searchable() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(store::DB_FILE);
    {
        let mut conn = Connection::open(&path)?;
        store::migrations()?.to_version(&mut conn, 1)?;
        conn.execute_batch(
            "INSERT INTO numbers (e164) VALUES ('+61255501234');
             INSERT INTO conversations (number_id, customer) VALUES (1, '+61412345678');
             INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, created_at)
               VALUES ('SM00000000000000000000000000000001', 1, 'inbound', '+61412345678', '+61255501234',
                       'Is the pharmacy open on Sunday?', 'received', '2026-01-01T00:00:00.000Z');",
        )?;
    }
    let store = Store::open(dir.path())?;
    let hits = store.read(|c| store::search::search(c, "pharmacy", 10))?;
    assert_eq!(hits.len(), 1, "the upgrade must index messages stored under schema 1");
    assert_eq!(store.read(store::schema_version)?, store::latest_version()?);
    Ok(())
}

#[test]
fn database_from_a_newer_build_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    drop(Store::open(dir.path())?);
    let newer = store::latest_version()? + 1;
    Connection::open(dir.path().join(store::DB_FILE))?.pragma_update(None, "user_version", newer as i64)?;
    match Store::open(dir.path()) {
        Err(Error::SchemaTooNew { found, .. }) => assert_eq!(found, newer),
        Err(e) => panic!("expected SchemaTooNew, got {e}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
    Ok(())
}
