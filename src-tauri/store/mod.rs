//! The local store: one SQLite database in the data directory, plus files beside it.
//!
//! Opened in WAL mode with foreign keys and a busy timeout; migrations from
//! `migrations/NN-name/up.sql` are applied in order at open, and a database written by a
//! newer build is refused rather than guessed at. Writes go through one connection under
//! a mutex (SQLite has one writer anyway); reads use their own connection so a long list
//! query never waits for a webhook commit.

pub mod calls;
pub mod compliance;
pub mod contacts;
pub mod conversations;
pub mod downloads;
pub mod export;
pub mod journal;
pub mod messages;
pub mod numbers;
pub mod search;
pub mod settings;
pub mod templates;
pub mod voicemails;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use include_dir::{include_dir, Dir};
use rusqlite::{Connection, OpenFlags, Transaction};
use rusqlite_migration::Migrations;

use crate::error::{Error, Result};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "switchboard.db";

/// All migrations this build knows, in order.
pub fn migrations() -> Result<Migrations<'static>> {
    Migrations::from_directory(&MIGRATIONS_DIR).map_err(Error::from)
}

/// The schema version this build writes.
pub fn latest_version() -> Result<usize> {
    Ok(MIGRATIONS_DIR.dirs().count())
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, migrating it to this build's schema.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)?;
        let db_path = data_dir.join(DB_FILE);
        let mut writer = Connection::open(&db_path)?;
        configure(&writer)?;
        migrate(&mut writer)?;
        let reader = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        reader.busy_timeout(Duration::from_secs(5))?;
        Ok(Store {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` against the read connection (it sees every committed write).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.inner.reader);
        f(&conn)
    }

    /// [`Store::write`] off the async runtime, for handlers.
    pub async fn write_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write(f))
            .await
            .map_err(|e| Error::Internal(format!("store task failed: {e}")))?
    }

    /// [`Store::read`] off the async runtime, for handlers and commands.
    pub async fn read_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read(f))
            .await
            .map_err(|e| Error::Internal(format!("store task failed: {e}")))?
    }
}

/// A poisoned lock only means another thread panicked mid-call; its transaction was rolled
/// back when dropped, so the connection is still sound and we keep using it.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a webhook is acknowledged only after its commit reached the disk.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Applies pending migrations; refuses a database from a newer build.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let known = latest_version()?;
    let found: usize = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    migrations()?.to_latest(conn)?;
    Ok(())
}

/// The schema version stored in a database file.
pub fn schema_version(conn: &Connection) -> Result<usize> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
}

/// The platform data directory (`~/.local/share/switchboard` on Linux), or `override_dir`.
pub fn default_data_dir(override_dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = override_dir {
        return Ok(dir.to_path_buf());
    }
    dirs::data_dir()
        .map(|d| d.join("switchboard"))
        .ok_or_else(|| Error::Internal("no data directory on this system; pass --data-dir".into()))
}

#[cfg(test)]
pub(crate) fn test_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}
