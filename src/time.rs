//! Timestamps without a date-time crate: backups use Unix seconds (MBFile, mbdb) and Core Data
//! seconds since 2001-01-01 (plists, Photos.sqlite); both become one `Timestamp`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds between 1970-01-01 and 2001-01-01, the Core Data / Cocoa epoch.
pub const COCOA_EPOCH_OFFSET: i64 = 978_307_200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch, UTC.
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// A fractional Unix time; `None` for NaN or values far outside any plausible date.
    pub fn from_unix_f64(secs: f64) -> Option<Timestamp> {
        if !secs.is_finite() || secs.abs() > 1e12 {
            return None;
        }
        let whole = secs.floor();
        let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
        Some(Timestamp {
            secs: whole as i64,
            nanos,
        })
    }

    pub fn from_cocoa(secs: f64) -> Option<Timestamp> {
        Timestamp::from_unix_f64(secs + COCOA_EPOCH_OFFSET as f64)
    }

    /// This instant, from the system clock.
    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    pub fn from_system_time(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: d.as_secs() as i64,
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let mut secs = -(d.as_secs() as i64);
                let mut nanos = 0;
                if d.subsec_nanos() > 0 {
                    secs -= 1;
                    nanos = 1_000_000_000 - d.subsec_nanos();
                }
                Timestamp { secs, nanos }
            }
        }
    }

    pub fn to_system_time(self) -> SystemTime {
        if self.secs >= 0 {
            UNIX_EPOCH + Duration::new(self.secs as u64, self.nanos)
        } else {
            UNIX_EPOCH - Duration::from_secs(self.secs.unsigned_abs())
                + Duration::from_nanos(self.nanos as u64)
        }
    }

    /// RFC 3339 in UTC, whole seconds: `2021-01-14T21:25:23Z`.
    pub fn rfc3339(self) -> String {
        self.rfc3339_with_offset(0)
    }

    /// RFC 3339 in local time at `offset_secs` east of UTC: `2021-01-14T22:25:23+01:00`.
    pub fn rfc3339_with_offset(self, offset_secs: i32) -> String {
        let local = self.secs + offset_secs as i64;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let s = local.rem_euclid(86_400);
        let (hh, mm, ss) = (s / 3600, (s / 60) % 60, s % 60);
        let zone = if offset_secs == 0 {
            "Z".to_string()
        } else {
            let sign = if offset_secs < 0 { '-' } else { '+' };
            let o = offset_secs.unsigned_abs();
            format!("{sign}{:02}:{:02}", o / 3600, (o / 60) % 60)
        };
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{zone}")
    }

    /// Year and month in local time at `offset_secs`, for date-sorted layouts.
    pub fn year_month(self, offset_secs: i32) -> (i64, u32) {
        let local = self.secs + offset_secs as i64;
        let (y, m, _) = civil_from_days(local.div_euclid(86_400));
        (y, m)
    }
}

impl Timestamp {
    /// RFC 3339 in UTC for years 0–9999, formatted on the stack: listings write three
    /// timestamps per row for hundreds of thousands of rows, and a `String` each showed up in
    /// profiles.
    fn utc_fixed(self) -> Option<[u8; 20]> {
        let (y, m, d) = civil_from_days(self.secs.div_euclid(86_400));
        if !(0..=9999).contains(&y) {
            return None;
        }
        let t = self.secs.rem_euclid(86_400);
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, v: u32, width: usize| {
            let mut v = v;
            for i in (0..width).rev() {
                b[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, y as u32, 4);
        put(5, m, 2);
        put(8, d, 2);
        put(11, (t / 3600) as u32, 2);
        put(14, ((t / 60) % 60) as u32, 2);
        put(17, (t % 60) as u32, 2);
        Some(b)
    }

    /// Appends `rfc3339()` without allocating for ordinary dates.
    pub fn write_rfc3339(self, out: &mut Vec<u8>) {
        match self.utc_fixed() {
            Some(b) => out.extend_from_slice(&b),
            None => out.extend_from_slice(self.rfc3339().as_bytes()),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.utc_fixed() {
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.serialize_str(&self.rfc3339()),
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp::from_unix(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix(1610659523).rfc3339(),
            "2021-01-14T21:25:23Z"
        );
        assert_eq!(
            Timestamp::from_cocoa(0.0).map(|t| t.rfc3339()).as_deref(),
            Some("2001-01-01T00:00:00Z")
        );
        assert_eq!(
            Timestamp::from_unix(1610659523).rfc3339_with_offset(-5 * 3600),
            "2021-01-14T16:25:23-05:00"
        );
        assert_eq!(Timestamp::from_unix(-1).rfc3339(), "1969-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::from_unix(951_782_400).rfc3339(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn serialised_form_matches_rfc3339() {
        for secs in [
            0,
            1610659523,
            -1,
            951_782_400,
            253_402_300_799,
            253_402_300_800,
        ] {
            let t = Timestamp::from_unix(secs);
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.rfc3339())
            );
        }
    }

    #[test]
    fn system_time_round_trip() {
        for secs in [-86_401, -1, 0, 1, 1_700_000_000] {
            let t = Timestamp { secs, nanos: 250 };
            assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
        }
    }

    #[test]
    fn rejects_nonsense() {
        assert!(Timestamp::from_unix_f64(f64::NAN).is_none());
        assert!(Timestamp::from_cocoa(1e300).is_none());
    }
}
