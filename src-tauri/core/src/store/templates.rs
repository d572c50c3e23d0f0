//! Saved message templates.

use super::sql::{all_rows, CachedSql, MustExist};
use crate::domain::xmltext::xml_safe;
use rusqlite::{params, Connection};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub variables: Vec<String>,
}

fn build(id: i64, name: String, body: String) -> Template {
    let variables = crate::domain::template::variables(&body);
    Template { id, name, body, variables }
}

pub fn list(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare("SELECT id, name, body FROM templates ORDER BY name COLLATE NOCASE")?;
    all_rows(&mut stmt, [], |r| Ok(build(r.get(0)?, r.get(1)?, r.get(2)?)))
}

pub fn find_by_name(conn: &Connection, name: &str) -> Result<Template> {
    conn.row("SELECT id, name, body FROM templates WHERE name = ?1", [name], |r| {
        Ok(build(r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .or_not_found(|| format!("template {name:?}"))
}

pub fn get(conn: &Connection, id: i64) -> Result<Template> {
    conn.row("SELECT id, name, body FROM templates WHERE id = ?1", [id], |r| Ok(build(r.get(0)?, r.get(1)?, r.get(2)?)))
        .or_not_found(|| format!("template {id}"))
}

/// Creates or (with `id`) updates a template; names are unique.
/// Control characters XML cannot carry are dropped: a template's text may be sent or
/// answered as TwiML ([`crate::domain::xmltext`]).
pub fn save(conn: &Connection, id: Option<i64>, name: &str, body: &str) -> Result<i64> {
    let (name, body) = (xml_safe(name), xml_safe(body));
    let (name, body) = (name.trim(), body.as_ref());
    if name.is_empty() || body.trim().is_empty() {
        return Err(Error::InvalidInput("a template needs a name and a text".into()));
    }
    match id {
        Some(id) => {
            conn.exec(
                "UPDATE templates SET name = ?2, body = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1",
                params![id, name, body],
            )?;
            Ok(id)
        }
        None => {
            conn.exec("INSERT INTO templates (name, body) VALUES (?1, ?2)", params![name, body])?;
            Ok(conn.last_insert_rowid())
        }
    }
}

pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    conn.exec("DELETE FROM templates WHERE id = ?1", [id])?;
    Ok(())
}
