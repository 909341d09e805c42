//! Deterministic fixture corpora for the benchmarks, shared by the `unback-bench-gen` binary and
//! the criterion benches (included there with `#[path]`).
//!
//! * [`manifest_rows`]: a large Manifest.db of realistic shape (≈60% files, ≈38% folders, ≈2%
//!   symlinks over ≈500 domains, small generated files).
//! * [`media_rows`]: photo/video-sized files (CameraRollDomain `Media/DCIM/1xxAPPLE/IMG_nnnn.*`,
//!   1–50 MB) plus some HomeDomain files, up to a total byte count.

use std::collections::HashSet;

use unback::builder::{FileSpec, DEFAULT_FILE_TIME};

/// xorshift64*: small, deterministic, good enough for picking shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x2545_F491_4F6C_DD1D) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..hi` (hi > lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

#[rustfmt::skip]
const VENDORS: &[&str] = &[
    "apple", "google", "facebook", "microsoft", "spotify", "netflix", "amazon", "adobe", "dropbox",
    "whatsapp", "burbn", "atebits", "toyopagroup", "zhiliaoapp", "ubercab", "airbnb", "booking",
    "duolingo", "shazam", "skype", "tinyspeck", "getdropbox", "evernote", "yahoo", "bbc", "nytimes",
    "reddit", "pinterest", "linkedin", "paypal", "revolut", "monzo", "n26", "strava", "nike",
    "fitbit", "garmin", "sonos", "philips", "ikea", "lidl", "deliveroo", "tesco", "ryanair",
];
#[rustfmt::skip]
const APPS: &[&str] = &[
    "Mail", "Photos", "Maps", "Music", "Notes", "Reminders", "Calendar", "Chrome", "Drive",
    "Docs", "Sheets", "Messenger", "Instagram", "Outlook", "Teams", "Word", "Excel", "Lightroom",
    "Scanner", "Player", "Reader", "Wallet", "Banking", "Weather", "News", "Podcasts", "Fitness",
    "Tracker", "Camera", "Editor", "Chat", "Video", "Radio", "Translate", "Keyboard", "Widgets",
    "Browser", "Games", "Puzzle", "Solitaire", "Sudoku", "Chess", "Shop", "Travel", "Tickets",
];
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "Caches", "Preferences", "Application Support", "Cookies", "WebKit", "SplashBoard",
    "Snapshots", "Logs", "Data", "Images", "Thumbnails", "Attachments", "Downloads", "Media",
    "Sessions", "Accounts", "Database", "Assets", "Fonts", "Offline", "Sync", "Backup", "Temp",
    "com.apple.nsurlsessiond", "fsCachedData", "WebsiteData", "LocalStorage", "IndexedDB",
    "Analytics", "Crashes", "Models", "Index", "Store", "Blobs", "Avatars", "Stickers", "Drafts",
];
#[rustfmt::skip]
const FILE_STEMS: &[&str] = &[
    "Info", "state", "cache", "store", "index", "manifest", "settings", "config", "session",
    "events", "metadata", "thumbnail", "avatar", "history", "bookmarks", "Cookies", "data",
    "tracking", "model", "keys", "journal", "snapshot", "downloads", "contacts", "messages",
];
#[rustfmt::skip]
const EXTS: &[&str] = &[
    ".plist", ".plist", ".sqlite", ".sqlite-wal", ".sqlite-shm", ".db", ".json", ".png", ".jpg",
    ".dat", ".log", ".binarycookies", ".ktx", ".cache", "", ".bin", ".txt", ".heic",
];
const SYSTEM_DOMAINS: &[&str] = &[
    "HomeDomain",
    "MediaDomain",
    "CameraRollDomain",
    "RootDomain",
    "WirelessDomain",
    "KeychainDomain",
    "ManagedPreferencesDomain",
    "SystemPreferencesDomain",
    "MobileDeviceDomain",
    "DatabaseDomain",
    "TonesDomain",
    "HealthDomain",
    "InstallDomain",
    "KeyboardDomain",
    "ProtectedDomain",
    "NetworkDomain",
    "BooksDomain",
];

/// About 500 domain names, most-populated first.
pub fn domains() -> Vec<String> {
    let mut out: Vec<String> = SYSTEM_DOMAINS.iter().map(|s| s.to_string()).collect();
    let mut i = 0usize;
    while out.len() < 500 {
        let v = VENDORS[i % VENDORS.len()];
        let a = APPS[(i / VENDORS.len() + i * 7) % APPS.len()];
        let bundle = format!("com.{v}.{a}");
        let name = match i % 10 {
            0..=5 => format!("AppDomain-{bundle}"),
            6 | 7 => format!("AppDomainGroup-group.{bundle}"),
            8 => format!("AppDomainPlugin-{bundle}.{}Extension", APPS[i % APPS.len()]),
            _ if i % 20 == 9 => format!("SysContainerDomain-com.apple.{}", a.to_lowercase()),
            _ => format!(
                "SysSharedContainerDomain-systemgroup.com.apple.{}",
                a.to_lowercase()
            ),
        };
        if !out.contains(&name) {
            out.push(name);
        }
        i += 1;
    }
    out
}

fn uuid_like(rng: &mut Rng) -> String {
    let a = rng.next();
    let b = rng.next();
    format!(
        "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn dir_name(rng: &mut Rng) -> String {
    match rng.next() % 10 {
        0..=5 => rng.pick(WORDS).to_string(),
        6 | 7 => uuid_like(rng),
        8 => format!("{:02x}", rng.next() % 256),
        _ => format!(
            "com.{}.{}",
            rng.pick(VENDORS),
            rng.pick(APPS).to_lowercase()
        ),
    }
}

fn file_name(rng: &mut Rng) -> String {
    match rng.next() % 10 {
        0..=5 => format!("{}{}", rng.pick(FILE_STEMS), rng.pick(EXTS)),
        6 | 7 => format!("{}{}", uuid_like(rng), rng.pick(EXTS)),
        _ => format!("{:016x}", rng.next()),
    }
}

/// Small file sizes: 60% under 1 KiB, 38% 1–4 KiB, 2% 4–64 KiB (≈2 KB on average).
fn small_len(rng: &mut Rng) -> u64 {
    match rng.next() % 100 {
        0..=59 => rng.range(0, 1024),
        60..=97 => rng.range(1024, 4096),
        _ => rng.range(4096, 65536),
    }
}

/// Exactly `n` rows (domain roots and skeleton folders included) of a realistic Manifest.db.
pub fn manifest_rows(n: usize) -> Vec<FileSpec> {
    let names = domains();
    // Zipf-like weights: HomeDomain and MediaDomain hold most rows, apps have a few hundred.
    let weights: Vec<f64> = (0..names.len()).map(|i| 1.0 / (i as f64 + 1.5)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let mut rng = Rng::new(0xbe4c);
    let mut dirs: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut seen: HashSet<(usize, String)> = HashSet::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let t0 = DEFAULT_FILE_TIME;
    while rows.len() < n {
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let d = cumulative.partition_point(|&c| c < u).min(names.len() - 1);
        let domain = &names[d];
        if dirs[d].is_empty() {
            // The domain root and the usual skeleton, in parent-before-child order.
            for p in [
                "",
                "Library",
                "Library/Caches",
                "Library/Preferences",
                "Documents",
            ] {
                if rows.len() < n && seen.insert((d, p.to_string())) {
                    rows.push(FileSpec::dir(domain, p));
                    dirs[d].push(p.to_string());
                }
            }
            continue;
        }
        // Prefer recent folders a little so trees get some depth, as real ones have.
        let parent = {
            let ds = &dirs[d];
            let i = if rng.next() & 1 == 0 {
                ds.len() - 1 - (rng.next() % ds.len().min(8) as u64) as usize
            } else {
                (rng.next() % ds.len() as u64) as usize
            };
            ds[i].clone()
        };
        let kind = rng.next() % 100;
        let leaf = if kind < 60 {
            file_name(&mut rng)
        } else {
            dir_name(&mut rng)
        };
        let mut path = if parent.is_empty() {
            leaf
        } else {
            format!("{parent}/{leaf}")
        };
        if !seen.insert((d, path.clone())) {
            path = format!("{path}-{}", rows.len());
            seen.insert((d, path.clone()));
        }
        let mtime = t0 - rng.range(0, 3 * 365 * 86_400) as i64;
        let spec = match kind {
            0..=59 => FileSpec::generated(domain, &path, small_len(&mut rng), rows.len() as u64),
            60..=97 => {
                dirs[d].push(path.clone());
                FileSpec::dir(domain, &path)
            }
            _ => FileSpec::symlink(
                domain,
                &path,
                &format!(
                    "/private/var/mobile/Containers/Data/{}",
                    uuid_like(&mut rng)
                ),
            ),
        };
        rows.push(spec.with_times(mtime, mtime, mtime - 86_400));
    }
    rows
}

/// Photo/video-sized files adding up to about `total` bytes: ≈95% CameraRollDomain
/// `Media/DCIM/1xxAPPLE/IMG_nnnn.{HEIC,JPG,MOV}` (HEIC 1–5 MB, JPG 1.5–8 MB, MOV 10–50 MB,
/// 999 per folder as on a device), ≈5% HomeDomain files (4 KB–4 MB). Parent folder rows added.
pub fn media_rows(total: u64) -> Vec<FileSpec> {
    const MB: u64 = 1_000_000;
    let mut rng = Rng::new(0x9407);
    let mut rows = Vec::new();
    let home_budget = total / 20;
    let mut home = 0u64;
    let home_dirs = [
        "Library/SMS/Attachments/3a/10",
        "Library/SMS/Attachments/7f/15",
        "Library/Notes",
        "Library/AddressBook",
        "Library/Preferences",
        "Library/Mail",
        "Library/Voicemail",
        "Library/Recordings",
    ];
    let mut i = 0u64;
    while home < home_budget {
        let len = rng.range(4_000, 4 * MB).min(home_budget - home).max(1);
        let dir = rng.pick(&home_dirs);
        let path = format!("{dir}/{}", file_name(&mut rng));
        let path = format!("{path}.{i}");
        rows.push(FileSpec::generated("HomeDomain", &path, len, 1_000_000 + i));
        home += len;
        i += 1;
    }
    let mut bytes = home;
    let mut n = 0u64;
    while bytes < total {
        let (ext, len) = match rng.next() % 100 {
            0..=59 => ("HEIC", rng.range(MB, 5 * MB)),
            60..=84 => ("JPG", rng.range(3 * MB / 2, 8 * MB)),
            _ => ("MOV", rng.range(10 * MB, 50 * MB)),
        };
        let len = len.min(total - bytes).max(1);
        let folder = 100 + n / 999;
        let number = n % 999 + 1 + (n / 999) * 1000;
        let path = format!("Media/DCIM/{folder}APPLE/IMG_{:04}.{ext}", number % 10_000);
        let t = DEFAULT_FILE_TIME - 86_400 * 400 + (n as i64) * 3_600;
        rows.push(FileSpec::file("CameraRollDomain", &path, Vec::new()).with_times(t, t, t));
        let last = rows.len() - 1;
        // FileSpec::file gives DCIM its real gid 0; swap in streamed content of `len` bytes.
        let mut spec = FileSpec::generated("CameraRollDomain", &path, len, n);
        spec.gid = rows[last].gid;
        rows[last] = spec.with_times(t, t, t);
        bytes += len;
        n += 1;
    }
    rows
}
