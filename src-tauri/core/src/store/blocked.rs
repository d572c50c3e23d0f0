//! Blocked numbers. Like the opt-out ledger (`super::optouts`), a block belongs to the
//! address, never to a contact: deleting or merging contacts cannot let a blocked caller
//! through. What a block does is decided where each thing arrives: the voice webhook
//! answers `<Reject/>` (`webhook::voice`), an inbound text is stored as always (a message is
//! never lost) but not notified (`inbound::publish`) and its conversation is left out of
//! the inbox and the unread count (`super::conversations`).

use super::sql::{all_rows, CachedSql};
use rusqlite::{params, Connection};

use crate::domain::{now_rfc3339, Address};
use crate::error::{Error, Result};

/// The SQL condition "conversation `v` is not a blocked number's". Every query that shows
/// conversations (the list, the counts, the tray's total, search) uses this one, so a blocked
/// number is hidden the same way everywhere. A macro, so `concat!` can build constant
/// statements with it (as `calls::missed_sql!`).
///
/// `NOT IN` reads the (short) block list once per statement; a correlated `NOT EXISTS` probed
/// it once per conversation, and made the counts, which sum over every conversation, read
/// the table for `customer` rather than only their covering index (migration 18).
macro_rules! not_blocked_sql {
    () => {
        "v.customer NOT IN (SELECT address FROM blocked_addresses WHERE address IS NOT NULL)"
    };
}
pub(crate) use not_blocked_sql;

/// One blocked address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct Blocked {
    pub address: String,
    pub blocked_at: String,
}

/// The key a block is kept under: E.164 when the address parses (so "+61 412…" and
/// "+61412…" are one number), else as given, like an address Twilio reports.
fn key(address: &str) -> Result<String> {
    let key = Address::from_twilio(address).into_string();
    if key.is_empty() {
        return Err(Error::InvalidInput("choose a number to block".into()));
    }
    Ok(key)
}

/// Whether calls and texts from `address` are to be refused or hidden. An address never
/// blocked is not.
pub fn is_blocked(conn: &Connection, address: &str) -> Result<bool> {
    let Ok(key) = key(address) else { return Ok(false) };
    is_blocked_key(conn, &key)
}

/// [`is_blocked`] for an address already normalised the way blocks are keyed
/// (`Address::from_twilio`), as every inbound message's sender is. It skips parsing the
/// number again: the inbound pipeline asks on the writer thread, which every webhook waits
/// for, and there the parse cost a fifth of each text's time (docs/PERFORMANCE.md).
pub fn is_blocked_normalised(conn: &Connection, address: &Address) -> Result<bool> {
    is_blocked_key(conn, address.as_str())
}

fn is_blocked_key(conn: &Connection, key: &str) -> Result<bool> {
    if key.is_empty() {
        return Ok(false);
    }
    Ok(conn.row("SELECT EXISTS (SELECT 1 FROM blocked_addresses WHERE address = ?1)", [key], |r| r.get(0))?)
}

/// Blocks `address` (again: no change). Returns whether it was newly blocked.
pub fn block(conn: &Connection, address: &str) -> Result<bool> {
    let key = key(address)?;
    Ok(conn.exec(
        "INSERT INTO blocked_addresses (address, blocked_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![key, now_rfc3339()],
    )? > 0)
}

/// Lets `address` through again. Returns whether it had been blocked.
pub fn unblock(conn: &Connection, address: &str) -> Result<bool> {
    let key = key(address)?;
    Ok(conn.exec("DELETE FROM blocked_addresses WHERE address = ?1", [key])? > 0)
}

/// Every blocked address, most recent first (the Settings list).
pub fn list(conn: &Connection) -> Result<Vec<Blocked>> {
    let mut stmt = conn.prepare_cached("SELECT address, blocked_at FROM blocked_addresses ORDER BY blocked_at DESC")?;
    all_rows(&mut stmt, [], |r| Ok(Blocked { address: r.get(0)?, blocked_at: r.get(1)? }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::write_fresh;

    #[test]
    fn a_block_is_kept_by_the_number_in_any_format() {
        write_fresh(|tx| {
            assert!(!is_blocked(tx, "+61412345678")?);
            assert!(block(tx, "+61 412 345 678")?);
            assert!(!block(tx, "+61412345678")?, "the same number, written another way");
            assert!(is_blocked(tx, "+61412345678")?);
            assert!(!is_blocked(tx, "+61412345679")?);
            assert!(block(tx, "ACME")?, "an alphanumeric sender can be blocked too");
            assert!(is_blocked(tx, "ACME")?);
            assert_eq!(list(tx)?.len(), 2);
            assert!(unblock(tx, "+61412345678")?);
            assert!(!is_blocked(tx, "+61412345678")?);
            assert!(block(tx, "  ").is_err());
            Ok(())
        })
        .unwrap();
    }
}
