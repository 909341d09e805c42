//! The UTC offset of a capture date: the one that applies at that instant in the photo's time
//! zone.
//!
//! Photos.sqlite keeps, per asset, a zone name (`ZADDITIONALASSETATTRIBUTES.ZTIMEZONENAME`: an
//! IANA name such as `Europe/Madrid`, or a fixed `GMT+0200`) and stored offsets
//! (`ZTIMEZONEOFFSET`, and `ZINFERREDTIMEZONEOFFSET`, guessed from the location). They can
//! disagree: a tool that moves a date or sets a zone without the offset leaves
//! `ZTIMEZONEOFFSET` as it was (osxphotos issue #1777: a June photo set to Europe/Madrid with
//! a stored +01:00, which the Photos app itself showed as CEST, +02:00). So a name the bundled
//! time-zone database knows decides, at the capture instant; the stored offset only when there
//! is no usable name; a `GMT±HHMM` name only when nothing is stored. `ZINFERREDTIMEZONEOFFSET`
//! is never used: on the three real libraries it differs from what both other sources and
//! osxphotos say (README, "Dates and time zones"). osxphotos 0.77 reads dates the same way
//! (`photos_datetime`: a valid IANA name first, else the offset).
//!
//! The rules come from `jiff`'s bundled copy of the IANA database (`tzdb-bundle-always`), not
//! from the system: the same backup gives the same dates on every machine.

use crate::time::Timestamp;

/// Where a capture offset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSource {
    /// The IANA zone name's rules at the capture instant.
    ZoneName,
    /// `ZTIMEZONEOFFSET` as stored.
    Stored,
    /// A fixed `GMT±HHMM` / `UTC±HH:MM` name, with nothing stored.
    FixedName,
}

/// The offset (seconds east of UTC) to show `created` with, and where it came from.
pub fn capture_offset(
    created: Option<Timestamp>,
    name: Option<&str>,
    stored: Option<i32>,
) -> Option<(i32, OffsetSource)> {
    if let (Some(t), Some(n)) = (created, name) {
        if let Some(o) = zone_offset_at(n, t) {
            return Some((o, OffsetSource::ZoneName));
        }
    }
    if let Some(o) = stored {
        return Some((o, OffsetSource::Stored));
    }
    name.and_then(fixed_offset)
        .map(|o| (o, OffsetSource::FixedName))
}

/// The offset of IANA zone `name` at instant `t`; `None` for a name that is not a region zone
/// of the database (fixed `GMT-0400` names, abbreviations, anything unknown).
pub fn zone_offset_at(name: &str, t: Timestamp) -> Option<i32> {
    let name = name.trim();
    // Only region names (`Area/Location`) and plain `UTC`: `EST` or `Etc/GMT+4` are in the
    // database too, but Photos writes a fixed offset as `GMT-0400`, which has no rules to apply.
    let region = name.contains('/') && !name.starts_with("Etc/");
    if !region && name != "UTC" {
        return None;
    }
    let tz = jiff::tz::TimeZone::get(name).ok()?;
    let ts = jiff::Timestamp::from_second(t.secs).ok()?;
    Some(tz.to_offset(ts).seconds())
}

/// `GMT+0200`, `GMT-0430`, `UTC+02:00`, `GMT` → seconds east of UTC.
fn fixed_offset(name: &str) -> Option<i32> {
    let n = name.trim();
    let rest = n.strip_prefix("GMT").or_else(|| n.strip_prefix("UTC"))?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, rest.get(1..)?),
        b'-' => (-1, rest.get(1..)?),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits.get(..2)?.parse::<i32>().ok()?,
            digits.get(2..)?.parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<Timestamp> {
        Some(Timestamp::from_unix(s))
    }

    #[test]
    fn the_zone_name_decides_at_the_instant() {
        // 2024-01-15T12:00:00Z: Los Angeles is on PST (-08:00), whatever was stored.
        let jan = at(1_705_320_000);
        assert_eq!(
            capture_offset(jan, Some("America/Los_Angeles"), Some(-25_200)),
            Some((-28_800, OffsetSource::ZoneName))
        );
        // London, the night summer time ends (2024-10-27 01:00 UTC): 00:30 UTC is still BST.
        assert_eq!(
            zone_offset_at("Europe/London", Timestamp::from_unix(1_729_989_000)),
            Some(3600)
        );
        assert_eq!(
            zone_offset_at("Europe/London", Timestamp::from_unix(1_729_992_600)),
            Some(0)
        );
        // Half-hour zones.
        assert_eq!(
            zone_offset_at("Australia/Adelaide", Timestamp::from_unix(1_497_944_936)),
            Some(34_200)
        );
    }

    #[test]
    fn without_a_usable_name_the_stored_offset_then_a_fixed_name() {
        let t = at(1_705_320_000);
        assert_eq!(
            capture_offset(t, Some("GMT-0400"), Some(-14_400)),
            Some((-14_400, OffsetSource::Stored))
        );
        // A fixed name that disagrees with the stored offset: the stored one (as osxphotos).
        assert_eq!(
            capture_offset(t, Some("GMT+0100"), Some(7200)),
            Some((7200, OffsetSource::Stored))
        );
        assert_eq!(
            capture_offset(t, Some("Mars/Olympus_Mons"), Some(3600)),
            Some((3600, OffsetSource::Stored))
        );
        assert_eq!(
            capture_offset(t, Some("EST"), Some(-18_000)),
            Some((-18_000, OffsetSource::Stored))
        );
        assert_eq!(
            capture_offset(t, None, Some(-18_000)),
            Some((-18_000, OffsetSource::Stored))
        );
        assert_eq!(
            capture_offset(t, Some("GMT-0430"), None),
            Some((-16_200, OffsetSource::FixedName))
        );
        assert_eq!(
            capture_offset(t, Some("UTC+05:30"), None),
            Some((19_800, OffsetSource::FixedName))
        );
        assert_eq!(capture_offset(t, Some("GMT"), None).map(|o| o.0), Some(0));
        // No capture date: no instant to apply rules at.
        assert_eq!(
            capture_offset(None, Some("Europe/Rome"), Some(7200)),
            Some((7200, OffsetSource::Stored))
        );
        assert_eq!(capture_offset(t, Some("GMT+99"), None), None);
        assert_eq!(capture_offset(t, Some("GMT+é"), None), None);
        assert_eq!(capture_offset(t, None, None), None);
    }
}
