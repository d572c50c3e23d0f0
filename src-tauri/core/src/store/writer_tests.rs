//! The writer's promise for each write, whether it is committed alone or with others: a write
//! that fails or panics leaves none of its changes, every other write commits, and the
//! writer goes on (`writer_loop`: a batch of one runs without a savepoint).

use std::sync::mpsc;

use rusqlite::{params, Connection, OptionalExtension};

use super::{test_store, Store};
use crate::error::{Error, Result};

fn put(tx: &Connection, key: &str) -> Result<()> {
    tx.execute("INSERT INTO settings (key, value) VALUES (?1, 'v')", params![key])?;
    Ok(())
}

fn stored(store: &Store, key: &str) -> Result<bool> {
    let key = key.to_string();
    store.read(move |c| {
        Ok(c.query_row("SELECT 1 FROM settings WHERE key = ?1", [&key], |_| Ok(())).optional()?.is_some())
    })
}

#[test]
fn a_write_alone_that_fails_or_panics_leaves_nothing_and_the_next_commits() -> Result<()> {
    let (_dir, store) = test_store();
    let failed = store.write(|tx| {
        put(tx, "test.failed")?;
        Err::<(), _>(Error::InvalidInput("refused after its insert".into()))
    });
    assert!(matches!(failed, Err(Error::InvalidInput(_))), "its own error: {failed:?}");
    let panicked = store.write(|tx| -> Result<()> {
        put(tx, "test.panicked")?;
        panic!("a bug in a write");
    });
    assert!(matches!(panicked, Err(Error::Internal(_))), "{panicked:?}");
    store.write(|tx| put(tx, "test.after"))?;
    assert!(!stored(&store, "test.failed")?, "the failed write's insert was rolled back");
    assert!(!stored(&store, "test.panicked")?, "the panicked write's insert was rolled back");
    assert!(stored(&store, "test.after")?, "the writer goes on");
    Ok(())
}

#[test]
fn in_a_batch_a_failed_write_is_undone_and_the_others_commit() -> Result<()> {
    let (_dir, store) = test_store();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Hold the writer in a first write while three more queue behind it: they are then
    // committed together, as one batch.
    let (holding, held) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let first = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(move |tx| {
                let _ = holding.send(());
                let _ = released.recv();
                put(tx, "test.first")
            })
        })
    };
    held.recv().map_err(|e| Error::Internal(e.to_string()))?;
    let (a, b, c) = runtime.block_on(async {
        let a = store.write_async(|tx| put(tx, "test.a"));
        let b = store.write_async(|tx| {
            put(tx, "test.b")?;
            Err::<(), _>(Error::InvalidInput("refused after its insert".into()))
        });
        let c = store.write_async(|tx| put(tx, "test.c"));
        let queued = async {
            // Let all three reach the writer's queue before the first write ends.
            tokio::task::yield_now().await;
            let _ = release.send(());
        };
        let (a, b, c, ()) = tokio::join!(a, b, c, queued);
        (a, b, c)
    });
    first.join().map_err(|_| Error::Internal("the first write's thread panicked".into()))??;
    a?;
    c?;
    assert!(matches!(b, Err(Error::InvalidInput(_))), "{b:?}");
    for key in ["test.first", "test.a", "test.c"] {
        assert!(stored(&store, key)?, "{key} committed");
    }
    assert!(!stored(&store, "test.b")?, "the failed write's insert was undone, alone");
    Ok(())
}
