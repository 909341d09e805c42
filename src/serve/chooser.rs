//! `unback serve` without BACKUP: the page first lists the backups found where `unback backups`
//! looks (or under `--root`), and the user picks one, typing its password when it is encrypted.
//! The password travels once, in the body of a POST that passed the token, Host and Origin
//! checks, over the loopback interface; it is wiped from memory once the keybag is unlocked
//! (or refused) and is never logged, stored or put in a URL.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::api::{error_json, Reply};
use super::State;
use crate::backup::{Backup, Secret};
use crate::discover::Found;
use crate::error::Error;
use crate::secret::Password;
use crate::source::location::BackupLocation;

/// A choice request is an index and a password: 64 KiB is plenty.
const MAX_BODY: u64 = 64 << 10;

/// The backups found at start, with the size of each on disk.
pub struct Choices {
    found: Vec<Found>,
    sizes: Vec<Option<u64>>,
}

/// What a listed size measures.
#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum SizeOf {
    /// Every file of the backup folder.
    Folder,
    /// The zip archive holding it: compressed, and shared by every backup in that archive.
    Archive,
}

/// Bytes of every file below `dir`, links not followed; `None` when it cannot be read.
fn folder_size(dir: &Path) -> Option<u64> {
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).ok()? {
            let e = e.ok()?;
            let m = e.metadata().ok()?;
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                total += m.len();
            }
        }
    }
    Some(total)
}

impl Choices {
    pub fn new(found: Vec<Found>) -> Choices {
        let sizes = found
            .iter()
            .map(|f| match &f.location {
                BackupLocation::Dir(p) => folder_size(p),
                // What the archive takes on disk; its content's size would mean reading the
                // whole central directory's records again, and is not what the disk holds.
                BackupLocation::Zip(z) => std::fs::metadata(z.archive()).ok().map(|m| m.len()),
            })
            .collect();
        Choices { found, sizes }
    }

    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

#[derive(Serialize)]
struct Listed<'a> {
    id: usize,
    path: String,
    folder: &'a str,
    udid: &'a str,
    archived: bool,
    device_name: Option<&'a str>,
    product_type: Option<&'a str>,
    ios_version: Option<&'a str>,
    date: Option<String>,
    size: Option<u64>,
    size_of: SizeOf,
    encrypted: Option<bool>,
    problem: Option<&'a str>,
}

/// `GET /api/backups`.
pub fn list(c: &Choices) -> Reply {
    let v: Vec<Listed<'_>> = c
        .found
        .iter()
        .zip(&c.sizes)
        .enumerate()
        .map(|(id, (f, size))| Listed {
            id,
            path: f.path.to_string_lossy().into_owned(),
            folder: &f.folder,
            udid: &f.udid,
            archived: f.archived,
            device_name: f.device_name.as_deref(),
            product_type: f.product_type.as_deref(),
            ios_version: f.ios_version.as_deref(),
            date: f.date.map(|d| d.rfc3339()),
            size: *size,
            size_of: match f.location {
                BackupLocation::Dir(_) => SizeOf::Folder,
                BackupLocation::Zip(_) => SizeOf::Archive,
            },
            encrypted: f.encrypted,
            problem: f.problem.as_deref(),
        })
        .collect();
    Reply::json(200, &v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenRequest {
    id: usize,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Serialize)]
struct Refusal<'a> {
    ok: bool,
    error: &'a str,
    /// The backup is encrypted and the password was missing or wrong: the page asks again.
    password: bool,
}

fn refuse(status: u16, msg: &str, password: bool) -> Reply {
    Reply::json(
        status,
        &Refusal {
            ok: false,
            error: msg,
            password,
        },
    )
}

/// `POST /api/open` with `{"id": N, "password": "…"}`: opens and loads the chosen backup, or
/// says why not. The body is read into memory that is wiped when dropped.
pub fn open(c: &Choices, req: &mut tiny_http::Request) -> Result<State, Reply> {
    let mut body = Zeroizing::new(Vec::new());
    if let Err(e) = req.as_reader().take(MAX_BODY + 1).read_to_end(&mut body) {
        return Err(error_json(400, &format!("cannot read the request: {e}")));
    }
    if body.len() as u64 > MAX_BODY {
        return Err(error_json(413, "the request is too large"));
    }
    // serde_json's message for a bad body quotes no input value, so no password leaks into it.
    let r: OpenRequest =
        serde_json::from_slice(&body).map_err(|e| error_json(400, &format!("bad request: {e}")))?;
    let Some(f) = c.found.get(r.id) else {
        return Err(error_json(400, "no such backup in the list"));
    };
    let mut b = Backup::open_location(&f.location).map_err(|e| error_json(400, &e.to_string()))?;
    if b.is_encrypted() {
        let pw = match r.password {
            // Moved, not copied, into memory wiped on drop.
            Some(p) if !p.is_empty() => Password::new(p),
            _ => {
                return Err(refuse(
                    401,
                    "this backup is encrypted: type its password",
                    true,
                ))
            }
        };
        match b.unlock(&Secret::Password(pw)) {
            Ok(_) => {}
            Err(Error::WrongPassword { .. }) => {
                return Err(refuse(
                    401,
                    "wrong password: this is not the password of this backup",
                    true,
                ))
            }
            Err(e) => return Err(error_json(400, &e.to_string())),
        }
    }
    State::load(b).map_err(|e| error_json(400, &e.to_string()))
}
