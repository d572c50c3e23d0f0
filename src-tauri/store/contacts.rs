//! Customers: name, phone addresses, email, notes, and whether they opted out.

use super::sql::CachedSql;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub notes: String,
    pub opted_out: bool,
    pub opted_out_at: Option<String>,
    pub opt_out_source: Option<String>,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    let phones: Option<String> = r.get(7)?;
    Ok(Contact {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        notes: r.get(3)?,
        opted_out: r.get(4)?,
        opted_out_at: r.get(5)?,
        opt_out_source: r.get(6)?,
        phones: phones.map(|p| p.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default(),
    })
}

const SELECT: &str = "SELECT c.id, c.name, c.email, c.notes, c.opted_out, c.opted_out_at, c.opt_out_source,
    (SELECT group_concat(address, char(31)) FROM contact_phones p WHERE p.contact_id = c.id) FROM contacts c";

/// The contact owning `address`, creating a nameless one for a new customer.
pub fn ensure_for_address(conn: &Connection, address: &str) -> Result<i64> {
    if let Some(id) =
        conn.row("SELECT contact_id FROM contact_phones WHERE address = ?1", [address], |r| r.get(0)).optional()?
    {
        return Ok(id);
    }
    conn.exec("INSERT INTO contacts (name) VALUES ('')", [])?;
    let id = conn.last_insert_rowid();
    conn.exec("INSERT INTO contact_phones (contact_id, address) VALUES (?1, ?2)", params![id, address])?;
    Ok(id)
}

pub fn find_by_address(conn: &Connection, address: &str) -> Result<Option<Contact>> {
    Ok(conn
        .row(
            &format!("{SELECT} WHERE c.id = (SELECT contact_id FROM contact_phones WHERE address = ?1)"),
            [address],
            from_row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Contact> {
    conn.row(&format!("{SELECT} WHERE c.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::not_found(format!("contact {id}")))
}

pub fn list(conn: &Connection) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY c.name = '', c.name COLLATE NOCASE, c.id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Fields the owner edits; opt-out state is not among them (only the customer changes it).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ContactEdit {
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub notes: String,
}

/// Creates (`id` None) or updates a contact; phone numbers must be valid E.164.
pub fn save(conn: &Connection, id: Option<i64>, edit: &ContactEdit) -> Result<i64> {
    let phones = edit
        .phones
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| crate::domain::E164::parse(p).map(|n| n.as_str().to_string()))
        .collect::<Result<Vec<_>>>()?;
    let email = edit.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        if !e.contains('@') {
            return Err(Error::InvalidInput(format!("{e:?} is not an email address")));
        }
    }
    let id = match id {
        Some(id) => {
            let n = conn.exec(
                "UPDATE contacts SET name = ?2, email = ?3, notes = ?4, updated_at = ?5 WHERE id = ?1",
                params![id, edit.name.trim(), email, edit.notes, now_rfc3339()],
            )?;
            if n == 0 {
                return Err(Error::not_found(format!("contact {id}")));
            }
            id
        }
        None => {
            conn.exec(
                "INSERT INTO contacts (name, email, notes) VALUES (?1, ?2, ?3)",
                params![edit.name.trim(), email, edit.notes],
            )?;
            conn.last_insert_rowid()
        }
    };
    for phone in &phones {
        let owner: Option<i64> =
            conn.row("SELECT contact_id FROM contact_phones WHERE address = ?1", [phone], |r| r.get(0)).optional()?;
        match owner {
            Some(o) if o == id => {}
            Some(_) => {
                return Err(Error::InvalidInput(format!("{phone} already belongs to another contact")));
            }
            None => {
                conn.exec("INSERT INTO contact_phones (contact_id, address) VALUES (?1, ?2)", params![id, phone])?;
            }
        }
    }
    // Drop numbers removed in the edit, unless a conversation still needs them.
    let mut stmt = conn.prepare("SELECT address FROM contact_phones WHERE contact_id = ?1")?;
    let existing: Vec<String> = stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    for old in existing.iter().filter(|a| !phones.contains(a)) {
        conn.exec("DELETE FROM contact_phones WHERE contact_id = ?1 AND address = ?2", params![id, old])?;
    }
    conn.exec(
        "UPDATE conversations SET contact_id = ?1 WHERE customer IN (SELECT address FROM contact_phones WHERE contact_id = ?1)",
        [id],
    )?;
    Ok(id)
}

/// Records an opt-out or opt-in for the customer at `address`.
pub fn set_opt_out(conn: &Connection, address: &str, opted_out: bool, source: &str) -> Result<()> {
    let id = ensure_for_address(conn, address)?;
    conn.exec(
        "UPDATE contacts SET opted_out = ?2, opted_out_at = ?3, opt_out_source = ?4, updated_at = ?3 WHERE id = ?1",
        params![id, opted_out, now_rfc3339(), source],
    )?;
    Ok(())
}

pub fn is_opted_out(conn: &Connection, address: &str) -> Result<bool> {
    Ok(conn
        .row(
            "SELECT c.opted_out FROM contacts c JOIN contact_phones p ON p.contact_id = c.id WHERE p.address = ?1",
            [address],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_store;

    #[test]
    fn opt_out_round_trip() {
        let (_d, store) = test_store();
        store
            .write(|tx| {
                assert!(!is_opted_out(tx, "+61412345678")?);
                set_opt_out(tx, "+61412345678", true, "STOP")?;
                assert!(is_opted_out(tx, "+61412345678")?);
                let c = find_by_address(tx, "+61412345678")?.expect("contact created");
                assert_eq!(c.opt_out_source.as_deref(), Some("STOP"));
                set_opt_out(tx, "+61412345678", false, "START")?;
                assert!(!is_opted_out(tx, "+61412345678")?);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn save_validates_numbers_and_ownership() {
        let (_d, store) = test_store();
        store
            .write(|tx| {
                let edit = ContactEdit {
                    name: "Ana".into(),
                    phones: vec!["+61 412 345 678".into()],
                    email: Some("ana@example.com".into()),
                    notes: String::new(),
                };
                let id = save(tx, None, &edit)?;
                assert_eq!(get(tx, id)?.phones, vec!["+61412345678"]);
                let bad = ContactEdit { phones: vec!["not a number".into()], ..edit.clone() };
                assert!(save(tx, Some(id), &bad).is_err());
                let other = ContactEdit { name: "Bo".into(), ..edit };
                assert!(save(tx, None, &other).is_err(), "a number belongs to one contact");
                Ok(())
            })
            .unwrap();
    }
}
