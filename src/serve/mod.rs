//! `unback serve`: the photos of one backup in a browser, served by the binary itself on the
//! loopback interface. The page (`page/`) is embedded; the JSON is the records `photos ls`
//! prints; an export runs the one engine (`export::photos::export`) on a plan of the assets
//! the user picked, so names, dates, atomic writes and the journal are those of `photos export`.
//!
//! It is a server on the user's machine holding their private photos, so every request passes
//! `security::check` first: the Host header (DNS rebinding), a random token (any other local
//! process or web page), and for a POST the Origin (cross-site requests). Nothing the client
//! sends becomes a path except an export's OUT, which goes through `export::check_output` and
//! the engine's own containment like every export.

mod api;
mod chooser;
mod detail;
mod media;
mod progress;
mod security;
mod thumbs;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::backup::Backup;
use crate::error::{Error, Result};
use crate::manifest::Entry;
use crate::photos::library::{LoadOptions, PhotoLibrary};

pub use chooser::Choices;
pub use security::Token;

/// Request handlers at once. Thumbnail decodes are bounded separately (`thumbs`), and an
/// export holds one handler while it runs, so the page stays usable meanwhile.
const HANDLERS: usize = 4;

/// Everything a request may read, loaded once at start.
pub struct State {
    pub backup: Backup,
    pub entries: Vec<Entry>,
    pub lib: PhotoLibrary,
    /// Asset index by UUID.
    by_uuid: HashMap<String, usize>,
    /// Per asset: the backup's own JPEG derivative to show as its thumbnail, if any. Found
    /// after the address is printed (`Server::run` starts it), not before: the first paint
    /// waits for the library only, and a thumbnail request waits for this if it comes first.
    derivative: OnceLock<Vec<Option<usize>>>,
    /// The camera roll (what `photos export` selects by default), oldest first.
    roll: OnceLock<Vec<usize>>,
    /// `GET /api/categories`, made once.
    categories_json: OnceLock<std::sync::Arc<Vec<u8>>>,
    thumbs: thumbs::Thumbs,
    /// One export at a time: two into the same folder would race for its names.
    exporting: Mutex<()>,
    /// The running export's counters, read by `GET /api/export/progress`.
    progress: progress::Live,
    /// `GET /api/assets`, made once.
    assets_json: OnceLock<std::result::Result<std::sync::Arc<Vec<u8>>, String>>,
    /// Plaintext lengths of encrypted blobs found by a decrypting pass (`media`), by entry.
    plain_lens: Mutex<HashMap<usize, u64>>,
}

impl State {
    /// Reads the backup's entries and its photo library, Messages and WhatsApp media included
    /// (the page shows them as categories).
    pub fn load(backup: Backup) -> Result<State> {
        let entries = backup.entries()?;
        let lib = backup.photos(
            &entries,
            LoadOptions {
                messages: true,
                whatsapp: true,
                apps: false,
            },
        );
        let by_uuid = lib
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.uuid.clone(), i))
            .collect();
        Ok(State {
            backup,
            entries,
            lib,
            by_uuid,
            derivative: OnceLock::new(),
            roll: OnceLock::new(),
            categories_json: OnceLock::new(),
            thumbs: thumbs::Thumbs::new(),
            exporting: Mutex::new(()),
            progress: progress::Live::default(),
            assets_json: OnceLock::new(),
            plain_lens: Mutex::new(HashMap::new()),
        })
    }

    fn lens(&self) -> std::sync::MutexGuard<'_, HashMap<usize, u64>> {
        // A handler that panicked holding it left a map of right lengths: keep using it.
        self.plain_lens.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn derivative(&self, i: usize) -> Option<usize> {
        let d = self
            .derivative
            .get_or_init(|| thumbs::derivatives(&self.entries, &self.lib));
        d.get(i).copied().flatten()
    }

    /// Everything made once that the page asks for, made now, in the order the page needs it:
    /// the camera roll (its first screenful, `/api/head`), the derivatives (the thumbnails of
    /// that screenful), the asset list, the categories. One thread: on a machine of two cores
    /// the other is left to the browser and to the requests of the first paint.
    fn prepare(&self) {
        let _ = api::roll(self);
        let _ = self.derivative(0);
        let _ = api::assets_json(self);
        let _ = api::categories_json(self);
    }

    fn asset(&self, uuid: &str) -> Option<usize> {
        self.by_uuid.get(uuid).copied()
    }
}

/// Where to listen: the loopback interface (both 127.0.0.1 and ::1), or one address the user
/// named with `--listen` (which the CLI warns about).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    Loopback,
    Addr(IpAddr),
}

/// A bound server: the sockets are open (so the port is known) but no request is read yet.
pub struct Server {
    http: Vec<tiny_http::Server>,
    port: u16,
    token: Token,
    hosts: Vec<String>,
    any_ip: bool,
    url_host: String,
    /// The open backup: given at start, or the one the user picked (`chooser`), which they may
    /// close to pick another. A request takes its own `Arc`, so one that is under way (an
    /// export, a download) finishes on the library it started with.
    state: RwLock<Option<Arc<State>>>,
    /// One choice at a time: two tabs opening at once would load two libraries.
    opening: Mutex<()>,
    /// What the page offers when no backup was given.
    choices: Option<Choices>,
}

/// What the server starts with: a backup, or the backups to choose from.
pub enum Start {
    Backup(Box<State>),
    Choose(Choices),
}

fn listen_on(addr: IpAddr, port: u16) -> Result<(tiny_http::Server, u16)> {
    let http = tiny_http::Server::http((addr, port)).map_err(|e| {
        Error::Other(format!(
            "cannot listen on {}: {e}",
            security::host_of(addr, port)
        ))
    })?;
    let port = http
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or_else(|| Error::Other("the server has no IP address".into()))?;
    Ok((http, port))
}

impl Server {
    /// Listens on `listen` at `port` (0: a free port the system picks). Loopback by default:
    /// the page and its API give every photo of the backup to whoever reaches them. On the
    /// loopback interface 127.0.0.1 comes first and fixes the port; ::1 gets the same port when
    /// the system has IPv6 (`notes` says so when it has not).
    pub fn bind(start: Start, listen: Listen, port: u16) -> Result<(Server, Vec<String>)> {
        let mut notes = Vec::new();
        let (http, port, hosts, any_ip, url_host) = match listen {
            Listen::Loopback => {
                let (v4, port) = listen_on(IpAddr::V4(Ipv4Addr::LOCALHOST), port)?;
                let mut http = vec![v4];
                match listen_on(IpAddr::V6(Ipv6Addr::LOCALHOST), port) {
                    Ok((v6, _)) => http.push(v6),
                    Err(e) => notes.push(format!("{e}; serving on 127.0.0.1 only")),
                }
                let hosts = security::loopback_hosts(port);
                (http, port, hosts, false, format!("127.0.0.1:{port}"))
            }
            Listen::Addr(addr) => {
                let (h, port) = listen_on(addr, port)?;
                let mut hosts = security::loopback_hosts(port);
                let own = security::host_of(addr, port);
                hosts.push(own.clone());
                let url_host = if addr.is_unspecified() {
                    format!("127.0.0.1:{port}")
                } else {
                    own
                };
                (vec![h], port, hosts, addr.is_unspecified(), url_host)
            }
        };
        let (state, choices) = match start {
            Start::Backup(st) => (Some(Arc::new(*st)), None),
            Start::Choose(c) => (None, Some(c)),
        };
        let server = Server {
            http,
            port,
            token: Token::new()?,
            hosts,
            any_ip,
            url_host,
            state: RwLock::new(state),
            opening: Mutex::new(()),
            choices,
        };
        Ok((server, notes))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to open, with the token that the first request turns into a cookie.
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.url_host, self.token.as_str())
    }

    /// Serves until the process ends (Ctrl-C: the export engine's handler removes partial files).
    pub fn run(&self) {
        std::thread::scope(|s| {
            if let Some(st) = self.current() {
                s.spawn(move || st.prepare());
            }
            for http in &self.http {
                for _ in 0..HANDLERS {
                    s.spawn(move || {
                        for req in http.incoming_requests() {
                            self.handle(req);
                        }
                    });
                }
            }
        });
    }

    fn handle(&self, mut req: tiny_http::Request) {
        let ctx = security::Context {
            port: self.port,
            token: &self.token,
            hosts: &self.hosts,
            any_ip: self.any_ip,
        };
        let reply = match security::check(&ctx, &req) {
            Err(refusal) => refusal,
            Ok(pass) => {
                let mut r = self.route(&mut req);
                if pass.set_cookie {
                    r.headers.push(ctx.cookie());
                }
                r
            }
        };
        // HTTP/1.1 replies held in memory go out in one write (`Reply::into_bytes`); streamed
        // ones (downloads) and HTTP/1.0 through tiny_http. The client may have gone away:
        // nothing to do about it.
        if *req.http_version() != tiny_http::HTTPVersion(1, 1) {
            let _ = req.respond(reply.into_response());
            return;
        }
        let head_only = *req.method() == tiny_http::Method::Head;
        let close = req.headers().iter().any(|h| {
            h.field.equiv("Connection") && h.value.as_str().to_ascii_lowercase().contains("close")
        });
        match reply.into_bytes(head_only, close) {
            Ok(bytes) => {
                let mut w = req.into_writer();
                let _ = std::io::Write::write_all(&mut w, &bytes);
                let _ = std::io::Write::flush(&mut w);
            }
            Err(reply) => {
                let _ = req.respond(reply.into_response());
            }
        }
    }
}

impl Server {
    /// The open backup, if any.
    fn current(&self) -> Option<Arc<State>> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_current(&self, st: Option<Arc<State>>) {
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = st;
    }

    /// The open backup's routes; before one is chosen, the page, the list and the choice.
    /// Started without BACKUP, the list, the choice and `POST /api/close` stay available once
    /// one is open: the user goes back to the list and opens another without a restart.
    fn route(&self, req: &mut tiny_http::Request) -> api::Reply {
        let url = req.url().to_string();
        let post = *req.method() == tiny_http::Method::Post;
        let parts = api::parts(&url);
        if let Some(choices) = &self.choices {
            match (post, parts.as_slice()) {
                (false, ["api", "backups"]) => return api::no_store(chooser::list(choices)),
                (true, ["api", "open"]) => return api::no_store(self.open(choices, req)),
                (true, ["api", "close"]) => return api::no_store(self.close()),
                _ => {}
            }
        }
        let switch = self.choices.is_some();
        if let Some(st) = self.current() {
            return api::route(&st, req, switch);
        }
        match (post, parts.as_slice()) {
            // The page's first request is `/api/head`: before a choice it says to choose.
            (false, ["api", "info"] | ["api", "head"]) => api::no_store(api::Reply::json(
                200,
                &serde_json::json!({
                    "choose": true,
                    "backups": self.choices.as_ref().map_or(0, Choices::len),
                }),
            )),
            (false, _) => api::page(&url, &parts)
                .unwrap_or_else(|| api::Reply::text(409, "choose a backup first")),
            _ => api::Reply::text(404, "not found"),
        }
    }

    /// Drops the open library (its memory and its keys go with the last request using it), so
    /// the page shows the list again. Refused while an export runs: its progress would vanish
    /// from the page, and the user would not know whether it finished.
    fn close(&self) -> api::Reply {
        let _one = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(st) = self.current() {
            if st.exporting.try_lock().is_err() {
                return api::error_json(409, "an export is running: wait for it to finish");
            }
        }
        self.set_current(None);
        api::Reply::json(200, &serde_json::json!({ "ok": true }))
    }

    /// `POST /api/open`: the library open before (if any) is dropped first, so two are never
    /// in memory at once; an encrypted backup needs its password again every time.
    fn open(&self, choices: &Choices, req: &mut tiny_http::Request) -> api::Reply {
        let _one = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(st) = self.current() {
            if st.exporting.try_lock().is_err() {
                return api::error_json(409, "an export is running: wait for it to finish");
            }
        }
        self.set_current(None);
        match chooser::open(choices, req) {
            Ok(st) => {
                let st = Arc::new(st);
                // Made in the background: the page's first paint needs only its first
                // screenful (`/api/head`), and the list waits for what is not made yet.
                let bg = st.clone();
                std::thread::spawn(move || bg.prepare());
                self.set_current(Some(st));
                api::Reply::json(200, &serde_json::json!({ "ok": true }))
            }
            Err(r) => r,
        }
    }
}
