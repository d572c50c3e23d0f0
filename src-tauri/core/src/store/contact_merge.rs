//! Tidying the address book: merging two contacts into one, and deleting a contact.
//!
//! Neither touches what belongs to an address rather than a person: the opt-out ledger
//! (`super::optouts`) and blocks (`super::blocked`) are keyed by the phone number or email
//! address itself, so a merged or deleted contact's STOP still holds, and a number that
//! comes back later (a new text, a CSV import) is still opted out. Threads are never
//! deleted with a contact: a conversation keeps its messages and shows the number instead
//! of a name.

use super::sql::CachedSql;
use rusqlite::{params, Connection};

use crate::domain::now_rfc3339;
use crate::error::{Error, Result};

/// Merges contact `from` into `into`: `into` gains `from`'s phone numbers, email (when it
/// has none), notes, tags, conversations and campaign rows; its own name is kept unless it
/// has none. `from` is then removed. Returns the id kept.
pub fn merge(conn: &Connection, into: i64, from: i64) -> Result<i64> {
    if into == from {
        return Err(Error::InvalidInput("choose two different contacts to merge".into()));
    }
    let keep = super::contacts::get(conn, into)?;
    let gone = super::contacts::get(conn, from)?;
    let name = if keep.name.trim().is_empty() { gone.name.clone() } else { keep.name.clone() };
    let email = keep.email.clone().or(gone.email.clone());
    let notes = match (keep.notes.trim().is_empty(), gone.notes.trim().is_empty()) {
        (_, true) => keep.notes.clone(),
        (true, false) => gone.notes.clone(),
        (false, false) => format!("{}\n\n{}", keep.notes, gone.notes),
    };
    conn.exec(
        "UPDATE contacts SET name = ?2, email = ?3, notes = ?4, updated_at = ?5 WHERE id = ?1",
        params![into, name, email, notes, now_rfc3339()],
    )?;
    conn.exec("UPDATE contact_phones SET contact_id = ?1 WHERE contact_id = ?2", params![into, from])?;
    conn.exec("UPDATE conversations SET contact_id = ?1 WHERE contact_id = ?2", params![into, from])?;
    conn.exec("UPDATE campaign_recipients SET contact_id = ?1 WHERE contact_id = ?2", params![into, from])?;
    conn.exec(
        "INSERT INTO contact_tags (contact_id, tag) SELECT ?1, tag FROM contact_tags WHERE contact_id = ?2
         ON CONFLICT DO NOTHING",
        params![into, from],
    )?;
    conn.exec("DELETE FROM contacts WHERE id = ?1", [from])?;
    Ok(into)
}

/// Deletes contact `id`: its name, notes and tags go; its conversations stay (shown by
/// number), and its numbers' opt-out and block state stay with the numbers.
pub fn delete(conn: &Connection, id: i64) -> Result<()> {
    // Campaign history keeps the recipient's number; only the link to the person goes.
    conn.exec("UPDATE campaign_recipients SET contact_id = NULL WHERE contact_id = ?1", [id])?;
    // conversations.contact_id is ON DELETE SET NULL, contact_phones and contact_tags CASCADE.
    let n = conn.exec("DELETE FROM contacts WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(Error::not_found(format!("contact {id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contacts::{self, ContactEdit};
    use crate::store::{optouts, tags, write_fresh};

    fn edit(name: &str, phones: &[&str], email: Option<&str>, notes: &str) -> ContactEdit {
        ContactEdit {
            name: name.into(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            email: email.map(str::to_string),
            notes: notes.into(),
        }
    }

    #[test]
    fn merge_keeps_every_number_and_the_ledger_by_address() {
        write_fresh(|tx| {
            let ana = contacts::save(tx, None, &edit("Ana Lima", &["+61412345678"], None, "likes mornings"))?;
            let dup = contacts::save(tx, None, &edit("", &["+61412345679"], Some("ana@example.com"), "VIP"))?;
            tags::add(tx, dup, "VIP")?;
            optouts::set_by_owner(tx, "+61412345679", true)?;
            assert_eq!(merge(tx, ana, dup)?, ana);
            let c = contacts::get(tx, ana)?;
            assert_eq!(c.name, "Ana Lima", "the kept contact's name wins");
            assert_eq!(c.phones.len(), 2);
            assert_eq!(c.email.as_deref(), Some("ana@example.com"), "an email it lacked is taken");
            assert_eq!(c.notes, "likes mornings\n\nVIP");
            assert_eq!(c.opted_out_phones, vec!["+61412345679"], "the opt-out stays with its number");
            assert_eq!(tags::of_contact(tx, ana)?, vec!["VIP"]);
            assert!(contacts::get(tx, dup).is_err(), "the other contact is gone");
            assert!(merge(tx, ana, ana).is_err());
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn delete_keeps_the_opt_out_of_its_numbers() {
        write_fresh(|tx| {
            let id = contacts::save(tx, None, &edit("Bo", &["+61412345670"], None, ""))?;
            optouts::set_by_owner(tx, "+61412345670", true)?;
            delete(tx, id)?;
            assert!(contacts::get(tx, id).is_err());
            assert!(optouts::is_opted_out(tx, "+61412345670")?, "STOP belongs to the number");
            let again = contacts::save(tx, None, &edit("Bo again", &["+61412345670"], None, ""))?;
            assert!(contacts::get(tx, again)?.opted_out, "a contact made again for the number is still opted out");
            assert!(delete(tx, again + 1).is_err(), "deleting what is not there says so");
            Ok(())
        })
        .unwrap();
    }
}
