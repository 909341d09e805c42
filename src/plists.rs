//! Info.plist, Manifest.plist and Status.plist as typed values.
//!
//! Fields are picked out of a `plist::Value` one by one rather than through serde, because real
//! files omit keys freely and a wrong type in one informational key must not make the backup
//! unreadable.

#![deny(clippy::indexing_slicing)]

use plist::{Dictionary, Value};

use crate::bplist;
use crate::time::Timestamp;

fn string(d: &Dictionary, key: &str) -> Option<String> {
    d.get(key).and_then(Value::as_string).map(str::to_owned)
}

fn boolean(d: &Dictionary, key: &str) -> Option<bool> {
    d.get(key).and_then(Value::as_boolean)
}

fn data(d: &Dictionary, key: &str) -> Option<Vec<u8>> {
    d.get(key).and_then(Value::as_data).map(<[u8]>::to_vec)
}

fn date(d: &Dictionary, key: &str) -> Option<Timestamp> {
    let t: std::time::SystemTime = d.get(key)?.as_date()?.into();
    Some(Timestamp::from_system_time(t))
}

fn parse_dict(bytes: &[u8]) -> Result<Dictionary, String> {
    match value_from_bytes(bytes)? {
        Value::Dictionary(d) => Ok(d),
        _ => Err("the property list is not a dictionary".into()),
    }
}

/// A property list of any encoding (binary, XML, ASCII) read by the `plist` crate, once its
/// nesting is known to be at most [`bplist::MAX_DEPTH`]: the crate builds its `Value` without
/// recursing, but drops it recursively, so a hostile file hundreds of thousands of levels deep
/// would overflow the stack. Every plist read from a backup goes through here.
pub fn value_from_bytes(bytes: &[u8]) -> Result<Value, String> {
    check_depth(bytes)?;
    Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a valid property list ({e})"))
}

fn check_depth(bytes: &[u8]) -> Result<(), String> {
    let too_deep = || {
        format!(
            "not a valid property list (arrays and dictionaries nested more than {} deep)",
            bplist::MAX_DEPTH
        )
    };
    if bytes.starts_with(bplist::MAGIC) {
        // A binary plist this reader cannot open is refused rather than handed on unchecked.
        return bplist::Bplist::parse(bytes)
            .and_then(|p| p.check_depth())
            .map_err(|e| format!("not a valid property list ({e})"));
    }
    // The crate reads text as XML and, when that fails before any markup, as ASCII (OpenStep);
    // both are measured rather than guessing which it will choose. An XML file read as ASCII
    // can only be refused wrongly if its text holds more than 512 unclosed brackets.
    if xml_depth(bytes) > bplist::MAX_DEPTH || ascii_depth(bytes) > bplist::MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(())
}

/// The deepest nesting of `<array>` and `<dict>` elements, scanned the way an XML reader
/// tokenises (comments, CDATA, processing instructions and quoted attribute values are not
/// markup). Where it cannot tell, it skips less than the reader would, so it may overcount
/// (only inside a DOCTYPE, and only malformed or absurd files reach the limit that way) but
/// never undercounts what the crate would build.
fn xml_depth(b: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(lt) = b.get(i..).and_then(|r| r.iter().position(|&c| c == b'<')) {
        let tag = b.get(i + lt..).unwrap_or_default();
        let skip_to = |end: &[u8]| find(tag, end).map_or(b.len(), |e| i + lt + e + end.len());
        if tag.starts_with(b"<!--") {
            i = skip_to(b"-->");
        } else if tag.starts_with(b"<![CDATA[") {
            i = skip_to(b"]]>");
        } else if tag.starts_with(b"<?") {
            i = skip_to(b"?>");
        } else {
            // An element tag, start or end, ends at the first `>` outside quotes, as quick-xml
            // reads it; a DOCTYPE at its first `>` (it may end later, which only overcounts).
            let quotes = !tag.starts_with(b"<!");
            let mut quote = None;
            let end = tag
                .iter()
                .enumerate()
                .skip(1)
                .find(|&(_, &c)| match quote {
                    Some(q) if c == q => {
                        quote = None;
                        false
                    }
                    Some(_) => false,
                    None if quotes && (c == b'"' || c == b'\'') => {
                        quote = Some(c);
                        false
                    }
                    None => c == b'>',
                })
                .map(|(e, _)| e);
            let Some(end) = end else { break };
            let inner = tag.get(1..end).unwrap_or_default();
            let (closing, inner) = match inner.strip_prefix(b"/") {
                Some(rest) => (true, rest),
                None => (false, inner),
            };
            let name_len = inner
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'/')
                .unwrap_or(inner.len());
            let name = inner.get(..name_len).unwrap_or_default();
            // The crate matches the local name, so `<x:dict>` is a dictionary too.
            let local = name.rsplit(|&c| c == b':').next().unwrap_or_default();
            if local == b"array" || local == b"dict" {
                if closing {
                    depth = depth.saturating_sub(1);
                } else if !inner.ends_with(b"/") {
                    depth += 1;
                    max = max.max(depth);
                }
            }
            i += lt + end + 1;
        }
    }
    max
}

/// The deepest nesting of `(` and `{` in an ASCII (OpenStep) plist, tokenised as the `plist`
/// crate does: brackets inside quoted strings, comments and unquoted words are not structure.
fn ascii_depth(b: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut it = b.iter().copied().peekable();
    while let Some(c) = it.next() {
        match c {
            b'(' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            b'"' | b'\'' => {
                while let Some(x) = it.next() {
                    if x == c {
                        break;
                    }
                    if x == b'\\' {
                        it.next();
                    }
                }
            }
            b'/' if it.peek() == Some(&b'/') => while it.next_if(|&x| x != b'\n').is_some() {},
            b'/' if it.peek() == Some(&b'*') => {
                // The crate's loop exactly: a `*` only ends the comment when the byte after it
                // (consumed either way) is `/`.
                let mut last = b' ';
                loop {
                    if last == b'*' {
                        match it.next() {
                            Some(b'/') | None => break,
                            Some(_) => {}
                        }
                    }
                    match it.next() {
                        Some(x) => last = x,
                        None => break,
                    }
                }
            }
            b',' | b';' | b'=' | b' ' | b'\r' | b'\t' | b'\n' => {}
            // An unquoted word, up to the bytes that end one.
            _ => while it.next_if(|x| !b" )\r\t;,".contains(x)).is_some() {},
        }
    }
    max
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Device facts written by the host into Info.plist. Informational only: a backup works without it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InfoPlist {
    pub device_name: Option<String>,
    pub display_name: Option<String>,
    pub product_type: Option<String>,
    pub product_version: Option<String>,
    pub build_version: Option<String>,
    pub serial_number: Option<String>,
    pub target_identifier: Option<String>,
    pub unique_identifier: Option<String>,
    pub imei: Option<String>,
    pub phone_number: Option<String>,
    pub last_backup_date: Option<Timestamp>,
    pub itunes_version: Option<String>,
}

impl InfoPlist {
    pub fn parse(bytes: &[u8]) -> Result<InfoPlist, String> {
        let d = parse_dict(bytes)?;
        Ok(InfoPlist {
            device_name: string(&d, "Device Name"),
            display_name: string(&d, "Display Name"),
            product_type: string(&d, "Product Type"),
            product_version: string(&d, "Product Version"),
            build_version: string(&d, "Build Version"),
            serial_number: string(&d, "Serial Number"),
            target_identifier: string(&d, "Target Identifier"),
            unique_identifier: string(&d, "Unique Identifier"),
            imei: string(&d, "IMEI"),
            phone_number: string(&d, "Phone Number"),
            last_backup_date: date(&d, "Last Backup Date"),
            itunes_version: string(&d, "iTunes Version"),
        })
    }
}

/// The `Lockdown` dictionary of Manifest.plist: the device as the backup itself recorded it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Lockdown {
    pub device_name: Option<String>,
    pub product_type: Option<String>,
    pub product_version: Option<String>,
    pub build_version: Option<String>,
    pub serial_number: Option<String>,
    pub unique_device_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ManifestPlist {
    pub is_encrypted: bool,
    pub version: Option<String>,
    pub date: Option<Timestamp>,
    pub was_passcode_set: Option<bool>,
    pub system_domains_version: Option<String>,
    /// The TLV keybag (section 4 of FORMAT.md); present in plain backups too.
    pub backup_keybag: Option<Vec<u8>>,
    /// 4-byte little-endian class + 40-byte wrapped key of Manifest.db (encrypted, iOS 10.2+).
    pub manifest_key: Option<Vec<u8>>,
    pub lockdown: Lockdown,
    pub application_count: usize,
}

impl ManifestPlist {
    pub fn parse(bytes: &[u8]) -> Result<ManifestPlist, String> {
        let d = parse_dict(bytes)?;
        let lockdown = match d.get("Lockdown").and_then(Value::as_dictionary) {
            Some(l) => Lockdown {
                device_name: string(l, "DeviceName"),
                product_type: string(l, "ProductType"),
                product_version: string(l, "ProductVersion"),
                build_version: string(l, "BuildVersion"),
                serial_number: string(l, "SerialNumber"),
                unique_device_id: string(l, "UniqueDeviceID"),
            },
            None => Lockdown::default(),
        };
        Ok(ManifestPlist {
            is_encrypted: boolean(&d, "IsEncrypted").unwrap_or(false),
            version: string(&d, "Version"),
            date: date(&d, "Date"),
            was_passcode_set: boolean(&d, "WasPasscodeSet"),
            system_domains_version: string(&d, "SystemDomainsVersion"),
            backup_keybag: data(&d, "BackupKeyBag"),
            manifest_key: data(&d, "ManifestKey"),
            lockdown,
            application_count: d
                .get("Applications")
                .and_then(Value::as_dictionary)
                .map_or(0, Dictionary::len),
        })
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatusPlist {
    pub snapshot_state: Option<String>,
    pub is_full_backup: Option<bool>,
    pub version: Option<String>,
    pub uuid: Option<String>,
    pub date: Option<Timestamp>,
    pub backup_state: Option<String>,
}

impl StatusPlist {
    pub fn parse(bytes: &[u8]) -> Result<StatusPlist, String> {
        let d = parse_dict(bytes)?;
        Ok(StatusPlist {
            snapshot_state: string(&d, "SnapshotState"),
            is_full_backup: boolean(&d, "IsFullBackup"),
            version: string(&d, "Version"),
            uuid: string(&d, "UUID"),
            date: date(&d, "Date"),
            backup_state: string(&d, "BackupState"),
        })
    }

    /// A backup whose snapshot did not finish is still worth reading (forensic use), but the user
    /// must be told.
    pub fn is_finished(&self) -> bool {
        self.snapshot_state
            .as_deref()
            .is_none_or(|s| s == "finished")
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn real_info_plist() {
        let Some(bytes) =
            crate::realdata::read_realdata("mvt-project_mvt/tests/artifacts/ios_backup/Info.plist")
        else {
            return;
        };
        let info = InfoPlist::parse(&bytes).unwrap();
        assert_eq!(info.product_type.as_deref(), Some("iPhone9,3"));
        assert_eq!(info.product_version.as_deref(), Some("14.3"));
        assert_eq!(info.serial_number.as_deref(), Some("F1234567890"));
    }

    #[test]
    fn nesting_past_the_limit_is_refused_before_the_crate_builds_it() {
        use crate::builder::{nested_bplist, nested_xml_plist};
        let deep = |e: String| e.contains("nested more than 512 deep");
        // 200,000 levels would overflow the stack when the crate's `Value` is dropped.
        for bytes in [nested_bplist(200_000, 0.0), nested_xml_plist(200_000)] {
            assert!(deep(InfoPlist::parse(&bytes).unwrap_err()));
            assert!(deep(value_from_bytes(&bytes).unwrap_err()));
        }
        let ascii = format!("{}{}", "(".repeat(200_000), ")".repeat(200_000));
        assert!(deep(value_from_bytes(ascii.as_bytes()).unwrap_err()));
        // At the limit the crate reads them (the dictionary is one more level).
        assert!(value_from_bytes(&nested_bplist(512, 0.0)).is_ok());
        assert!(value_from_bytes(&nested_xml_plist(511)).is_ok());
        assert!(deep(value_from_bytes(&nested_xml_plist(512)).unwrap_err()));
        let ascii = format!("{}{}", "(".repeat(512), ")".repeat(512));
        assert!(value_from_bytes(ascii.as_bytes()).is_ok());
    }

    #[test]
    fn xml_nesting_is_counted_as_the_xml_reader_tokenises() {
        let n = 1000;
        let wrap = |body: String| format!("<plist version=\"1.0\">{body}</plist>");
        // Markup that is not an element does not nest...
        for skipped in ["<!-- <array> -->", "<![CDATA[<array>]]>", "<?pi <array> ?>"] {
            let body = format!("<array>{}</array>", skipped.repeat(n));
            assert_eq!(xml_depth(wrap(body).as_bytes()), 1, "{skipped}");
        }
        assert_eq!(xml_depth(b"<array><dict/><array /></array>"), 1);
        // ...but a `/>` inside a quoted attribute does not make an element empty, and a `>` in
        // quotes does not end a tag.
        let quoted = "<dict a=\"/>\">".repeat(n);
        assert_eq!(xml_depth(quoted.as_bytes()), n);
        let gt = "<array x='>'>".repeat(n);
        assert_eq!(xml_depth(gt.as_bytes()), n);
        assert_eq!(xml_depth("<p:array>".repeat(n).as_bytes()), n);
        // A closing tag hidden in a string or a comment closes nothing.
        let body = "<array><string>&lt;/array&gt;</string><!-- </array> -->".repeat(n);
        assert_eq!(xml_depth(body.as_bytes()), n);
    }

    #[test]
    fn ascii_nesting_is_counted_as_the_crate_tokenises() {
        let n = 1000;
        // Brackets in quoted strings, comments and unquoted words are not structure.
        assert_eq!(
            ascii_depth(format!("({})", "\"((\" ".repeat(n)).as_bytes()),
            1
        );
        assert_eq!(
            ascii_depth(format!("({})", "/* ( */ ".repeat(n)).as_bytes()),
            1
        );
        assert_eq!(ascii_depth(b"( // (((\n )"), 1);
        assert_eq!(
            ascii_depth(format!("({})", "a((( ".repeat(n)).as_bytes()),
            1
        );
        // A quote inside a word does not open a string that would hide real brackets.
        assert_eq!(ascii_depth("ab\" (".repeat(n).as_bytes()), n);
        assert_eq!(ascii_depth("( \"\\\")\" ".repeat(n).as_bytes()), n);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(ManifestPlist::parse(b"not a plist").is_err());
        assert!(StatusPlist::parse(b"bplist00\xff\xff").is_err());
        assert!(InfoPlist::parse(b"").is_err());
    }
}
