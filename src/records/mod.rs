//! The stable output records: what `photos ls` prints for an asset (`asset`) and what an export
//! journal records for a written file (`journal`), each with its JSON (serde) and CSV form. CSV
//! is quoted here and nowhere else (RFC 4180: a field holding a comma, quote or line break is
//! quoted, quotes doubled).
//!
//! The `ls` record stays beside the listing code (`manifest::listing::Record`) because it is
//! rendered straight from SQLite's buffer without an owned copy; it quotes with `csv_field`.
//! The recovery report's items live with `recover`, the only writer of them.

pub mod asset;
pub mod journal;

/// Appends one CSV field to `out`, quoted when it must be.
pub fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        for part in s.split('"').enumerate() {
            if part.0 > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.1.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// One CSV row of `fields`, newline included.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.as_ref().len() + 1).sum());
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(&mut out, f.as_ref());
    }
    out.push(b'\n');
    // Only whole UTF-8 strings and ASCII punctuation went in.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(
            csv_line(&["plain", "a,b", "say \"hi\"", "two\nlines", "é"]),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",é\n"
        );
        assert_eq!(csv_line(&[""; 0]), "\n");
    }
}
