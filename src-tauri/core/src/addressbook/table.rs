//! A contacts file as rows of text, whatever wrote it: Excel (a UTF-8 BOM, or Windows-1252
//! with no BOM at all, CRLF line ends, semicolons in European locales), Google and Outlook
//! exports (quoted fields with commas and line breaks inside), "Unicode text" (UTF-16).
//! The `csv` crate does the quoting; this module decodes the bytes and guesses the
//! delimiter and which columns mean what.

use crate::error::{Error, Result};

/// The largest file read (a CSV of 50,000 contacts is a few MB).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The most rows read, header included.
pub const MAX_ROWS: usize = 100_000;

/// The file's rows; `rows[0]` is the header when the file has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Vec<String>>,
}

/// Decodes and splits a contacts file.
pub fn parse(bytes: &[u8]) -> Result<Table> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::InvalidInput(format!(
            "the file is {} MB; Switchboard imports files of up to {} MB",
            bytes.len() / (1024 * 1024),
            MAX_BYTES / (1024 * 1024)
        )));
    }
    let text = decode(bytes);
    let delimiter = sniff_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(Error::InvalidInput(format!(
                "the file has more than {MAX_ROWS} rows; split it and import each part"
            )));
        }
        let record =
            record.map_err(|e| Error::InvalidInput(format!("the file is not a CSV Switchboard can read: {e}")))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(Table { rows })
}

/// The file's text: UTF-8 (a BOM dropped), UTF-16 with its BOM, else Windows-1252, which is
/// what Excel writes on Windows when asked for plain "CSV" (a name like "Zoë" must not
/// become a replacement character, nor the whole file be refused).
pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let units = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        return char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let units = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        return char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

/// One byte of Windows-1252 (Latin-1 plus the printable characters of 0x80–0x9F).
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// The delimiter of the first line (outside quotes): the most frequent of comma, semicolon
/// and tab; a comma when there is none.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if c == *d as char {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// Which column holds what. Indexes into a row; a missing cell reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct Mapping {
    /// The whole name ("Ana Lima"); when None, `first_name` and `last_name` are joined.
    pub name: Option<usize>,
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    /// Every column with phone numbers (mobile, home, "Phone 1 - Value"…).
    pub phones: Vec<usize>,
    pub email: Option<usize>,
    pub notes: Option<usize>,
    /// Tags, several in a cell separated by `;` or `:::` (Google's groups).
    pub tags: Option<usize>,
}

/// Lower-case letters and digits only: "E-mail 1 - Value" → "email1value".
fn squash(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The mapping the headers suggest (Google, Outlook, iCloud and hand-made files).
pub fn guess_mapping(headers: &[String]) -> Mapping {
    let mut m = Mapping::default();
    for (i, h) in headers.iter().enumerate() {
        let h = squash(h);
        // "Phone 1 - Type" or "E-mail 1 - Label" describe a value; they are not one.
        if h.is_empty() || h.contains("type") || h.ends_with("label") {
            continue;
        }
        let set = |slot: &mut Option<usize>| {
            if slot.is_none() {
                *slot = Some(i)
            }
        };
        match h.as_str() {
            "name" | "fullname" | "contactname" | "displayname" | "customer" | "client" | "contact" => set(&mut m.name),
            "firstname" | "givenname" | "first" | "forename" => set(&mut m.first_name),
            "lastname" | "surname" | "familyname" | "last" => set(&mut m.last_name),
            "notes" | "note" | "comments" | "comment" | "memo" => set(&mut m.notes),
            "tags" | "tag" | "groups" | "group" | "groupmembership" | "labels" | "categories" | "category" => {
                set(&mut m.tags)
            }
            _ if h.contains("mail") => set(&mut m.email),
            _ if ["phone", "mobile", "cell", "tel", "number", "whatsapp", "sms"].iter().any(|k| h.contains(k)) => {
                m.phones.push(i)
            }
            _ => {}
        }
    }
    m
}

/// Whether the first row looks like a header: something is mapped from it, and none of
/// its cells is a phone number.
pub fn looks_like_header(first: &[String]) -> bool {
    let m = guess_mapping(first);
    let mapped = m.name.is_some() || m.first_name.is_some() || !m.phones.is_empty() || m.email.is_some();
    mapped && !first.iter().any(|c| crate::domain::E164::parse(c).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_quotes_and_commas_inside_names() {
        let file =
            "\u{feff}Name,Mobile\r\n\"Lima, Ana \"\"Nana\"\"\",0412 345 678\r\n\"Bo\r\nSecond line\",+61412345679\r\n";
        let t = parse(file.as_bytes()).unwrap();
        assert_eq!(t.rows[0], vec!["Name", "Mobile"], "the BOM is not part of the first header");
        assert_eq!(t.rows[1][0], "Lima, Ana \"Nana\"");
        assert_eq!(t.rows[2][0], "Bo\r\nSecond line", "a quoted line break stays in its field");
        assert_eq!(t.rows.len(), 3);
    }

    #[test]
    fn semicolons_tabs_utf16_and_windows_1252() {
        assert_eq!(parse(b"Name;Phone\nAna;0412345678\n").unwrap().rows[1], vec!["Ana", "0412345678"]);
        assert_eq!(parse(b"Name\tPhone\nAna\t0412345678\n").unwrap().rows[1], vec!["Ana", "0412345678"]);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("Name,Phone\nZoë,1".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(parse(&utf16).unwrap().rows[1][0], "Zoë");
        assert_eq!(parse(b"Name,Phone\nZo\xEB \x80,1\n").unwrap().rows[1][0], "Zoë €", "Excel's Windows-1252");
    }

    #[test]
    fn guesses_google_and_outlook_columns() {
        let google: Vec<String> =
            ["Name", "Given Name", "Phone 1 - Type", "Phone 1 - Value", "E-mail 1 - Value", "Group Membership"]
                .map(String::from)
                .to_vec();
        let m = guess_mapping(&google);
        assert_eq!(
            (m.name, m.first_name, m.phones.clone(), m.email, m.tags),
            (Some(0), Some(1), vec![3], Some(4), Some(5))
        );
        let outlook: Vec<String> =
            ["First Name", "Last Name", "Mobile Phone", "Business Phone", "E-mail Address", "Categories", "Notes"]
                .map(String::from)
                .to_vec();
        let m = guess_mapping(&outlook);
        assert_eq!((m.first_name, m.last_name, m.phones.clone(), m.notes), (Some(0), Some(1), vec![2, 3], Some(6)));
        assert!(looks_like_header(&outlook));
        assert!(!looks_like_header(&["Ana".to_string(), "+61412345678".to_string()]));
    }
}
