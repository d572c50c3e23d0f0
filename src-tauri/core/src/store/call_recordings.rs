//! Recordings of calls (not voicemails): linked to the call they recorded, listed with it in
//! the call log, downloaded by the same queue as voicemails, deleted by the owner (the
//! local file, and on request Twilio's copy).

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::now_rfc3339;
use crate::error::Result;

/// Where the audio of a recording stands, so the UI never shows "Downloading…" for a
/// download that has failed or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    /// Queued and not tried yet.
    Downloading,
    /// Tried and failed; tried again later (see `download_error`).
    Retrying,
    /// Given up (too many attempts, or it can never succeed): the owner may retry.
    Failed,
    /// The file is on this computer.
    Downloaded,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct CallRecording {
    pub id: i64,
    pub recording_sid: String,
    pub call_sid: String,
    /// Twilio's `RecordingSource` (`DialVerb`, `OutboundAPI`…).
    pub source: Option<String>,
    /// Seconds, as Twilio reported it.
    pub duration: Option<i64>,
    /// Relative to the data directory; None until downloaded.
    pub path: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Option<i64>,
    pub download: DownloadState,
    /// Why the audio is not here, when a download failed.
    pub download_error: Option<String>,
    /// Whether the owner also deleted Twilio's copy.
    pub twilio_deleted: bool,
    pub created_at: String,
}

/// Links a recording row (kind `call`) to the call it recorded; a second link is ignored.
pub fn link(
    conn: &Connection,
    recording_id: i64,
    recording_sid: &str,
    call_sid: &str,
    source: Option<&str>,
) -> Result<()> {
    conn.exec(
        "INSERT INTO call_recordings (recording_id, recording_sid, call_sid, source) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(recording_id) DO NOTHING",
        params![recording_id, recording_sid, call_sid, source],
    )?;
    Ok(())
}

const SELECT: &str = "SELECT cr.id, cr.recording_sid, cr.call_sid, cr.source, r.duration, r.path, r.content_type,
    r.bytes, d.state, d.attempts, d.last_error, cr.twilio_deleted_at IS NOT NULL, cr.created_at
    FROM call_recordings cr JOIN recordings r ON r.id = cr.recording_id
    LEFT JOIN downloads d ON d.kind = 'recording' AND d.target_id = r.id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<CallRecording> {
    let path: Option<String> = r.get(5)?;
    let state: Option<String> = r.get(8)?;
    let attempts: Option<i64> = r.get(9)?;
    let download = match (path.is_some(), state.as_deref()) {
        (true, _) | (false, Some("done")) => DownloadState::Downloaded,
        (false, Some("failed")) => DownloadState::Failed,
        _ if attempts.unwrap_or(0) > 0 => DownloadState::Retrying,
        _ => DownloadState::Downloading,
    };
    let download_error: Option<String> = r.get(10)?;
    Ok(CallRecording {
        id: r.get(0)?,
        recording_sid: r.get(1)?,
        call_sid: r.get(2)?,
        source: r.get(3)?,
        duration: r.get(4)?,
        content_type: r.get(6)?,
        bytes: r.get(7)?,
        download_error: download_error.filter(|_| download != DownloadState::Downloaded),
        path,
        download,
        twilio_deleted: r.get(11)?,
        created_at: r.get(12)?,
    })
}

/// The recordings of one call the owner has not deleted, oldest first.
pub fn for_call(conn: &Connection, call_sid: &str) -> Result<Vec<CallRecording>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE cr.call_sid = ?1 AND cr.deleted_at IS NULL ORDER BY cr.created_at, cr.id"
    ))?;
    all_rows(&mut stmt, [call_sid], from_row)
}

pub fn get(conn: &Connection, id: i64) -> Result<CallRecording> {
    conn.row(&format!("{SELECT} WHERE cr.id = ?1 AND cr.deleted_at IS NULL"), [id], from_row)
        .or_not_found(|| format!("call recording {id}"))
}

pub fn find_by_sid(conn: &Connection, recording_sid: &str) -> Result<Option<CallRecording>> {
    Ok(conn.row(&format!("{SELECT} WHERE cr.recording_sid = ?1"), [recording_sid], from_row).optional()?)
}

/// The call recorded by the recording row `recording_id`, if it is a call recording (the
/// download worker tells the call log when its audio arrives).
pub fn call_sid_for_recording(conn: &Connection, recording_id: i64) -> Result<Option<String>> {
    Ok(conn
        .row("SELECT call_sid FROM call_recordings WHERE recording_id = ?1", [recording_id], |r| r.get(0))
        .optional()?)
}

/// Forgets the recording's local copy: hidden from the call log, its download dropped (a
/// queued one would bring the file back), its path cleared. Returns the path it had, and
/// whether another row still points at the same file (files are content-addressed, so two
/// identical recordings or attachments share one): only an unshared file may be removed.
pub fn delete_local(conn: &Connection, id: i64) -> Result<Option<(String, bool)>> {
    let (recording_id, path): (i64, Option<String>) = conn
        .row(
            "SELECT r.id, r.path FROM call_recordings cr JOIN recordings r ON r.id = cr.recording_id
             WHERE cr.id = ?1 AND cr.deleted_at IS NULL",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .or_not_found(|| format!("call recording {id}"))?;
    conn.exec("UPDATE call_recordings SET deleted_at = ?2 WHERE id = ?1", params![id, now_rfc3339()])?;
    conn.exec("UPDATE recordings SET path = NULL WHERE id = ?1", [recording_id])?;
    conn.exec("DELETE FROM downloads WHERE kind = 'recording' AND target_id = ?1", [recording_id])?;
    let Some(path) = path else { return Ok(None) };
    let shared: bool = conn.row(
        "SELECT EXISTS(SELECT 1 FROM recordings WHERE path = ?1) OR EXISTS(SELECT 1 FROM message_media WHERE path = ?1)",
        [&path],
        |r| r.get(0),
    )?;
    Ok(Some((path, shared)))
}

/// Notes that Twilio's copy is gone (deleted by the owner through us, or already absent).
pub fn set_twilio_deleted(conn: &Connection, recording_sid: &str) -> Result<()> {
    conn.exec(
        "UPDATE call_recordings SET twilio_deleted_at = COALESCE(twilio_deleted_at, ?2) WHERE recording_sid = ?1",
        params![recording_sid, now_rfc3339()],
    )?;
    Ok(())
}

/// The `recordings` row (the audio and its download) of call recording `id`.
pub fn recording_id_of(conn: &Connection, id: i64) -> Result<i64> {
    conn.row("SELECT recording_id FROM call_recordings WHERE id = ?1 AND deleted_at IS NULL", [id], |r| r.get(0))
        .or_not_found(|| format!("call recording {id}"))
}

/// Every call recording, deleted or not, oldest first (export).
pub fn all(conn: &Connection) -> Result<Vec<CallRecording>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY cr.created_at, cr.id"))?;
    all_rows(&mut stmt, [], from_row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::voicemails::{insert_recording, set_recording_file, NewRecording};

    fn recording(sid: &str, call_sid: &str) -> NewRecording {
        NewRecording {
            sid: sid.into(),
            call_sid: Some(call_sid.into()),
            kind: "call".into(),
            remote_url: format!("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{sid}"),
            duration: Some(42),
            number_id: None,
            from: "+61412345678".into(),
            source: Some("DialVerb".into()),
        }
    }

    #[test]
    fn a_call_recording_is_stored_and_queued_once_however_often_it_is_reported() {
        let (_dir, store) = crate::store::test_store();
        let created = store
            .write(|tx| {
                let a = insert_recording(tx, &recording("RE1", "CA1"))?.1;
                let b = insert_recording(tx, &recording("RE1", "CA1"))?.1;
                Ok((a, b))
            })
            .unwrap();
        assert_eq!(created, (true, false));
        let (list, queued) = store
            .read(|c| {
                let n: i64 = c.row("SELECT COUNT(*) FROM downloads WHERE kind = 'recording'", [], |r| r.get(0))?;
                Ok((for_call(c, "CA1")?, n))
            })
            .unwrap();
        assert_eq!(queued, 1, "one download for one recording");
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].duration, list[0].download), (Some(42), DownloadState::Downloading));
        assert!(store.read(crate::store::voicemails::list).unwrap().is_empty(), "not a voicemail");
    }

    #[test]
    fn deleting_keeps_a_file_another_row_shares() {
        let (_dir, store) = crate::store::test_store();
        let out = store
            .write(|tx| {
                let (a, _) = insert_recording(tx, &recording("RE1", "CA1"))?;
                let (b, _) = insert_recording(tx, &recording("RE2", "CA2"))?;
                set_recording_file(tx, a, "media/ab/same.wav", "ab", 10, "audio/x-wav")?;
                set_recording_file(tx, b, "media/ab/same.wav", "ab", 10, "audio/x-wav")?;
                let first = for_call(tx, "CA1")?[0].id;
                let second = for_call(tx, "CA2")?[0].id;
                Ok((delete_local(tx, first)?, delete_local(tx, second)?, for_call(tx, "CA1")?))
            })
            .unwrap();
        assert_eq!(out.0, Some(("media/ab/same.wav".to_string(), true)), "the second recording still uses it");
        assert_eq!(out.1, Some(("media/ab/same.wav".to_string(), false)), "now nobody does");
        assert!(out.2.is_empty(), "a deleted recording leaves the call log");
    }
}
