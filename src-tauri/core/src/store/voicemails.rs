//! Recordings (audio files downloaded from Twilio) and the voicemails built on them.

use super::sql::{all_rows, CachedSql, MustExist};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::domain::transcript::{self, TranscriptState};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
pub struct Voicemail {
    pub id: i64,
    pub recording_sid: String,
    pub call_sid: Option<String>,
    pub from: String,
    pub duration: Option<i64>,
    /// Relative to the data directory; None until downloaded.
    pub path: Option<String>,
    pub sha256: Option<String>,
    pub content_type: Option<String>,
    pub transcription: Option<String>,
    pub transcription_status: Option<String>,
    /// Where the transcript stands (pending, done, too long for Twilio, failed): the UI
    /// says this rather than guessing from an empty `transcription`.
    pub transcript_state: TranscriptState,
    pub listened: bool,
    pub created_at: String,
    /// Why the audio is not here yet, when a download failed.
    pub download_error: Option<String>,
    /// The download was given up (it will not be tried again without the owner's Retry).
    pub download_failed: bool,
    /// Our number's id, when the call was known.
    pub number_id: Option<i64>,
    /// The caller's contact name, "" when the number is not a contact.
    pub contact_name: String,
}

#[derive(Debug, Clone)]
pub struct NewRecording {
    pub sid: String,
    pub call_sid: Option<String>,
    pub kind: String,
    pub remote_url: String,
    pub duration: Option<i64>,
    pub number_id: Option<i64>,
    pub from: String,
    /// Twilio's `RecordingSource` (`RecordVerb`, `DialVerb`, `OutboundAPI`…) when known.
    pub source: Option<String>,
}

/// Records a completed recording (and its voicemail, or its link to the recorded call) and
/// queues the download. Returns (recording id, created); a retry, or the same recording
/// found by catch-up after its callback (or the other way round), changes nothing but a
/// duration that was not known yet, so the audio is downloaded once.
pub fn insert_recording(conn: &Connection, r: &NewRecording) -> Result<(i64, bool)> {
    if let Some(id) = conn.row("SELECT id FROM recordings WHERE sid = ?1", [&r.sid], |row| row.get(0)).optional()? {
        if let Some(d) = r.duration {
            // A transcription callback that came first created the row without a duration.
            conn.exec("UPDATE recordings SET duration = ?2 WHERE id = ?1 AND duration IS NULL", params![id, d])?;
            conn.exec(
                "UPDATE voicemails SET duration = COALESCE(duration, ?2),
                   transcript_state = CASE WHEN transcript_state = 'pending' AND ?2 > ?3 THEN 'too_long'
                                           ELSE transcript_state END
                 WHERE recording_sid = ?1",
                params![r.sid, d, transcript::TWILIO_MAX_SECONDS],
            )?;
        }
        return Ok((id, false));
    }
    conn.exec(
        "INSERT INTO recordings (sid, call_sid, kind, remote_url, duration) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.sid, r.call_sid, r.kind, r.remote_url, r.duration],
    )?;
    let id = conn.last_insert_rowid();
    if r.kind == "voicemail" {
        conn.exec(
            "INSERT INTO voicemails (recording_sid, call_sid, number_id, from_addr, duration, transcript_state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(recording_sid) DO NOTHING",
            params![r.sid, r.call_sid, r.number_id, r.from, r.duration, transcript::initial(r.duration).as_str()],
        )?;
    } else if let Some(call_sid) = &r.call_sid {
        super::call_recordings::link(conn, id, &r.sid, call_sid, r.source.as_deref())?;
    }
    super::downloads::enqueue(conn, "recording", id, &r.remote_url)?;
    Ok((id, true))
}

pub fn set_recording_file(
    conn: &Connection,
    recording_id: i64,
    path: &str,
    sha256: &str,
    bytes: i64,
    content_type: &str,
) -> Result<()> {
    conn.exec(
        "UPDATE recordings SET path = ?2, sha256 = ?3, bytes = ?4, content_type = ?5 WHERE id = ?1",
        params![recording_id, path, sha256, bytes, content_type],
    )?;
    Ok(())
}

/// The voicemail built on a recording row, if it is one (call recordings are not).
pub fn voicemail_id_for_recording(conn: &Connection, recording_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .row(
            "SELECT v.id FROM voicemails v JOIN recordings r ON r.sid = v.recording_sid WHERE r.id = ?1",
            [recording_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Attaches a transcript (or Twilio's failure to make one); returns false when the
/// recording is not known (yet). A transcript already done is never undone by a late or
/// repeated failure.
pub fn set_transcription(conn: &Connection, recording_sid: &str, text: &str, status: &str) -> Result<bool> {
    let Some((current, duration)) = conn
        .row(
            "SELECT v.transcript_state, COALESCE(r.duration, v.duration) FROM voicemails v
             LEFT JOIN recordings r ON r.sid = v.recording_sid WHERE v.recording_sid = ?1",
            [recording_sid],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
        )
        .optional()?
    else {
        return Ok(false);
    };
    let state = transcript::from_twilio(status, duration);
    if TranscriptState::parse(&current) == TranscriptState::Done && state != TranscriptState::Done {
        return Ok(true);
    }
    conn.exec(
        "UPDATE voicemails SET transcription = ?2, transcription_status = ?3, transcript_state = ?4
         WHERE recording_sid = ?1",
        params![recording_sid, text, status, state.as_str()],
    )?;
    Ok(true)
}

/// Gives up on a transcript Twilio never made (no transcription exists for the recording
/// long after it was left): failed, or too long when that is why.
pub fn give_up_transcript(conn: &Connection, recording_sid: &str) -> Result<()> {
    conn.exec(
        "UPDATE voicemails SET transcript_state = CASE
           WHEN COALESCE((SELECT r.duration FROM recordings r WHERE r.sid = ?1), duration) > ?2 THEN 'too_long'
           ELSE 'failed' END
         WHERE recording_sid = ?1 AND transcript_state = 'pending'",
        params![recording_sid, transcript::TWILIO_MAX_SECONDS],
    )?;
    Ok(())
}

/// A voicemail whose transcript may still come: what catch-up asks Twilio about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTranscript {
    pub recording_sid: String,
    pub created_at: String,
}

/// Voicemails with a pending transcript, oldest first, at most `limit`.
pub fn pending_transcripts(conn: &Connection, limit: i64) -> Result<Vec<PendingTranscript>> {
    let mut stmt = conn.prepare_cached(
        "SELECT recording_sid, created_at FROM voicemails WHERE transcript_state = 'pending'
         ORDER BY created_at, id LIMIT ?1",
    )?;
    all_rows(&mut stmt, [limit], |r| Ok(PendingTranscript { recording_sid: r.get(0)?, created_at: r.get(1)? }))
}

const SELECT: &str = "SELECT v.id, v.recording_sid, v.call_sid, v.from_addr, COALESCE(r.duration, v.duration), r.path,
    r.sha256, r.content_type, v.transcription, v.transcription_status, v.listened, v.created_at,
    d.last_error, COALESCE(d.state = 'failed', 0), v.number_id,
    COALESCE((SELECT k.name FROM contact_phones p JOIN contacts k ON k.id = p.contact_id WHERE p.address = v.from_addr), ''),
    v.transcript_state
    FROM voicemails v JOIN recordings r ON r.sid = v.recording_sid
    LEFT JOIN downloads d ON d.kind = 'recording' AND d.target_id = r.id AND d.state != 'done'";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Voicemail> {
    Ok(Voicemail {
        id: r.get(0)?,
        recording_sid: r.get(1)?,
        call_sid: r.get(2)?,
        from: r.get(3)?,
        duration: r.get(4)?,
        path: r.get(5)?,
        sha256: r.get(6)?,
        content_type: r.get(7)?,
        transcription: r.get(8)?,
        transcription_status: r.get(9)?,
        transcript_state: TranscriptState::parse(&r.get::<_, String>(16)?),
        listened: r.get(10)?,
        created_at: r.get(11)?,
        download_error: r.get(12)?,
        download_failed: r.get(13)?,
        number_id: r.get(14)?,
        contact_name: r.get(15)?,
    })
}

/// Voicemails not deleted locally, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Voicemail>> {
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT} WHERE v.deleted = 0 ORDER BY v.created_at DESC, v.id DESC"))?;
    all_rows(&mut stmt, [], from_row)
}

/// The voicemails `customer` left on our number `number_id` (or on a call whose number was
/// not known) strictly older than the timeline position `before`, newest first, at most
/// `limit` (see [`super::timeline`]). Seeks `voicemails_timeline` (migration 11).
pub fn for_customer(
    conn: &Connection,
    number_id: i64,
    customer: &str,
    before: (&str, i64),
    limit: i64,
) -> Result<Vec<Voicemail>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE v.from_addr = ?2 AND (v.number_id = ?1 OR v.number_id IS NULL) AND v.deleted = 0
           AND v.created_at <= ?3 AND (v.created_at < ?3 OR v.id < ?4)
         ORDER BY v.created_at DESC, v.id DESC LIMIT ?5"
    ))?;
    let rows = stmt.query_map(params![number_id, customer, before.0, before.1, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Voicemail> {
    conn.row(&format!("{SELECT} WHERE v.id = ?1"), [id], from_row).or_not_found(|| format!("voicemail {id}"))
}

pub fn find_by_recording_sid(conn: &Connection, sid: &str) -> Result<Option<Voicemail>> {
    Ok(conn.row(&format!("{SELECT} WHERE v.recording_sid = ?1"), [sid], from_row).optional()?)
}

pub fn set_listened(conn: &Connection, id: i64, listened: bool) -> Result<()> {
    conn.exec("UPDATE voicemails SET listened = ?2 WHERE id = ?1", params![id, listened])?;
    Ok(())
}

/// Hides a voicemail and returns its file path so the caller can remove the file.
pub fn delete_local(conn: &Connection, id: i64) -> Result<Option<String>> {
    let vm = get(conn, id)?;
    conn.exec("UPDATE voicemails SET deleted = 1 WHERE id = ?1", [id])?;
    Ok(vm.path)
}

pub fn unheard_count(conn: &Connection) -> Result<i64> {
    Ok(conn.row(UNHEARD, [], |r| r.get(0))?)
}

/// Counted from the partial index `voicemails_unheard` (the tray asks after every event).
pub(crate) const UNHEARD: &str = "SELECT COUNT(*) FROM voicemails WHERE listened = 0 AND deleted = 0";

pub fn all(conn: &Connection) -> Result<Vec<Voicemail>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY v.created_at, v.id"))?;
    all_rows(&mut stmt, [], from_row)
}
