//! Full-text search (FTS5) over message bodies and contact names.

use rusqlite::{params, Connection};

use super::sql::CachedSql;
use crate::error::Result;

/// Whether rows are queued for indexing (only when another program wrote to the store).
pub fn has_pending(conn: &Connection) -> rusqlite::Result<bool> {
    conn.row(
        "SELECT EXISTS (SELECT 1 FROM fts_pending_messages) OR EXISTS (SELECT 1 FROM fts_pending_contacts)",
        [],
        |r| r.get(0),
    )
}

/// Indexes the rows the insert triggers queued (migrations/05-deferred-search-index): run
/// by the writer at the end of every batch, outside the writes' savepoints, so FTS5 writes
/// one segment per batch instead of one per write; and at open, for rows another program
/// (a script, a test fixture) inserted since.
pub fn index_pending(conn: &Connection) -> rusqlite::Result<()> {
    conn.exec(INDEX_MESSAGES, [])?;
    conn.exec("DELETE FROM fts_pending_messages", [])?;
    conn.exec(INDEX_CONTACTS, [])?;
    conn.exec("DELETE FROM fts_pending_contacts", [])?;
    Ok(())
}

/// The queued messages into the index. CROSS JOIN fixes the loop order (SQLite never
/// reorders it): the queue outside, each row looked up by id. With a plain JOIN the planner
/// picks the order from statistics, and once `ANALYZE` had run with the queue empty (the
/// queue has no statistics, so it is guessed large) it scanned every message and probed the
/// queue: a full read of the messages table at every commit, 7.9 texts/s on the
/// 1 M-message store instead of hundreds (docs/PERFORMANCE.md).
const INDEX_MESSAGES: &str = "INSERT INTO messages_fts(rowid, body)
     SELECT m.id, m.body FROM fts_pending_messages p CROSS JOIN messages m ON m.id = p.id";
/// The queued contacts into the index, in the same order for the same reason.
const INDEX_CONTACTS: &str = "INSERT INTO contacts_fts(rowid, name)
     SELECT c.id, c.name FROM fts_pending_contacts p CROSS JOIN contacts c ON c.id = p.id";

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(rename = "SearchHit")] // the name the UI knows it by (bindings.ts)
pub struct Hit {
    pub conversation_id: i64,
    pub message_id: Option<i64>,
    pub customer: String,
    pub contact_name: String,
    /// The message body with matches wrapped in U+0002/U+0003 (the UI highlights them as text).
    pub snippet: String,
    pub created_at: Option<String>,
}

/// Turns what the owner typed into an FTS5 query of prefix terms, so no input is ever an
/// FTS syntax error ("O'Brien", "a AND", quotes) and "pizz" finds "pizza".
pub fn to_fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> =
        input.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| format!("\"{t}\"*")).collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Contacts, then messages matching `input`, newest message first, at most `limit`.
/// Newest first is what an inbox search wants, and FTS5 walks its index backwards for it;
/// ranking by relevance would score every match first (a common word at 1 M messages
/// matches hundreds of thousands).
pub fn search(conn: &Connection, input: &str, limit: i64) -> Result<Vec<Hit>> {
    let Some(q) = to_fts_query(input) else { return Ok(vec![]) };
    let limit = if limit <= 0 { 50 } else { limit.min(200) };
    let mut hits = Vec::new();
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT v.id, v.customer, COALESCE(c.name, '') FROM contacts_fts f
         JOIN contacts c ON c.id = f.rowid JOIN conversations v ON v.contact_id = c.id
         WHERE contacts_fts MATCH ?1 AND ",
        super::blocked::not_blocked_sql!(),
        " LIMIT ?2"
    ))?;
    for row in stmt.query_map(params![q, limit], |r| {
        Ok(Hit {
            conversation_id: r.get(0)?,
            message_id: None,
            customer: r.get(1)?,
            contact_name: r.get(2)?,
            snippet: String::new(),
            created_at: None,
        })
    })? {
        hits.push(row?);
    }
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT m.conversation_id, m.id, v.customer, COALESCE(c.name, ''),
           snippet(messages_fts, 0, char(2), char(3), '…', 12), m.created_at
         FROM messages_fts f JOIN messages m ON m.id = f.rowid
         JOIN conversations v ON v.id = m.conversation_id LEFT JOIN contacts c ON c.id = v.contact_id
         WHERE messages_fts MATCH ?1 AND ",
        super::blocked::not_blocked_sql!(),
        " ORDER BY f.rowid DESC LIMIT ?2"
    ))?;
    for row in stmt.query_map(params![q, limit], |r| {
        Ok(Hit {
            conversation_id: r.get(0)?,
            message_id: Some(r.get(1)?),
            customer: r.get(2)?,
            contact_name: r.get(3)?,
            snippet: r.get(4)?,
            created_at: r.get(5)?,
        })
    })? {
        hits.push(row?);
    }
    hits.truncate(limit as usize);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::{conversations, test_store_with_shop};

    fn insert(tx: &Connection, conv: i64, sid: &str, body: &str) -> Result<i64> {
        tx.exec(
            "INSERT INTO messages (sid, conversation_id, direction, from_addr, to_addr, body, status, status_rank, created_at)
             VALUES (?1, ?2, 'inbound', '+61412555201', '+61255501234', ?3, 'received', 0, ?1)",
            params![sid, conv, body],
        )?;
        Ok(tx.last_insert_rowid())
    }

    fn bodies(store: &crate::store::Store, word: &str) -> Result<Vec<String>> {
        let word = word.to_string();
        Ok(store
            .read(move |c| search(c, &word, 50))?
            .into_iter()
            .map(|h| h.snippet.replace(['\u{2}', '\u{3}'], ""))
            .collect())
    }

    /// Indexing happens at the end of each batch: whatever a write inserted, changed or
    /// deleted (in the same write or a later one) is what search finds once it committed,
    /// and FTS5's own check agrees with the tables.
    #[test]
    fn committed_rows_are_searchable_as_they_stand() -> Result<()> {
        let (_d, store, shop) = test_store_with_shop()?;
        let (first, gone) = store.write(move |tx| {
            let conv = conversations::ensure(tx, shop, "+61412555201")?;
            let first = insert(tx, conv, "SM1", "apple pie order")?;
            let changed = insert(tx, conv, "SM2", "banana bread")?;
            tx.exec("UPDATE messages SET body = 'cherry tart' WHERE id = ?1", [changed])?;
            let gone = insert(tx, conv, "SM3", "damson jam")?;
            tx.exec("DELETE FROM messages WHERE sid = 'SM3'", [])?;
            Ok((first, gone))
        })?;
        assert_eq!(bodies(&store, "apple")?, vec!["apple pie order"]);
        assert!(bodies(&store, "banana")?.is_empty(), "changed before it was indexed: the new text only");
        assert_eq!(bodies(&store, "cherry")?, vec!["cherry tart"]);
        assert!(bodies(&store, "damson")?.is_empty(), "deleted before it was indexed");
        assert_ne!(first, gone);

        // Later writes change and delete rows that are already indexed.
        store.write(move |tx| {
            tx.exec("UPDATE messages SET body = 'apple crumble' WHERE id = ?1", [first])?;
            tx.exec("DELETE FROM messages WHERE sid = 'SM2'", [])?;
            Ok(())
        })?;
        assert_eq!(bodies(&store, "apple")?, vec!["apple crumble"]);
        assert!(bodies(&store, "cherry")?.is_empty());
        assert!(bodies(&store, "pie")?.is_empty());
        // Contact names go the same way.
        store.write(|tx| {
            tx.exec("UPDATE contacts SET name = 'Quentin Blake' WHERE id = (SELECT MIN(id) FROM contacts)", [])?;
            Ok(())
        })?;
        let hits = store.read(|c| search(c, "quentin", 50))?;
        assert!(hits.iter().any(|h| h.contact_name == "Quentin Blake"), "{hits:?}");
        store.write(|tx| {
            tx.exec("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')", [])?;
            tx.exec("INSERT INTO contacts_fts(contacts_fts) VALUES ('integrity-check')", [])?;
            let queued: i64 = tx.row(
                "SELECT (SELECT COUNT(*) FROM fts_pending_messages) + (SELECT COUNT(*) FROM fts_pending_contacts)",
                [],
                |r| r.get(0),
            )?;
            assert_eq!(queued, 0, "nothing is left queued after a commit");
            Ok(())
        })
    }

    /// Rows another program inserted (the triggers queue them) are indexed when the store opens.
    #[test]
    fn a_blocked_numbers_texts_are_kept_but_not_found() -> Result<()> {
        let (_d, store, shop) = test_store_with_shop()?;
        store.write(move |tx| {
            let spam = conversations::ensure(tx, shop, "+61412555666")?;
            insert(tx, spam, "SM1", "cheap watches today")?;
            let customer = conversations::ensure(tx, shop, "+61412555201")?;
            insert(tx, customer, "SM2", "are the watches fixed")?;
            crate::store::blocked::block(tx, "+61412555666").map(|_| ())
        })?;
        assert_eq!(bodies(&store, "watches")?, vec!["are the watches fixed"], "hidden from search as from the inbox");
        store.write(|tx| crate::store::blocked::unblock(tx, "+61412555666").map(|_| ()))?;
        assert_eq!(bodies(&store, "watches")?.len(), 2, "kept all along: unblocking finds it again");
        Ok(())
    }

    #[test]
    fn rows_written_by_another_program_are_indexed_at_open() -> Result<()> {
        let dir = tempfile::tempdir()?;
        drop(crate::store::Store::open(dir.path())?);
        {
            let c = Connection::open(dir.path().join(crate::store::DB_FILE))?;
            c.execute_batch(
                "INSERT INTO numbers (e164) VALUES ('+61255501234');
                 INSERT INTO conversations (number_id, customer) VALUES (1, '+61412555201');",
            )?;
            insert(&c, 1, "SM9", "quince paste")?;
        }
        let store = crate::store::Store::open(dir.path())?;
        assert_eq!(bodies(&store, "quince")?, vec!["quince paste"]);
        Ok(())
    }

    /// A store whose statistics say `messages` is small next to the (never analysed) queue,
    /// as after any `ANALYZE` or `PRAGMA optimize` taken while the queue was empty: the
    /// planner then liked to scan every message and probe the queue, a full read of the
    /// messages table at every commit (7.9 texts/s on the 1 M-message store). The batch's
    /// indexing must look the queued rows up by id whatever the statistics say.
    #[test]
    fn indexing_a_batch_looks_up_only_the_queued_rows_whatever_the_statistics() -> Result<()> {
        let (_d, store, shop) = test_store_with_shop()?;
        store.write(move |tx| {
            for i in 0..200 {
                let conv = conversations::ensure(tx, shop, &format!("+61412555{i:03}"))?;
                insert(tx, conv, &format!("SM{i}"), "plain words")?;
            }
            Ok(())
        })?;
        store.write(|tx| Ok(tx.execute_batch("ANALYZE")?))?;
        store.write(|tx| {
            for (sql, table) in [(INDEX_MESSAGES, "m"), (INDEX_CONTACTS, "c")] {
                let select = &sql[sql.find("SELECT").unwrap_or(0)..];
                let plan = crate::store::query_plan(tx, select)?;
                assert!(
                    plan.iter().any(|step| step.starts_with(&format!("SEARCH {table} USING INTEGER PRIMARY KEY"))),
                    "{table} must be looked up by id: {plan:?}"
                );
                assert!(!plan.iter().any(|step| step.starts_with(&format!("SCAN {table}"))), "{plan:?}");
            }
            Ok(())
        })?;
        // And the rows still reach the index.
        store.write(|tx| {
            insert(tx, 1, "SM-after", "quiet harbour")?;
            Ok(())
        })?;
        assert_eq!(bodies(&store, "harbour")?, vec!["quiet harbour"]);
        Ok(())
    }

    #[test]
    fn user_input_never_breaks_fts_syntax() {
        assert_eq!(to_fts_query("O'Brien pizza").as_deref(), Some("\"O\"* \"Brien\"* \"pizza\"*"));
        assert_eq!(to_fts_query("  \"*() AND "), Some("\"AND\"*".into()));
        assert_eq!(to_fts_query("!!!"), None);
    }
}
