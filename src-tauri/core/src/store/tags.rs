//! Tags on contacts: words the owner chooses ("VIP", "Tuesday class") to find people and to
//! address a bulk send to everyone who has one. A tag is compared without case and trimmed,
//! so "vip" and " VIP " are one tag; it is shown as first written.

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection};

use crate::error::{Error, Result};

/// The longest tag kept: a label, not a note.
pub const MAX_TAG_CHARS: usize = 40;

/// A tag and how many contacts have it (the tag list and the bulk-send audience picker).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct TagCount {
    pub tag: String,
    pub contacts: i64,
}

/// `raw` as a tag: trimmed, inner white space collapsed, not empty, not too long, no
/// control characters (a tag is shown in lists and written into CSV exports).
pub fn normalise(raw: &str) -> Result<String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if tag.is_empty() {
        return Err(Error::InvalidInput("a tag cannot be empty".into()));
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(Error::InvalidInput(format!("a tag is at most {MAX_TAG_CHARS} characters")));
    }
    if tag.chars().any(char::is_control) {
        return Err(Error::InvalidInput("a tag cannot contain control characters".into()));
    }
    Ok(tag)
}

/// Gives `contact_id` the tag (already there: nothing changes).
pub fn add(conn: &Connection, contact_id: i64, tag: &str) -> Result<()> {
    let tag = normalise(tag)?;
    conn.exec(
        "INSERT INTO contact_tags (contact_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![contact_id, tag],
    )?;
    Ok(())
}

/// Takes the tag off `contact_id`.
pub fn remove(conn: &Connection, contact_id: i64, tag: &str) -> Result<()> {
    let tag = normalise(tag)?;
    conn.exec("DELETE FROM contact_tags WHERE contact_id = ?1 AND tag = ?2", params![contact_id, tag])?;
    Ok(())
}

/// Replaces the contact's tags with `tags` (the contact form's tag field).
pub fn set(conn: &Connection, contact_id: i64, tags: &[String]) -> Result<()> {
    let tags = tags.iter().map(|t| normalise(t)).collect::<Result<Vec<_>>>()?;
    conn.exec("DELETE FROM contact_tags WHERE contact_id = ?1", [contact_id])?;
    for t in &tags {
        add(conn, contact_id, t)?;
    }
    Ok(())
}

/// The contact's tags, alphabetical.
pub fn of_contact(conn: &Connection, contact_id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT tag FROM contact_tags WHERE contact_id = ?1 ORDER BY tag")?;
    all_rows(&mut stmt, [contact_id], |r| r.get(0))
}

/// Every tag in use with its number of contacts, alphabetical.
pub fn all(conn: &Connection) -> Result<Vec<TagCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT MIN(tag), COUNT(*) FROM contact_tags GROUP BY tag COLLATE NOCASE ORDER BY tag COLLATE NOCASE",
    )?;
    all_rows(&mut stmt, [], |r| Ok(TagCount { tag: r.get(0)?, contacts: r.get(1)? }))
}

/// The contacts that have any of `tags`, by id (each once).
pub fn contacts_with_any(conn: &Connection, tags: &[String]) -> Result<Vec<i64>> {
    let mut ids = std::collections::BTreeSet::new();
    let mut stmt = conn.prepare_cached("SELECT contact_id FROM contact_tags WHERE tag = ?1")?;
    for t in tags {
        let t = normalise(t)?;
        for id in stmt.query_map([t], |r| r.get::<_, i64>(0))? {
            ids.insert(id?);
        }
    }
    Ok(ids.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contacts::{self, ContactEdit};
    use crate::store::write_fresh;

    #[test]
    fn tags_ignore_case_and_spacing_and_find_their_contacts() {
        write_fresh(|tx| {
            let edit =
                |name: &str| ContactEdit { name: name.into(), phones: vec![], email: None, notes: String::new() };
            let ana = contacts::save(tx, None, &edit("Ana"))?;
            let bo = contacts::save(tx, None, &edit("Bo"))?;
            add(tx, ana, "VIP")?;
            add(tx, ana, " vip ")?;
            add(tx, bo, "Tuesday   class")?;
            assert_eq!(of_contact(tx, ana)?, vec!["VIP"], "one tag whatever its case");
            assert_eq!(of_contact(tx, bo)?, vec!["Tuesday class"]);
            assert_eq!(contacts_with_any(tx, &["vip".into(), "TUESDAY CLASS".into()])?, vec![ana, bo]);
            let all = all(tx)?;
            assert_eq!(all.len(), 2);
            assert!(add(tx, ana, "   ").is_err());
            assert!(add(tx, ana, &"x".repeat(41)).is_err());
            set(tx, ana, &["New".into()])?;
            assert_eq!(of_contact(tx, ana)?, vec!["New"]);
            remove(tx, ana, "new")?;
            assert!(of_contact(tx, ana)?.is_empty());
            Ok(())
        })
        .unwrap();
    }
}
