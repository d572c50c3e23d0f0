//! `switchboard export`: everything in the store as one JSON object (the command-line
//! contract in DESIGN.md), or the messages as CSV. Secrets are never in the store, so
//! they can never be in an export.

use rusqlite::Connection;
use serde_json::{json, Value};

use crate::error::Result;

pub const EXPORT_VERSION: u32 = 1;

pub fn to_json(conn: &Connection) -> Result<Value> {
    let numbers = super::numbers::list(conn)?;
    let contacts = super::contacts::list(conn)?;
    let conversations = all_conversations(conn)?;
    let messages: Vec<Value> = super::messages::all(conn)?
        .into_iter()
        .map(|m| {
            json!({
                "sid": m.sid, "direction": m.direction, "channel": m.channel, "from": m.from, "to": m.to,
                "body": m.body, "status": m.status, "error_code": m.error_code, "error_message": m.error_message,
                "num_segments": m.num_segments, "price": m.price, "conversation_id": m.conversation_id,
                "media": m.media.iter().map(|md| json!({
                    "content_type": md.content_type, "path": md.path, "sha256": md.sha256, "bytes": md.bytes,
                })).collect::<Vec<_>>(),
                "created_at": m.created_at, "updated_at": m.updated_at,
            })
        })
        .collect();
    let calls: Vec<Value> = super::calls::all(conn)?
        .into_iter()
        .map(|c| {
            json!({
                "sid": c.sid, "direction": c.direction, "from": c.from, "to": c.to, "status": c.status,
                "duration": c.duration, "forwarded_to": c.forwarded_to, "answered_by": c.answered_by,
                "dial_status": c.dial_status, "created_at": c.created_at,
            })
        })
        .collect();
    let voicemails: Vec<Value> = super::voicemails::all(conn)?
        .into_iter()
        .map(|v| {
            json!({
                "recording_sid": v.recording_sid, "call_sid": v.call_sid, "from": v.from, "duration": v.duration,
                "path": v.path, "sha256": v.sha256, "transcription": v.transcription, "listened": v.listened,
                "created_at": v.created_at,
            })
        })
        .collect();
    Ok(json!({
        "version": EXPORT_VERSION,
        "numbers": numbers,
        "contacts": contacts,
        "conversations": conversations,
        "messages": messages,
        "calls": calls,
        "voicemails": voicemails,
        "templates": super::templates::list(conn)?,
        "compliance": super::compliance::list(conn)?,
    }))
}

fn all_conversations(conn: &Connection) -> Result<Vec<super::conversations::ConversationSummary>> {
    let mut out = Vec::new();
    let mut filter = super::conversations::ListFilter { limit: 500, ..Default::default() };
    loop {
        let page = super::conversations::list(conn, &filter)?;
        let Some(last) = page.last() else { break };
        filter.before = Some((last.last_message_at.clone().unwrap_or_default(), last.id));
        let done = page.len() < 500;
        out.extend(page);
        if done {
            break;
        }
    }
    Ok(out)
}

/// Messages as CSV (one row each), for spreadsheets.
pub fn messages_csv(conn: &Connection) -> Result<String> {
    let mut out = String::from("sid,direction,from,to,status,error_code,num_segments,created_at,body\n");
    for m in super::messages::all(conn)? {
        let fields = [
            m.sid.unwrap_or_default(),
            m.direction.to_string(),
            m.from,
            m.to,
            m.status,
            m.error_code.map(|c| c.to_string()).unwrap_or_default(),
            m.num_segments.to_string(),
            m.created_at,
            m.body,
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// Quotes a CSV field when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'`
/// so a customer's text can never run as a spreadsheet formula.
fn csv_field(s: &str) -> String {
    let phone_number = s.starts_with('+') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit());
    let s = if s.starts_with(['=', '+', '-', '@']) && !phone_number { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_store;

    #[test]
    fn empty_store_exports_the_documented_shape() {
        let (_d, store) = test_store();
        let v = store.read(to_json).unwrap();
        assert_eq!(v["version"], 1);
        for key in
            ["numbers", "contacts", "conversations", "messages", "calls", "voicemails", "templates", "compliance"]
        {
            assert!(v[key].is_array(), "{key} must be an array");
        }
    }

    #[test]
    fn csv_neutralises_formulas_but_keeps_phone_numbers() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+61412345678"), "+61412345678");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
