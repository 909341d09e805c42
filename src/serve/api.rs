//! The routes: the embedded page, the asset list and category counts, thumbnails, downloads
//! and the export. A path from the client only ever selects among known things (a route, an
//! asset by UUID, a version by role name); none is joined to a file path.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::State;
use crate::export::photos::{export, ExportOptions};
use crate::export::Existing;
use crate::photos::sidecar::SidecarKind;
use crate::photos::Category;
use crate::plan::photos::{self as plan, Convert, Edits, Filter, Layout, Live, NamePolicy};
use crate::records::asset::{record, AssetRecord};

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");

/// The largest body sent in the same write as the head (see `Reply::into_bytes`).
const ONE_WRITE: usize = 4 << 20;

/// An export request is a list of UUIDs and a few options: 16 MiB holds 400,000 UUIDs.
const MAX_BODY: u64 = 16 << 20;

pub enum Body {
    Bytes(Vec<u8>),
    /// Made once and kept (the asset list): sent without a copy.
    Shared(Arc<Vec<u8>>),
    Stream(Box<dyn Read + Send>),
    /// Streamed with its length known (a byte range, a plain blob): sent with Content-Length.
    Sized(Box<dyn Read + Send>, u64),
}

/// `Arc<Vec<u8>>` as the byte slice `Cursor` reads.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// A reply before it becomes tiny_http's `Response` (which fixes its body type).
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body),
        }
    }

    pub fn text(status: u16, msg: &str) -> Reply {
        Reply::bytes(
            status,
            "text/plain; charset=utf-8",
            format!("{msg}\n").into_bytes(),
        )
    }

    pub fn json<T: Serialize>(status: u16, v: &T) -> Reply {
        match serde_json::to_vec(v) {
            Ok(b) => Reply::bytes(status, "application/json", b),
            Err(e) => error_json(500, &format!("cannot serialise the reply: {e}")),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }

    /// The whole HTTP/1.1 response in one buffer, for a body already in memory. tiny_http
    /// writes the head and then the body in two writes; on a kept-alive connection the second
    /// waits for the client to acknowledge the first (Nagle's algorithm against delayed ACKs),
    /// about 40 ms a thumbnail. One write has nothing to wait for.
    /// Bodies above `ONE_WRITE` (the asset list) are not copied for it: their segments are full
    /// ones, which Nagle's algorithm does not hold back.
    pub fn into_bytes(self, head_only: bool, close: bool) -> Result<Vec<u8>, Reply> {
        let body = match self.body {
            Body::Bytes(b) if b.len() <= ONE_WRITE => b,
            body => {
                return Err(Reply {
                    status: self.status,
                    headers: self.headers,
                    body,
                })
            }
        };
        let status = tiny_http::StatusCode(self.status);
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n",
            self.status,
            status.default_reason_phrase()
        )
        .into_bytes();
        let all = super::security::common_headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(self.headers);
        for (k, v) in all {
            // Header values are this server's own; a line break in one would split the reply.
            if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
                continue;
            }
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        let no_body = matches!(self.status, 100..=199 | 204 | 304);
        if !no_body {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only && !no_body {
            out.extend_from_slice(&body);
        }
        Ok(out)
    }

    pub fn into_response(self) -> tiny_http::Response<Box<dyn Read + Send>> {
        let mut headers: Vec<tiny_http::Header> = Vec::new();
        let all = super::security::common_headers()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(self.headers);
        for (k, v) in all {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                headers.push(h);
            }
        }
        let (reader, len): (Box<dyn Read + Send>, Option<usize>) = match self.body {
            Body::Bytes(b) => {
                let n = b.len();
                (Box::new(std::io::Cursor::new(b)), Some(n))
            }
            Body::Shared(b) => {
                let n = b.len();
                (Box::new(std::io::Cursor::new(SharedBytes(b))), Some(n))
            }
            Body::Stream(r) => (r, None),
            // A length beyond usize (a 32-bit system) is sent chunked instead.
            Body::Sized(r, n) => (r, usize::try_from(n).ok()),
        };
        tiny_http::Response::new(
            tiny_http::StatusCode(self.status),
            headers,
            reader,
            len,
            None,
        )
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    ok: bool,
    error: &'a str,
}

pub fn error_json(status: u16, msg: &str) -> Reply {
    let body = serde_json::to_vec(&ErrorBody {
        ok: false,
        error: msg,
    })
    .unwrap_or_default();
    Reply::bytes(status, "application/json", body)
}

/// A request's path split at `/`, without the query, and whether it is a POST.
pub fn parts(url: &str) -> Vec<&str> {
    let path = url.split_once('?').map_or(url, |(p, _)| p);
    path.trim_start_matches('/').split('/').collect()
}

/// The page itself, the same whether a backup is open or still to be chosen.
pub fn page(url: &str, parts: &[&str]) -> Option<Reply> {
    Some(match parts {
        // The token has become a cookie: take it out of the address bar and the history.
        [""] if super::security::query_param(url, "token").is_some() => {
            Reply::text(303, "see /").header("Location", "/")
        }
        [""] => Reply::bytes(200, "text/html; charset=utf-8", INDEX_HTML.into()),
        ["app.js"] => Reply::bytes(200, "text/javascript; charset=utf-8", APP_JS.into()),
        // Browsers ask for it unprompted; a 404 would show as an error in the console.
        ["favicon.ico"] => Reply::bytes(204, "image/x-icon", Vec::new()),
        ["app.css"] => Reply::bytes(200, "text/css; charset=utf-8", APP_CSS.into()),
        _ => return None,
    })
}

/// The routes of an open backup; `switch`: the page may go back to the list of backups.
pub fn route(st: &State, req: &mut tiny_http::Request, switch: bool) -> Reply {
    let url = req.url().to_string();
    let post = *req.method() == tiny_http::Method::Post;
    let parts = parts(&url);
    if !post {
        if let Some(r) = page(&url, &parts) {
            return r;
        }
    }
    match (post, parts.as_slice()) {
        (false, ["api", "assets"]) => no_store(assets(st)),
        (false, ["api", "head"]) => no_store(head(st, &url, switch)),
        (false, ["api", "categories"]) => no_store(Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Shared(categories_json(st).clone()),
        }),
        (false, ["api", "info"]) => no_store(info(st, switch)),
        (false, ["api", "asset", uuid]) => match st.asset(uuid) {
            Some(i) => no_store(super::detail::detail(st, i)),
            None => Reply::text(404, "no such asset"),
        },
        (false, ["api", "export", "progress"]) => {
            no_store(Reply::json(200, &st.progress.snapshot()))
        }
        (false, ["preview", uuid]) => match st.asset(uuid) {
            Some(i) => super::detail::preview(st, i),
            None => Reply::text(404, "no such asset"),
        },
        (false, ["thumb", uuid]) => match st.asset(uuid) {
            Some(i) => super::thumbs::reply(st, i),
            None => Reply::text(404, "no such asset"),
        },
        (false, ["file", uuid, role]) => match st.asset(uuid) {
            Some(i) => version(st, i, role, req, false),
            None => Reply::text(404, "no such asset"),
        },
        (false, ["media", uuid, role]) => match st.asset(uuid) {
            Some(i) => version(st, i, role, req, true),
            None => Reply::text(404, "no such asset"),
        },
        (true, ["api", "export"]) => no_store(export_route(st, req)),
        _ => Reply::text(404, "not found"),
    }
}

pub fn no_store(r: Reply) -> Reply {
    r.header("Cache-Control", "no-store")
}

/// Assets in the order `photos ls` lists them: capture date, then path.
fn ordered(st: &State, mut v: Vec<usize>) -> Vec<usize> {
    v.sort_by(|&x, &y| {
        let (p, q) = (&st.lib.assets[x], &st.lib.assets[y]);
        (p.created, &p.relative_path).cmp(&(q.created, &q.relative_path))
    });
    v
}

/// The camera roll, oldest first, found once.
pub fn roll(st: &State) -> &[usize] {
    st.roll
        .get_or_init(|| ordered(st, plan::select(&st.lib, &Filter::default())))
}

/// The most records `/api/head` gives: a few screens of the largest window.
const MAX_HEAD: usize = 2000;

#[derive(Serialize)]
struct Head<'a> {
    /// What `/api/info` says, so the page's first paint takes one request.
    info: Info,
    /// Assets in the camera roll.
    total: usize,
    /// Its newest `n`, newest first.
    assets: Vec<Item<'a>>,
}

/// `GET /api/head?n=N`: the newest N records of the camera roll, the page's first screenful,
/// so it paints the grid in milliseconds while the whole list (24 MB for 50,000 assets) is
/// made, sent and parsed. The records are those of `/api/assets`, ids included.
fn head(st: &State, url: &str, switch: bool) -> Reply {
    let n = super::security::query_param(url, "n")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(200)
        .clamp(1, MAX_HEAD);
    let roll = roll(st);
    let assets = roll
        .iter()
        .rev()
        .take(n)
        .map(|&i| Item {
            id: i,
            camera_roll: true,
            record: record(&st.lib, &st.entries, i),
        })
        .collect();
    Reply::json(
        200,
        &Head {
            info: info_of(st, switch),
            total: roll.len(),
            assets,
        },
    )
}

/// One asset of `/api/assets`: the `photos ls --json` record (title and caption included, which
/// the page's text search reads), its id (what the category lists name) and whether the default
/// view (the camera roll, as `photos export` selects) shows it.
#[derive(Serialize)]
struct Item<'a> {
    id: usize,
    camera_roll: bool,
    #[serde(flatten)]
    record: AssetRecord<'a>,
}

/// Every asset, in order, each record made as it is written and dropped after: 50,000 records
/// are never in memory at once, only their JSON.
struct Items<'a> {
    st: &'a State,
    order: Vec<usize>,
    roll: std::collections::HashSet<usize>,
}

impl Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.st;
        s.collect_seq(self.order.iter().map(|&i| Item {
            id: i,
            camera_roll: self.roll.contains(&i),
            record: record(&st.lib, &st.entries, i),
        }))
    }
}

/// The JSON is made once and kept: the backup does not change while the server runs, and the
/// page asks for it on every load. `Server::run` starts making it at once, so the page's first
/// request (which waits for it) finds it done or under way.
pub fn assets_json(st: &State) -> &Result<Arc<Vec<u8>>, String> {
    st.assets_json.get_or_init(|| {
        let items = Items {
            st,
            order: ordered(st, (0..st.lib.assets.len()).collect()),
            roll: roll(st).iter().copied().collect(),
        };
        serde_json::to_vec(&items)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    })
}

fn assets(st: &State) -> Reply {
    match assets_json(st) {
        Ok(b) => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Shared(b.clone()),
        },
        Err(e) => error_json(500, &format!("cannot serialise the assets: {e}")),
    }
}

#[derive(Serialize)]
struct CategoryCount {
    name: &'static str,
    count: usize,
    /// The asset ids `photos ls --category NAME` lists, so the page filters exactly as it does.
    ids: Vec<usize>,
}

/// `GET /api/categories`, made once (the backup does not change while the server runs).
pub fn categories_json(st: &State) -> &Arc<Vec<u8>> {
    st.categories_json.get_or_init(|| {
        // Only numbers and the fixed names: serialising cannot fail; an empty list if it did.
        Arc::new(serde_json::to_vec(&categories(st)).unwrap_or_else(|_| b"[]".to_vec()))
    })
}

fn categories(st: &State) -> Vec<CategoryCount> {
    let mut v = vec![{
        let ids = roll(st).to_vec();
        CategoryCount {
            name: "camera-roll",
            count: ids.len(),
            ids,
        }
    }];
    // `photos ls --category C` reads Messages and WhatsApp media only when C is one of them;
    // the server always has them, so they are left out of the other categories to give the
    // same lists.
    let attachment = |i: usize| {
        st.lib.categories[i].contains(Category::Messages)
            || st.lib.categories[i].contains(Category::Whatsapp)
    };
    for c in Category::ALL {
        let f = Filter {
            categories: vec![c],
            ..Filter::default()
        };
        let mut ids = plan::select(&st.lib, &f);
        if !matches!(c, Category::Messages | Category::Whatsapp) {
            ids.retain(|&i| !attachment(i));
        }
        let ids = ordered(st, ids);
        v.push(CategoryCount {
            name: c.name(),
            count: ids.len(),
            ids,
        });
    }
    v
}

#[derive(Serialize)]
struct Info {
    device_name: Option<String>,
    udid: String,
    encrypted: bool,
    assets: usize,
    /// Started without BACKUP: the page offers to go back to the list.
    switch: bool,
}

fn info_of(st: &State, switch: bool) -> Info {
    Info {
        device_name: st.backup.device_name(),
        udid: st.backup.udid(),
        encrypted: st.backup.is_encrypted(),
        assets: st.lib.assets.len(),
        switch,
    }
}

fn info(st: &State, switch: bool) -> Reply {
    Reply::json(200, &info_of(st, switch))
}

/// `GET /file/UUID/ROLE` (a download) and `GET /media/UUID/ROLE` (the detail view's
/// `<video>`, only for a video): the version streamed from the backup, byte ranges honoured.
fn version(st: &State, i: usize, role: &str, req: &tiny_http::Request, inline: bool) -> Reply {
    let Some((_, e)) = st.lib.files[i]
        .versions()
        .into_iter()
        .find(|(r, _)| r.name() == role)
    else {
        return Reply::text(404, "this asset has no such version in the backup");
    };
    let name = st.entries[e]
        .relative_path
        .rsplit('/')
        .next()
        .unwrap_or("download");
    let how = if inline {
        match super::media::video_type(st, e) {
            Some(t) => super::media::Present::Inline(t, name),
            None => return Reply::text(415, "this version is not a video the page can play"),
        }
    } else {
        super::media::Present::Download(name)
    };
    super::media::reply(st, e, req, how)
}

/// `POST /api/export`. Every field but `out` and `uuids` is optional, with `photos export`'s
/// defaults; unknown fields are refused so a misspelt option is not silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportRequest {
    out: String,
    uuids: Vec<String>,
    #[serde(default)]
    layout: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    edits: Option<String>,
    #[serde(default)]
    live: Option<String>,
    #[serde(default)]
    sidecar: Option<String>,
    #[serde(default)]
    convert: Option<String>,
    #[serde(default)]
    jpeg_quality: Option<u8>,
    /// `refuse` (default), `skip` or `overwrite`.
    #[serde(default)]
    existing: Option<String>,
}

#[derive(Serialize)]
struct ExportReply<'a> {
    ok: bool,
    exit: u8,
    /// The same export on the command line.
    command: String,
    summary: &'a crate::export::photos::PhotoSummary,
}

fn pick<T: Copy>(v: &Option<String>, what: &str, table: &[(&str, T)]) -> Result<T, String> {
    let s = v.as_deref().unwrap_or(table[0].0);
    table
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
            format!("{what} must be one of {}", names.join(", "))
        })
}

/// Quotes for a POSIX shell, so the command line shown can be pasted.
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:=+@,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn export_route(st: &State, req: &mut tiny_http::Request) -> Reply {
    // A JSON content type cannot be sent cross-site without a CORS preflight, which this
    // server never grants: a second fence behind the Origin check.
    let json_type = req.headers().iter().any(|h| {
        h.field.equiv("Content-Type")
            && h.value
                .as_str()
                .split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json_type {
        return error_json(415, "send the export request as application/json");
    }
    let mut body = Vec::new();
    if let Err(e) = req.as_reader().take(MAX_BODY + 1).read_to_end(&mut body) {
        return error_json(400, &format!("cannot read the request: {e}"));
    }
    if body.len() as u64 > MAX_BODY {
        return error_json(413, "the request is too large");
    }
    let r: ExportRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error_json(400, &format!("bad export request: {e}")),
    };
    match run_export(st, &r) {
        Ok(reply) => reply,
        Err(msg) => error_json(400, &msg),
    }
}

fn run_export(st: &State, r: &ExportRequest) -> Result<Reply, String> {
    let layout = pick(
        &r.layout,
        "layout",
        &[
            ("date", Layout::Date),
            ("flat", Layout::Flat),
            ("album", Layout::Album),
            ("category", Layout::Category),
        ],
    )?;
    let names = pick(
        &r.name,
        "name",
        &[
            ("original", NamePolicy::Original),
            ("device", NamePolicy::Device),
        ],
    )?;
    let edits = pick(
        &r.edits,
        "edits",
        &[
            ("both", Edits::Both),
            ("original", Edits::Original),
            ("edited", Edits::Edited),
        ],
    )?;
    let live = pick(
        &r.live,
        "live",
        &[
            ("both", Live::Both),
            ("still", Live::Still),
            ("video", Live::Video),
        ],
    )?;
    let sidecar = pick(
        &r.sidecar,
        "sidecar",
        &[
            ("none", SidecarKind::None),
            ("xmp", SidecarKind::Xmp),
            ("json", SidecarKind::Json),
        ],
    )?;
    let convert = pick(
        &r.convert,
        "convert",
        &[
            ("none", Convert::None),
            ("jpeg", Convert::Jpeg),
            ("both", Convert::Both),
        ],
    )?;
    let existing = pick(
        &r.existing,
        "existing",
        &[
            ("refuse", Existing::Refuse),
            ("skip", Existing::Skip),
            ("overwrite", Existing::Overwrite),
        ],
    )?;
    let jpeg_quality = r.jpeg_quality.unwrap_or(90);
    if !(1..=100).contains(&jpeg_quality) {
        return Err("jpeg_quality must be 1 to 100".into());
    }
    if r.uuids.is_empty() {
        return Err("no asset selected".into());
    }
    // Relative to what? The server's working folder means nothing to the person at the page.
    let out = PathBuf::from(r.out.trim());
    if !out.is_absolute() {
        return Err(format!(
            "{:?}: give the destination as a full path (e.g. /home/me/Photos from the phone)",
            r.out
        ));
    }
    crate::export::check_output(&st.backup, &out).map_err(|e| e.to_string())?;
    let selected = plan::by_uuid(&st.lib, &r.uuids)?;
    let popts = plan::PlanOptions {
        filter: Filter::default(),
        layout,
        names,
        edits,
        live,
        convert,
        ..Default::default()
    };
    let p = plan::plan_selected(&st.lib, &st.entries, selected, &popts);
    let opts = ExportOptions {
        existing,
        jobs: 0,
        sidecar,
        jpeg_quality,
        ..Default::default()
    };
    let _one_at_a_time = st.exporting.lock().unwrap_or_else(|p| p.into_inner());
    st.progress.begin();
    let s = export(
        &st.backup,
        &st.entries,
        &st.lib,
        &p,
        &out,
        &opts,
        &st.progress,
    );
    st.progress.end();
    let s = s.map_err(|e| e.to_string())?;
    let mut cmd = format!(
        "unback photos export {} {}",
        sh(&st.backup.path().to_string_lossy()),
        sh(&out.to_string_lossy())
    );
    for u in &r.uuids {
        cmd.push_str(&format!(" --uuid {}", sh(u)));
    }
    for (flag, v) in [
        ("--layout", &r.layout),
        ("--name", &r.name),
        ("--edits", &r.edits),
        ("--live", &r.live),
        ("--sidecar", &r.sidecar),
        ("--convert", &r.convert),
    ] {
        if let Some(v) = v {
            cmd.push_str(&format!(" {flag} {}", sh(v)));
        }
    }
    if let Some(q) = r.jpeg_quality {
        cmd.push_str(&format!(" --jpeg-quality {q}"));
    }
    match existing {
        Existing::Skip => cmd.push_str(" --skip-existing"),
        Existing::Overwrite => cmd.push_str(" --overwrite"),
        Existing::Refuse => {}
    }
    Ok(Reply::json(
        200,
        &ExportReply {
            ok: true,
            exit: s.exit().code(),
            command: cmd,
            summary: &s,
        },
    ))
}
