//! Contacts CSV import benchmark (not a test; prints figures, asserts nothing).
//!
//! Issue 15's bound: a 10,000-row CSV imports in under 5 s. Writes a file of
//! `BENCH_CONTACTS_ROWS` (default 10,000) rows the way real exports look (a BOM, CRLF,
//! quoted names with commas and quotes, national and international numbers, accents, tags,
//! a few duplicates and bad numbers), then times, through the same core functions the
//! import dialog uses, the preview and the import into a fresh store that already holds
//! `BENCH_CONTACTS_EXISTING` (default 2,000) contacts, so some rows merge. Also times the
//! CSV export of the result. `BENCH_CONTACTS_RUNS` (default 3) runs each.

use std::time::Instant;

use switchboard::addressbook;
use switchboard::store::{self, contacts, Store};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.trim().replace('_', "").parse().ok()).unwrap_or(default)
}

const FIRST: &[&str] = &["Ana", "Bo", "Zoë", "Łukasz", "Mei", "José", "Nguyễn", "Olu", "Siobhán", "Yusuf"];
const LAST: &[&str] = &["Lima", "O'Brien", "Müller", "Tanaka", "García", "Smith, Jr.", "\"The\" Baker", "Ng"];

/// The CSV file: `rows` contacts, 1 % duplicates of an earlier row, 1 % bad numbers.
fn file(rows: usize) -> String {
    let mut out = String::from("\u{feff}First Name,Last Name,Mobile Phone,E-mail Address,Categories,Notes\r\n");
    for i in 0..rows {
        let n = if i % 100 == 99 { i - 50 } else { i };
        // 0412 xxx xxx: valid Australian mobiles, written four ways.
        let (a, b) = (n / 1000 % 1000, n % 1000);
        let phone = match i % 4 {
            _ if i % 100 == 42 => "12345".to_string(),
            0 => format!("0412 {a:03} {b:03}"),
            1 => format!("+61 412 {a:03} {b:03}"),
            2 => format!("(0412) {a:03}-{b:03}"),
            _ => format!("+61412{a:03}{b:03}"),
        };
        let last = LAST[i % LAST.len()].replace('"', "\"\"");
        out.push_str(&format!(
            "{},\"{}\",{},person{i}@example.com,{},\"Note {i}, with a comma\"\r\n",
            FIRST[i % FIRST.len()],
            last,
            phone,
            if i % 3 == 0 { "VIP; Tuesday class" } else { "" }
        ));
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = env_num("BENCH_CONTACTS_ROWS", 10_000);
    let existing = env_num("BENCH_CONTACTS_EXISTING", 2_000);
    let runs = env_num("BENCH_CONTACTS_RUNS", 3).max(1);
    let csv = file(rows);
    println!("contacts import: {rows} rows ({} KB), {existing} contacts already in the store", csv.len() / 1024);
    // What the import spends on the phonenumber crate alone (every row's number, once).
    let t = Instant::now();
    let valid = (0..rows)
        .filter(|n| {
            let number = format!("0412 {:03} {:03}", n / 1000 % 1000, n % 1000);
            switchboard::domain::E164::parse_with_region(&number, Some("AU")).is_ok()
        })
        .count();
    println!("normalising {rows} numbers to E.164: {:.0} ms ({valid} valid)", t.elapsed().as_secs_f64() * 1000.0);
    for run in 1..=runs {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        store.write(move |tx| {
            store::numbers::ensure(tx, "+61255501234", false)?;
            for i in 0..existing {
                // The same numbers as the file's first rows, so they merge.
                let edit = contacts::ContactEdit {
                    name: String::new(),
                    phones: vec![format!("+61412{:03}{:03}", i / 1000 % 1000, i % 1000)],
                    email: None,
                    notes: String::new(),
                };
                contacts::save(tx, None, &edit)?;
            }
            Ok(())
        })?;
        let bytes = csv.as_bytes().to_vec();
        let t = Instant::now();
        let b = bytes.clone();
        let preview = store.read(move |c| addressbook::preview_bytes(c, &b, None))?;
        let preview_ms = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let report = rt.block_on(addressbook::import_bytes(&store, bytes, preview.options.clone()))?;
        let import_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let exported = store.read(store::export::contacts_csv)?;
        let export_ms = t.elapsed().as_secs_f64() * 1000.0;
        println!(
            "run {run}: preview {preview_ms:.0} ms; import {import_s:.2} s (target < 5 s): {} created, {} merged, {} refused; export {export_ms:.0} ms ({} KB)",
            report.created,
            report.merged,
            report.refused.len(),
            exported.len() / 1024
        );
    }
    Ok(())
}
