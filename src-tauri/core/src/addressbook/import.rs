//! Importing contacts from a CSV file: each row is read through the owner's column mapping,
//! its phone numbers normalised to E.164 in the country of the business number, and then
//! either refused (and why), merged into the contact that already has one of its numbers
//! (or its email address), or made a new contact.
//!
//! The same [`plan`] makes the preview and the import, so the preview says exactly what the
//! import will do; [`apply`] plans again inside the write, so the store cannot have moved
//! on in between. Merging only fills in: a name or email the owner already has is never
//! overwritten, numbers and tags are added. Nothing here touches the opt-out ledger: an
//! imported number that once said STOP is still opted out.

use std::collections::HashMap;

use rusqlite::{params, Connection};

use super::table::{Mapping, Table};
use crate::domain::E164;
use crate::error::Result;
use crate::store::sql::CachedSql;
use crate::store::{contacts, tags};

/// What the owner chose in the import dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct ImportOptions {
    pub mapping: Mapping,
    /// Whether the first row holds column names (then it is not imported).
    pub has_header: bool,
    /// The region national numbers are read in ("AU"): the business number's country.
    pub region: Option<String>,
    /// Tags given to every imported contact ("Imported 30 Nov").
    #[serde(default)]
    pub add_tags: Vec<String>,
}

/// Why a row was not imported (or a number in it was left out).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Problem {
    /// Every cell is empty.
    Empty,
    /// Neither a phone number nor an email address.
    NoNumber,
    /// The number cannot be a phone number in the business's country or with its `+code`.
    BadNumber { value: String, hint: String },
    /// Not an email address.
    BadEmail { value: String },
    /// An earlier row of the file has the same number or email address.
    DuplicateInFile { value: String, first_row: usize },
    /// The row's numbers belong to two different contacts already.
    TwoContacts { names: Vec<String> },
}

impl Problem {
    /// The owner's words for it.
    pub fn message(&self) -> String {
        match self {
            Problem::Empty => "the row is empty".into(),
            Problem::NoNumber => "no phone number or email address".into(),
            Problem::BadNumber { value, hint } => format!("{value:?} is not a phone number{hint}"),
            Problem::BadEmail { value } => format!("{value:?} is not an email address"),
            Problem::DuplicateInFile { value, first_row } => format!("{value} is already on row {first_row}"),
            Problem::TwoContacts { names } => format!("its numbers belong to different contacts: {}", names.join(", ")),
        }
    }
}

/// A refused row, or a number left out of an imported row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct RowProblem {
    /// The row as a spreadsheet numbers it (the header is row 1).
    pub row: usize,
    /// The row's name, to find it.
    pub name: String,
    pub problem: Problem,
    /// [`Problem::message`].
    pub message: String,
}

/// What will happen to a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Create,
    /// Merged into an existing contact (`changed`: false when it adds nothing new).
    Merge {
        contact_id: i64,
        contact_name: String,
        changed: bool,
    },
    Refuse {
        message: String,
    },
}

/// One row as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct PlannedRow {
    pub row: usize,
    pub name: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub action: Action,
}

/// The whole plan: every row and the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub rows: Vec<PlannedRow>,
    pub created: usize,
    pub merged: usize,
    pub unchanged: usize,
    pub refused: Vec<RowProblem>,
    /// Numbers left out of rows that were imported anyway (another number or the email
    /// address reaches them).
    pub warnings: Vec<RowProblem>,
}

fn cell(row: &[String], i: Option<usize>) -> &str {
    i.and_then(|i| row.get(i)).map_or("", String::as_str)
}

/// A cell as text: trimmed, control characters (a stray tab or NUL) as spaces and runs of
/// white space as one, and the `'` a spreadsheet export puts before `=`, `+`, `-`, `@`
/// (our own export does, so a file exported and imported again is unchanged) taken off.
pub fn clean(raw: &str) -> String {
    let s: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
        _ => s,
    }
}

/// Notes keep their line breaks; only other control characters go.
fn clean_notes(raw: &str) -> String {
    raw.replace("\r\n", "\n").chars().filter(|c| *c == '\n' || !c.is_control()).collect::<String>().trim().to_string()
}

/// Several values in one cell: `;`, `,`, `/` or Google's ` ::: ` between them.
fn split_values(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', ',', '/', '\n']).flat_map(|p| p.split(":::")).map(str::trim).filter(|p| !p.is_empty())
}

/// What the owner should know about a number that does not parse.
fn number_hint(raw: &str, region: Option<&str>) -> String {
    let r = raw.to_ascii_lowercase();
    if r.contains("e+") && r.chars().any(|c| c.is_ascii_digit()) {
        return ": a spreadsheet wrote it in scientific notation; format the column as text and export again".into();
    }
    if !raw.trim_start().starts_with('+') && region.is_none() {
        return ": write it with its +country code (no business number to read national numbers by)".into();
    }
    String::new()
}

/// Reads one row into what it would import, or why it cannot be.
fn read_row(n: usize, row: &[String], o: &ImportOptions) -> (PlannedRow, Vec<RowProblem>, Option<Problem>) {
    let m = &o.mapping;
    let mut name = clean(cell(row, m.name));
    if name.is_empty() {
        name = clean(&format!("{} {}", cell(row, m.first_name), cell(row, m.last_name)));
    }
    let mut planned = PlannedRow {
        row: n,
        name: name.clone(),
        phones: Vec::new(),
        email: None,
        tags: Vec::new(),
        notes: clean_notes(cell(row, m.notes)),
        action: Action::Create,
    };
    let problem = |p: Problem| RowProblem { row: n, name: name.clone(), message: p.message(), problem: p };
    if row.iter().all(|c| c.trim().is_empty()) {
        return (planned, Vec::new(), Some(Problem::Empty));
    }
    let mut bad = Vec::new();
    for value in m.phones.iter().flat_map(|&i| split_values(cell(row, Some(i)))) {
        let value = clean(value);
        match E164::parse_with_region(&value, o.region.as_deref()) {
            Ok(p) if !planned.phones.contains(&p.as_str().to_string()) => planned.phones.push(p.as_str().to_string()),
            Ok(_) => {}
            Err(_) => bad.push(Problem::BadNumber { hint: number_hint(&value, o.region.as_deref()), value }),
        }
    }
    let email = clean(cell(row, m.email));
    let mut email_problem = None;
    if !email.is_empty() {
        if email.contains('@') && !email.contains(' ') {
            planned.email = Some(email);
        } else {
            email_problem = Some(Problem::BadEmail { value: email });
        }
    }
    planned.tags = split_values(cell(row, m.tags))
        .map(|t| t.trim_start_matches('*').trim())
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("myContacts"))
        .chain(o.add_tags.iter().map(String::as_str))
        .filter_map(|t| tags::normalise(t).ok())
        .fold(Vec::new(), |mut acc: Vec<String>, t| {
            if !acc.iter().any(|a| a.eq_ignore_ascii_case(&t)) {
                acc.push(t);
            }
            acc
        });
    if planned.phones.is_empty() && planned.email.is_none() {
        // Nothing reaches this person: the first bad value is the reason.
        let why = bad.into_iter().next().or(email_problem).unwrap_or(Problem::NoNumber);
        return (planned, Vec::new(), Some(why));
    }
    let warnings = bad.into_iter().chain(email_problem).map(problem).collect();
    (planned, warnings, None)
}

/// Plans the import of `table` against the contacts in `conn`.
pub fn plan(conn: &Connection, table: &Table, o: &ImportOptions) -> Result<Plan> {
    let mut plan = Plan::default();
    // Numbers and emails seen in earlier rows, with their row.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let skip = usize::from(o.has_header);
    let mut names: HashMap<i64, String> = HashMap::new();
    // Contacts by email, read once: the column has no index, and a lookup per row would
    // scan every contact for every row.
    let mut by_email: HashMap<String, i64> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, email FROM contacts WHERE email IS NOT NULL ORDER BY id DESC")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (id, email) = row?;
        by_email.insert(email.to_lowercase(), id);
    }
    for (i, row) in table.rows.iter().enumerate().skip(skip) {
        let n = i + 1;
        let (mut planned, warnings, refused) = read_row(n, row, o);
        let mut refusal = refused;
        if refusal.is_none() {
            let keys = planned.phones.iter().cloned().chain(planned.email.iter().map(|e| e.to_lowercase()));
            let dup = keys.clone().find_map(|k| seen.get(&k).map(|&first_row| (k, first_row)));
            match dup {
                Some((value, first_row)) => refusal = Some(Problem::DuplicateInFile { value, first_row }),
                None => seen.extend(keys.map(|k| (k, n))),
            }
        }
        if refusal.is_none() {
            match existing(conn, &planned, &by_email, &mut names)? {
                Err(names) => refusal = Some(Problem::TwoContacts { names }),
                Ok(Some(id)) => {
                    let contact = contacts::get_plain(conn, id)?;
                    let changed = adds_something(&contact, &planned);
                    planned.action = Action::Merge { contact_id: id, contact_name: contact.name.clone(), changed };
                    if changed {
                        plan.merged += 1;
                    } else {
                        plan.unchanged += 1;
                    }
                }
                Ok(None) => plan.created += 1,
            }
        }
        if let Some(p) = refusal {
            planned.action = Action::Refuse { message: p.message() };
            plan.refused.push(RowProblem { row: n, name: planned.name.clone(), message: p.message(), problem: p });
        } else {
            plan.warnings.extend(warnings);
        }
        plan.rows.push(planned);
    }
    Ok(plan)
}

/// The contact that already has one of the row's numbers, else its email address; an
/// error with their names when the numbers belong to different contacts.
fn existing(
    conn: &Connection,
    row: &PlannedRow,
    by_email: &HashMap<String, i64>,
    names: &mut HashMap<i64, String>,
) -> Result<std::result::Result<Option<i64>, Vec<String>>> {
    let mut owners: Vec<i64> = Vec::new();
    for phone in &row.phones {
        if let Some(id) = contacts::id_for_address(conn, phone)? {
            if !owners.contains(&id) {
                owners.push(id);
            }
        }
    }
    if owners.len() > 1 {
        let mut out = Vec::new();
        for id in owners {
            let name = match names.get(&id) {
                Some(n) => n.clone(),
                None => {
                    let n = contacts::get_plain(conn, id)?.name;
                    names.insert(id, n.clone());
                    n
                }
            };
            out.push(if name.is_empty() { format!("contact #{id}") } else { name });
        }
        return Ok(Err(out));
    }
    if let Some(id) = owners.first() {
        return Ok(Ok(Some(*id)));
    }
    Ok(Ok(row.email.as_ref().and_then(|e| by_email.get(&e.to_lowercase()).copied())))
}

/// Whether merging `row` into `c` adds anything (a name or email it lacks, a number, a
/// tag, a note).
fn adds_something(c: &contacts::Contact, row: &PlannedRow) -> bool {
    (c.name.trim().is_empty() && !row.name.is_empty())
        || (c.email.is_none() && row.email.is_some())
        || row.phones.iter().any(|p| !c.phones.contains(p))
        || row.tags.iter().any(|t| !c.tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
        || (!row.notes.is_empty() && !c.notes.contains(&row.notes))
}

/// Imports `table` in the caller's transaction; returns the plan as carried out.
pub fn apply(tx: &Connection, table: &Table, o: &ImportOptions) -> Result<Plan> {
    let plan = plan(tx, table, o)?;
    for row in &plan.rows {
        let id = match &row.action {
            Action::Refuse { .. } | Action::Merge { changed: false, .. } => continue,
            Action::Create => {
                tx.exec(
                    "INSERT INTO contacts (name, email, notes) VALUES (?1, ?2, ?3)",
                    params![row.name, row.email, row.notes],
                )?;
                tx.last_insert_rowid()
            }
            Action::Merge { contact_id, .. } => {
                tx.exec(
                    "UPDATE contacts SET
                       name = CASE WHEN trim(name) = '' THEN ?2 ELSE name END,
                       email = COALESCE(email, ?3),
                       notes = CASE WHEN ?4 = '' OR instr(notes, ?4) > 0 THEN notes
                                    WHEN notes = '' THEN ?4 ELSE notes || char(10) || char(10) || ?4 END,
                       updated_at = ?5
                     WHERE id = ?1",
                    params![contact_id, row.name, row.email, row.notes, crate::domain::now_rfc3339()],
                )?;
                *contact_id
            }
        };
        for phone in &row.phones {
            tx.exec(
                "INSERT INTO contact_phones (contact_id, address) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, phone],
            )?;
        }
        for t in &row.tags {
            tags::add(tx, id, t)?;
        }
    }
    // A thread whose contact was deleted gets the imported contact's name again.
    tx.exec(
        "UPDATE conversations SET contact_id = (SELECT contact_id FROM contact_phones p WHERE p.address = conversations.customer)
         WHERE contact_id IS NULL AND customer IN (SELECT address FROM contact_phones)",
        [],
    )?;
    Ok(plan)
}
