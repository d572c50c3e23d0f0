//! What an email reply needs to stay in the customer's thread: the subject of the email
//! being answered and its Message-ID (for `In-Reply-To`/`References`), kept on the email's
//! row in `messages` (migration 08).

use rusqlite::{params, Connection, OptionalExtension};

use super::sql::CachedSql;
use crate::domain::now_rfc3339;
use crate::domain::status::MessageStatus;
use crate::error::Result;

/// An email the customer sent us, as the mail provider reports it.
#[derive(Debug, Clone)]
pub struct InboundEmail {
    /// The provider's id for the received email; stored as the row's `sid`, so the same
    /// email delivered twice is stored once.
    pub provider_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The `Message-ID` header as received (`<…@…>`), which our reply names.
    pub message_id: Option<String>,
    /// The `References` header as received.
    pub references: Option<String>,
    pub text: String,
    pub received_at: String,
}

/// Stores an email from the customer into `conversation_id`. Returns the row id, and
/// whether it was new.
pub fn insert_inbound_email(conn: &Connection, conversation_id: i64, e: &InboundEmail) -> Result<(i64, bool)> {
    if let Some(id) = conn.row("SELECT id FROM messages WHERE sid = ?1", [&e.provider_id], |r| r.get(0)).optional()? {
        return Ok((id, false));
    }
    conn.exec(
        "INSERT INTO messages (sid, conversation_id, direction, channel, from_addr, to_addr, body, status, status_rank,
           num_segments, num_media, created_at, email_subject, email_message_id, email_references)
         VALUES (?1, ?2, 'inbound', 'email', ?3, ?4, ?5, 'received', ?6, 0, 0, ?7, ?8, ?9, ?10)",
        params![
            e.provider_id,
            conversation_id,
            e.from,
            e.to,
            e.text,
            MessageStatus::Received.rank(),
            e.received_at,
            e.subject,
            e.message_id,
            e.references
        ],
    )?;
    let id = conn.last_insert_rowid();
    super::conversations::touch(conn, conversation_id, &e.received_at, &e.text, true)?;
    Ok((id, true))
}

/// The email a reply in this conversation answers, as far as threading goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answering {
    /// The subject of the conversation's last inbound email, else of our last email.
    pub subject: Option<String>,
    /// True when `subject` is the customer's (a reply prefixes "Re:"); false when it is
    /// ours, which a follow-up keeps as it is.
    pub from_customer: bool,
    /// The last inbound email's Message-ID.
    pub message_id: Option<String>,
    /// Its References header, or, with no inbound email, the References we sent last.
    pub references: Option<String>,
}

/// What the next email reply in `conversation_id` answers.
pub fn answering(conn: &Connection, conversation_id: i64) -> Result<Answering> {
    let last = |direction: &str| {
        conn.row(
            "SELECT email_subject, email_message_id, email_references FROM messages
             WHERE conversation_id = ?1 AND channel = 'email' AND direction = ?2
             ORDER BY created_at DESC, id DESC LIMIT 1",
            params![conversation_id, direction],
            |r| {
                Ok(Answering {
                    subject: r.get(0)?,
                    from_customer: direction == "inbound",
                    message_id: r.get(1)?,
                    references: r.get(2)?,
                })
            },
        )
        .optional()
    };
    Ok(match (last("inbound")?, last("outbound")?) {
        (Some(inbound), _) => inbound,
        (None, Some(ours)) => Answering { message_id: None, ..ours },
        (None, None) => Answering::default(),
    })
}

/// Records the subject and References an email of ours went out with, so a later reply
/// keeps them.
pub fn set_outbound_headers(conn: &Connection, id: i64, subject: &str, references: Option<&str>) -> Result<()> {
    conn.exec(
        "UPDATE messages SET email_subject = ?2, email_references = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, subject, references, now_rfc3339()],
    )?;
    Ok(())
}
