//! A minimal `multipart/form-data` reader for SupportingDocument uploads: text parts become
//! form parameters, the first part with a filename is the uploaded file.

use axum::body::Bytes;

use super::server::{ApiError, Params};

/// Minimal multipart/form-data reader: text parts become params, the first part with a
/// filename is the file `(content type, bytes)`.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<(Params, Option<(String, Bytes)>), ApiError> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| ApiError::bad(20001, "multipart body without a boundary"))?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut params = Vec::new();
    let mut file = None;
    let mut rest = body;
    while let Some(start) = find(rest, &delimiter) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(end) = find(rest, &delimiter) else { break };
        let part = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let content = &part[split + 4..];
        let disposition =
            head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition")).unwrap_or("");
        let name = quoted(disposition, "name=").unwrap_or_default();
        let part_type = head
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        if quoted(disposition, "filename=").is_some() {
            if file.is_none() {
                file = Some((part_type, Bytes::copy_from_slice(content)));
            }
        } else {
            params.push((name, String::from_utf8_lossy(content).to_string()));
        }
    }
    Ok((Params(params), file))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn quoted(header: &str, key: &str) -> Option<String> {
    let at = header.split(';').map(str::trim).find(|p| p.starts_with(key))?;
    Some(at[key.len()..].trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_file() {
        let body = b"--XY\r\nContent-Disposition: form-data; name=\"Type\"\r\n\r\naddress\r\n--XY\r\nContent-Disposition: form-data; name=\"File\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XY--\r\n";
        let (params, file) = parse("multipart/form-data; boundary=XY", body).unwrap();
        assert_eq!(params.get("Type"), Some("address"));
        let (mime, bytes) = file.unwrap();
        assert_eq!(mime, "application/pdf");
        assert_eq!(&bytes[..], b"%PDF");
    }
}
