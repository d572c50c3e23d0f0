//! Customers: name, phone addresses, email and notes. Whether they may be messaged is not
//! theirs to keep: it is read from the opt-out ledger by address (`super::optouts`), so no
//! contact edit can change it.

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub notes: String,
    /// Whether any of the contact's phones is opted out (from the ledger), and the latest
    /// such opt-out's time and reason, for the badge.
    pub opted_out: bool,
    pub opted_out_at: Option<String>,
    pub opt_out_source: Option<String>,
    /// The contact's phones that are opted out now (each phone has its own state).
    pub opted_out_phones: Vec<String>,
    /// Whether the contact's email address is unsubscribed (independent of SMS).
    pub email_opted_out: bool,
    /// The owner's tags, alphabetical (`super::tags`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The contact's phones that are blocked (`super::blocked`, kept by number).
    #[serde(default)]
    pub blocked_phones: Vec<String>,
}

impl Contact {
    /// The phone to text: the first one that is not opted out (each phone has its own
    /// state), or None when every phone is (or there is none).
    pub fn reachable_phone(&self) -> Option<&String> {
        self.phones.iter().find(|p| !self.opted_out_phones.contains(p))
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    let phones: Option<String> = r.get(4)?;
    let tags: Option<String> = r.get(5)?;
    let mut tags: Vec<String> = tags.map(|t| t.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default();
    tags.sort_by_key(|t| t.to_lowercase());
    Ok(Contact {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        notes: r.get(3)?,
        opted_out: false,
        opted_out_at: None,
        opt_out_source: None,
        phones: phones.map(|p| p.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default(),
        opted_out_phones: Vec::new(),
        email_opted_out: false,
        tags,
        blocked_phones: Vec::new(),
    })
}

/// Fills the opt-out fields of `c` from the ledger.
fn with_opt_outs(conn: &Connection, mut c: Contact) -> Result<Contact> {
    let mut newest: Option<super::optouts::OptOutEvent> = None;
    for phone in &c.phones {
        if super::blocked::is_blocked(conn, phone)? {
            c.blocked_phones.push(phone.clone());
        }
        if let Some(e) = super::optouts::latest(conn, phone)?.filter(|e| e.opted_out) {
            c.opted_out_phones.push(phone.clone());
            if newest.as_ref().is_none_or(|n| e.at > n.at) {
                newest = Some(e);
            }
        }
    }
    c.opted_out = newest.is_some();
    c.opted_out_at = newest.as_ref().map(|e| e.at.clone());
    c.opt_out_source = newest.map(|e| e.reason);
    c.email_opted_out = match &c.email {
        Some(e) => super::optouts::is_opted_out(conn, e)?,
        None => false,
    };
    Ok(c)
}

const SELECT: &str = "SELECT c.id, c.name, c.email, c.notes,
    (SELECT group_concat(address, char(31)) FROM contact_phones p WHERE p.contact_id = c.id),
    (SELECT group_concat(tag, char(31)) FROM contact_tags t WHERE t.contact_id = c.id) FROM contacts c";

/// The contact owning `address`, creating a nameless one for a new customer.
pub fn ensure_for_address(conn: &Connection, address: &str) -> Result<i64> {
    if let Some(id) = id_for_address(conn, address)? {
        return Ok(id);
    }
    conn.exec("INSERT INTO contacts (name) VALUES ('')", [])?;
    let id = conn.last_insert_rowid();
    conn.exec("INSERT INTO contact_phones (contact_id, address) VALUES (?1, ?2)", params![id, address])?;
    Ok(id)
}

pub fn find_by_address(conn: &Connection, address: &str) -> Result<Option<Contact>> {
    conn.row(
        &format!("{SELECT} WHERE c.id = (SELECT contact_id FROM contact_phones WHERE address = ?1)"),
        [address],
        from_row,
    )
    .optional()?
    .map(|c| with_opt_outs(conn, c))
    .transpose()
}

/// The id of the contact owning `address`, if any (without reading the ledger).
pub fn id_for_address(conn: &Connection, address: &str) -> Result<Option<i64>> {
    Ok(conn.row("SELECT contact_id FROM contact_phones WHERE address = ?1", [address], |r| r.get(0)).optional()?)
}

/// The contacts an opt-out of `key` (an `optouts::key`: E.164, or an email address in lower
/// case) shows on: the one with the number, or every one with the email address however
/// its case was typed. Reads every contact for an email (the column has no index): it is
/// asked once per click of the owner's, never per message.
pub fn ids_for_opt_out_key(conn: &Connection, key: &str) -> Result<Vec<i64>> {
    if !key.contains('@') {
        return Ok(id_for_address(conn, key)?.into_iter().collect());
    }
    let mut stmt = conn.prepare("SELECT id FROM contacts WHERE lower(trim(email)) = ?1 ORDER BY id")?;
    super::sql::all_rows(&mut stmt, [key], |r| r.get(0))
}

pub fn get(conn: &Connection, id: i64) -> Result<Contact> {
    with_opt_outs(conn, get_plain(conn, id)?)
}

/// The contact's own fields (name, phones, email, notes, tags) without reading the opt-out
/// ledger or the blocks: for work over many contacts that needs only those (an import).
pub fn get_plain(conn: &Connection, id: i64) -> Result<Contact> {
    conn.row(&format!("{SELECT} WHERE c.id = ?1"), [id], from_row).or_not_found(|| format!("contact {id}"))
}

pub fn list(conn: &Connection) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY c.name = '', c.name COLLATE NOCASE, c.id"))?;
    let rows: Vec<Contact> = all_rows(&mut stmt, [], from_row)?;
    rows.into_iter().map(|c| with_opt_outs(conn, c)).collect()
}

/// Fields the owner edits; opt-out state is not among them: it lives in the ledger, by
/// address (`super::optouts`), and changes only by keyword, error 21610 or the owner's
/// explicit opt-out control.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
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
        match id_for_address(conn, phone)? {
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
    let existing: Vec<String> = all_rows(&mut stmt, [id], |r| r.get(0))?;
    for old in existing.iter().filter(|a| !phones.contains(a)) {
        conn.exec("DELETE FROM contact_phones WHERE contact_id = ?1 AND address = ?2", params![id, old])?;
    }
    conn.exec(
        "UPDATE conversations SET contact_id = ?1 WHERE customer IN (SELECT address FROM contact_phones WHERE contact_id = ?1)",
        [id],
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write_fresh;

    #[test]
    fn opt_out_is_read_per_phone_from_the_ledger() {
        use crate::store::optouts;
        write_fresh(|tx| {
            let edit = ContactEdit {
                name: "Ana".into(),
                phones: vec!["+61412345678".into(), "+61412345679".into()],
                email: Some("ana@example.com".into()),
                notes: String::new(),
            };
            let id = save(tx, None, &edit)?;
            optouts::set_by_owner(tx, "+61412345679", true)?;
            let c = get(tx, id)?;
            assert!(c.opted_out && !c.email_opted_out);
            assert_eq!(c.opted_out_phones, vec!["+61412345679"], "only the phone that opted out");
            assert_eq!(c.opt_out_source.as_deref(), Some("by hand"));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn save_validates_numbers_and_ownership() {
        write_fresh(|tx| {
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
