//! Full-text search (FTS5) over message bodies and contact names.

use rusqlite::{params, Connection};

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
    let mut stmt = conn.prepare_cached(
        "SELECT v.id, v.customer, COALESCE(c.name, '') FROM contacts_fts f
         JOIN contacts c ON c.id = f.rowid JOIN conversations v ON v.contact_id = c.id
         WHERE contacts_fts MATCH ?1 LIMIT ?2",
    )?;
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
    let mut stmt = conn.prepare_cached(
        "SELECT m.conversation_id, m.id, v.customer, COALESCE(c.name, ''),
           snippet(messages_fts, 0, char(2), char(3), '…', 12), m.created_at
         FROM messages_fts f JOIN messages m ON m.id = f.rowid
         JOIN conversations v ON v.id = m.conversation_id LEFT JOIN contacts c ON c.id = v.contact_id
         WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT ?2",
    )?;
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

    #[test]
    fn user_input_never_breaks_fts_syntax() {
        assert_eq!(to_fts_query("O'Brien pizza").as_deref(), Some("\"O\"* \"Brien\"* \"pizza\"*"));
        assert_eq!(to_fts_query("  \"*() AND "), Some("\"AND\"*".into()));
        assert_eq!(to_fts_query("!!!"), None);
    }
}
