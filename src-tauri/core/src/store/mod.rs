//! The local store: one SQLite database in the data directory, plus files beside it.
//!
//! Opened in WAL mode with foreign keys and a busy timeout; migrations from
//! `migrations/NN-name/up.sql` are applied in order at open, and a database written by a
//! newer build is refused rather than guessed at. Writes go to one writer thread that owns
//! the only writing connection and commits whatever is queued together (group commit; SQLite
//! has one writer anyway); reads use their own connection so a long list query never waits
//! for a webhook commit. Both keep their statements prepared (`sql::CachedSql`).

pub mod auto_replies;
pub mod blocked;
pub mod call_recordings;
pub mod calls;
pub mod campaign_history;
pub mod campaigns;
pub mod compliance;
pub mod contact_merge;
pub mod contacts;
pub mod conversations;
pub mod costs;
pub mod downloads;
pub mod email_thread;
pub mod export;
pub mod journal;
pub mod kinds;
pub mod messages;
pub mod numbers;
pub mod optouts;
pub mod outbound_media;
pub mod outbox_lock;
pub mod private;
pub mod scheduled;
pub mod search;
pub mod settings;
pub mod sql;
pub mod tags;
pub mod templates;
pub mod text_backs;
pub mod timeline;
pub mod us_registration;
pub mod voicemails;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use include_dir::{include_dir, Dir};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::Migrations;

use crate::error::{Error, Result};
use sql::CachedSql;

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../../migrations");

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
    /// This Store's entry in [`OPEN_WRITERS`], released on drop.
    registered: PathBuf,
    /// Writes go to the writer thread, which owns the only writing connection.
    writer: std::sync::mpsc::Sender<Box<dyn Work>>,
    reader: Mutex<Connection>,
    /// One [`Store::read_async`] at a time on a blocking thread: the others wait here, as
    /// tasks, rather than each on a thread of its own blocked on `reader` (a burst of events
    /// asking for a read would otherwise start one OS thread per event).
    read_turn: Arc<tokio::sync::Semaphore>,
    /// One send at a time per outbox row in this process (see [`outbox_lock`]): kept with
    /// the store because the store, like the outbox, is one per process.
    outbox_locks: outbox_lock::OutboxLocks,
}

/// How many `Store`s (each with its own writer thread and writing connection) are open in
/// this process, by data folder. The design allows one per process; [`open_writers`] lets
/// tests prove that the serve, sandbox and desktop paths keep it that way.
static OPEN_WRITERS: std::sync::LazyLock<Mutex<std::collections::HashMap<PathBuf, usize>>> =
    std::sync::LazyLock::new(Default::default);

/// How many `Store`s are open on `data_dir` in this process right now (0 when none).
pub fn open_writers(data_dir: &Path) -> usize {
    let key = writer_key(data_dir);
    OPEN_WRITERS.lock().unwrap_or_else(|p| p.into_inner()).get(&key).copied().unwrap_or(0)
}

fn writer_key(data_dir: &Path) -> PathBuf {
    std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf())
}

/// Counts a new writer on `key`, returning how many are open now (including it).
fn register_writer(key: &Path) -> usize {
    let mut open = OPEN_WRITERS.lock().unwrap_or_else(|p| p.into_inner());
    let n = open.entry(key.to_path_buf()).or_insert(0);
    *n += 1;
    *n
}

impl Drop for Inner {
    fn drop(&mut self) {
        let mut open = OPEN_WRITERS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.registered) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.registered);
            }
        }
    }
}

/// The most writes committed together. Bounded so one commit stays short.
const MAX_BATCH: usize = 256;

/// One queued write: run inside the batch's transaction (in its own savepoint when the batch
/// holds others), then told whether the batch committed. Its caller is answered only after
/// the commit, so "written" always means "on disk".
trait Work: Send {
    /// Runs the write. `alone`: it is the batch's only write, so it needs no savepoint (its
    /// failure rolls the whole transaction back, see [`writer_loop`]).
    fn run(&mut self, conn: &Connection, alone: bool);
    /// The write returned an error (or panicked): its changes must not be committed.
    fn failed(&self) -> bool;
    fn finish(self: Box<Self>, committed: std::result::Result<(), &rusqlite::Error>);
}

enum Reply<T> {
    Sync(std::sync::mpsc::SyncSender<Result<T>>),
    Async(tokio::sync::oneshot::Sender<Result<T>>),
}

struct Job<T, F> {
    f: Option<F>,
    outcome: Option<Result<T>>,
    reply: Reply<T>,
}

impl<T: Send, F: FnOnce(&Connection) -> Result<T> + Send> Work for Job<T, F> {
    fn run(&mut self, conn: &Connection, alone: bool) {
        let Some(f) = self.f.take() else { return };
        // A panicking write must not take the writer thread (and every later write) down.
        let guarded = |f: F| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(Error::Internal("a database write panicked".into())))
        };
        if alone {
            // No savepoint: SQLite would copy every page the write touches into its statement
            // journal, for an undo the transaction's own rollback does as well.
            self.outcome = Some(guarded(f));
            return;
        }
        if let Err(e) = conn.exec("SAVEPOINT job", []) {
            self.outcome = Some(Err(e.into()));
            return;
        }
        let out = guarded(f);
        let end = match out {
            Ok(_) => conn.exec("RELEASE job", []),
            Err(_) => conn.exec("ROLLBACK TO job", []).and_then(|_| conn.exec("RELEASE job", [])),
        };
        self.outcome = Some(match end {
            Ok(_) => out,
            Err(e) => Err(e.into()),
        });
    }

    fn failed(&self) -> bool {
        !matches!(self.outcome, Some(Ok(_)))
    }

    fn finish(self: Box<Self>, committed: std::result::Result<(), &rusqlite::Error>) {
        let result = match (committed, self.outcome) {
            (Ok(()), Some(out)) => out,
            (Ok(()), None) => Err(Error::Internal("the write was not run".into())),
            (Err(e), _) => Err(copy_error(e)),
        };
        match self.reply {
            Reply::Sync(tx) => {
                let _ = tx.send(result);
            }
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// The commit's error for each write of the batch (rusqlite errors cannot be cloned).
fn copy_error(e: &rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            Error::Database(rusqlite::Error::SqliteFailure(*code, msg.clone()))
        }
        other => Error::Internal(format!("database commit failed: {other}")),
    }
}

/// The writer thread: takes the first queued write, then whatever else is queued (up to
/// [`MAX_BATCH`]), runs them in one transaction, indexes their new rows for search
/// ([`search::index_pending`]) and commits once. Under load this turns hundreds of fsyncs
/// (and FTS segment writes) into one; alone, a write is committed as soon as it arrives.
fn writer_loop(mut conn: Connection, rx: std::sync::mpsc::Receiver<Box<dyn Work>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = (|| -> rusqlite::Result<()> {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let alone = batch.len() == 1;
            for job in batch.iter_mut() {
                job.run(&tx, alone);
            }
            if alone && batch.iter().any(|job| job.failed()) {
                // The only write failed: nothing of it may stay. Its caller gets its own error.
                return tx.rollback();
            }
            search::index_pending(&tx)?;
            tx.commit()
        })();
        if let Err(e) = &committed {
            tracing::error!(error = %e, "a database commit failed; {} writes are reported failed", batch.len());
        }
        for job in batch {
            job.finish(committed.as_ref().map(|_| ()));
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, migrating it to this build's schema.
    /// The folder is made private (0700, files 0600 on unix; see [`private`]), and one
    /// left readable by an older build is fixed here.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let fixed = private::fix_data_dir(data_dir);
        private::create_dir(data_dir)?;
        if fixed > 0 {
            tracing::info!(entries = fixed, "made the data folder private to this user");
        }
        let db_path = data_dir.join(DB_FILE);
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        // database's own mode.
        drop(private::create_private_file(&db_path)?);
        for suffix in ["", "-wal", "-shm"] {
            private::fix_entry(&data_dir.join(format!("{DB_FILE}{suffix}")))?;
        }
        let mut writer = Connection::open(&db_path)?;
        configure(&writer)?;
        migrate(&mut writer)?;
        if search::has_pending(&writer)? {
            // IMMEDIATE: waits (busy timeout) for another program's write instead of
            // failing at once when a read would have to become a write.
            let tx = writer.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            search::index_pending(&tx)?;
            tx.commit()?;
        }
        let reader = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        reader.busy_timeout(Duration::from_secs(5))?;
        reader.set_prepared_statement_cache_capacity(sql::STATEMENT_CACHE);
        keep_statements_prepared(&reader)?;
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn Work>>();
        std::thread::Builder::new().name("switchboard-db-writer".into()).spawn(move || writer_loop(writer, rx))?;
        let registered = writer_key(data_dir);
        if register_writer(&registered) > 1 {
            tracing::warn!(dir = %data_dir.display(), "a second Store was opened on the same data folder in this process");
        }
        Ok(Store {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                registered,
                writer: tx,
                reader: Mutex::new(reader),
                read_turn: Arc::new(tokio::sync::Semaphore::new(1)),
                outbox_locks: Default::default(),
            }),
        })
    }

    /// [`Store::open`] off the async runtime: opening migrates and may index, which can
    /// take a while on a large database.
    pub async fn open_async(data_dir: PathBuf) -> Result<Store> {
        tokio::task::spawn_blocking(move || Store::open(&data_dir))
            .await
            .map_err(|e| Error::Internal(format!("opening the store failed: {e}")))?
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Whether `other` is a handle on this very store (the same writer), not merely one on
    /// the same folder.
    pub fn same_as(&self, other: &Store) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn queue(&self, job: Box<dyn Work>) -> Result<()> {
        self.inner.writer.send(job).map_err(|_| Error::Internal("the database writer has stopped".into()))
    }

    /// Runs `f` as one atomic write (all of it or none of it), returning once it is
    /// committed to disk. Concurrent writes are committed together (group commit).
    pub fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.queue(Box::new(Job { f: Some(f), outcome: None, reply: Reply::Sync(tx) }))?;
        rx.recv().map_err(|_| Error::Internal("the database writer has stopped".into()))?
    }

    /// Runs `f` against the read connection (it sees every committed write).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.inner.reader);
        f(&conn)
    }

    /// [`Store::write`] without blocking the async runtime, for handlers.
    pub async fn write_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue(Box::new(Job { f: Some(f), outcome: None, reply: Reply::Async(tx) }))?;
        rx.await.map_err(|_| Error::Internal("the database writer has stopped".into()))?
    }

    /// Holds the outbox row `client_ref` for one sender of this process (see [`outbox_lock`]).
    pub async fn lock_outbox(&self, client_ref: &str) -> outbox_lock::OutboxGuard {
        self.inner.outbox_locks.lock(client_ref).await
    }

    /// How many senders hold or wait for the outbox row `client_ref` (see [`outbox_lock`]).
    pub fn outbox_contenders(&self, client_ref: &str) -> usize {
        self.inner.outbox_locks.contenders(client_ref)
    }

    /// Frees the page caches and statements both connections hold (`PRAGMA shrink_memory`):
    /// the app calls it when its window closes, as the screens' queries filled them.
    pub async fn release_memory(&self) -> Result<()> {
        self.read_async(shrink_memory).await?;
        self.write_async(shrink_memory).await
    }

    /// [`Store::read`] off the async runtime, for handlers and commands.
    pub async fn read_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let turn = Arc::clone(&self.inner.read_turn)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the database reader has closed".into()))?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            store.read(f)
        })
        .await
        .map_err(|e| Error::Internal(format!("store task failed: {e}")))?
    }
}

/// A poisoned lock only means another thread panicked mid-call; its transaction was rolled
/// back when dropped, so the connection is still sound and we keep using it.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Drops one connection's cached statements and the pages SQLite holds for it.
fn shrink_memory(conn: &Connection) -> Result<()> {
    conn.flush_prepared_statement_cache();
    Ok(conn.execute_batch("PRAGMA shrink_memory")?)
}

/// Plans that do not depend on the values bound to a statement (SQLite's query planner
/// stability guarantee). Without it, SQLite 3.53 plans with the value bound to `LIMIT ?`
/// (and, on a store with statistics, with any parameter it estimated from), marks every
/// such statement expired when it is bound again, and prepares it afresh at its next step:
/// a third of the conversation list's time and half a thread's went to preparing the
/// statement the cache was meant to keep (docs/PERFORMANCE.md). Our queries are written
/// for their indexes, so one plan per statement is what they want.
fn keep_statements_prepared(conn: &Connection) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(sql::STATEMENT_CACHE);
    keep_statements_prepared(conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a webhook is acknowledged only after its commit reached the disk.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Each write of a group commit runs in its own savepoint, whose undo log (the statement
    // journal) would otherwise spill to a temporary file: memory is enough for a batch.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
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

/// The platform data directory, or `override_dir`: `~/.local/share/switchboard` on Linux,
/// `~/Library/Application Support/switchboard` on macOS, `%LOCALAPPDATA%\switchboard` on
/// Windows. Not the roaming `%APPDATA%` there: a roaming profile is copied to a server at
/// every log-off, which gigabytes of recordings and a live SQLite database must not be.
/// The folder inherits the profile's access list (the owner, SYSTEM and Administrators),
/// which is the privacy `private` gives it on unix with modes.
pub fn default_data_dir(override_dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = override_dir {
        return Ok(dir.to_path_buf());
    }
    #[cfg(windows)]
    let base = dirs::data_local_dir();
    #[cfg(not(windows))]
    let base = dirs::data_dir();
    base.map(|d| d.join("switchboard"))
        .ok_or_else(|| Error::Internal("no data directory on this system; pass --data-dir".into()))
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
pub(crate) use test_support::{
    query_plan, test_store, test_store_in_data, test_store_with_shop, write_fresh, write_with_number, write_with_shop,
};

#[cfg(test)]
mod statement_tests {
    use rusqlite::{Connection, StatementStatus};

    /// How often SQLite prepared `sql` again over three calls with other `LIMIT` values.
    fn reprepares(conn: &Connection, sql: &str) -> i32 {
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);").unwrap();
        for limit in [1, 2, 3] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let _: Vec<i64> = stmt.query_map([limit], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        }
        let stmt = conn.prepare_cached(sql).unwrap();
        stmt.get_status(StatementStatus::RePrepare)
    }

    #[test]
    fn a_cached_statement_is_not_prepared_again_when_its_limit_changes() {
        let sql = "SELECT id FROM t ORDER BY id LIMIT ?1";
        // What SQLite does on its own: every new LIMIT value prepares the statement again.
        let plain = Connection::open_in_memory().unwrap();
        assert!(
            reprepares(&plain, sql) > 0,
            "SQLite no longer re-plans for a bound LIMIT; keep_statements_prepared may go"
        );
        let ours = Connection::open_in_memory().unwrap();
        super::keep_statements_prepared(&ours).unwrap();
        assert_eq!(reprepares(&ours, sql), 0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod read_async_tests;
#[cfg(test)]
mod writer_tests;
