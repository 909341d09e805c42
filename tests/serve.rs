//! `unback serve` over real HTTP: the binary is started on 127.0.0.1 with port 0, the test
//! reads the printed address and talks to it with plain `TcpStream`s (no client library, no
//! mock), so every header the security checks read is exactly what the test wrote.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::Value;

/// A running `unback serve`, stopped when dropped.
struct Served {
    child: Child,
    /// The address the printed URL names (127.0.0.1 unless `--listen`).
    ip: String,
    port: u16,
    token: String,
    /// Where its stderr goes, when the test reads it.
    err: Option<tempfile::NamedTempFile>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(backup: &Path) -> Served {
    serve_with(Some(backup), &[]).0
}

/// `unback serve BACKUP --port 0 --no-open EXTRA…`; the server and what it had printed on
/// stderr by the time its address was out (the listening warning comes before it).
fn serve_with(backup: Option<&Path>, extra: &[&str]) -> (Served, String) {
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unback"))
        .arg("serve")
        .args(backup)
        .args(["--port", "0", "--no-open"])
        .args(extra)
        .env_remove("UNBACK_PASSWORD")
        .env_remove("UNBACK_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim();
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("unexpected address line {url:?}"));
    let (host, query) = rest.split_once("/?token=").unwrap();
    let (ip, port) = host.rsplit_once(':').unwrap();
    assert_eq!(query.len(), 32, "a 128-bit token in hex");
    let stderr = std::fs::read_to_string(err.path()).unwrap();
    (
        Served {
            child,
            ip: ip.to_string(),
            port: port.parse().unwrap(),
            token: query.to_string(),
            err: Some(err),
        },
        stderr,
    )
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One request over a fresh connection; `headers` are written as given (Host included).
fn raw(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    raw_at("127.0.0.1", port, method, path, headers, body)
}

/// [`raw`] to another address of this machine (`::1`, `127.0.0.2`).
fn raw_at(
    ip: &str,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let ip: std::net::IpAddr = ip.parse().unwrap();
    let mut s = TcpStream::connect((ip, port)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(all[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = all[end + 4..].to_vec();
    // tiny_http streams bodies of unknown length chunked.
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// A chunked body at the start of `b`: the body and how many bytes it took.
fn dechunk_prefix(b: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let i = b[at..].windows(2).position(|w| w == b"\r\n").unwrap();
        let line = std::str::from_utf8(&b[at..at + i]).unwrap().trim();
        let n = usize::from_str_radix(line, 16).unwrap();
        at += i + 2;
        if n == 0 {
            return (out, at + 2);
        }
        out.extend_from_slice(&b[at..at + n]);
        at += n + 2;
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let i = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 2 + n + 2..];
    }
}

impl Served {
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
    fn cookie(&self) -> String {
        format!("unback_{}={}", self.port, self.token)
    }
    /// A GET as the page makes it: right Host, the cookie.
    fn get(&self, path: &str) -> Resp {
        let (h, c) = (self.host(), self.cookie());
        raw(self.port, "GET", path, &[("Host", &h), ("Cookie", &c)], b"")
    }
    fn post_export(&self, body: &Value) -> Resp {
        let (h, c) = (self.host(), self.cookie());
        let origin = format!("http://{h}");
        raw(
            self.port,
            "POST",
            "/api/export",
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; media-src 'self'";

#[test]
fn every_request_needs_the_token() {
    let s = serve(&sample());
    let h = s.host();
    for path in [
        "/",
        "/api/assets",
        "/app.js",
        "/thumb/5A1E0001-3C7F-4000-8000-A00B1E5A0001",
    ] {
        let r = raw(s.port, "GET", path, &[("Host", &h)], b"");
        assert_eq!(r.status, 403, "{path} without a token");
        assert!(!String::from_utf8_lossy(&r.body).contains(&s.token));
    }
    let wrong = format!("unback_{}={}", s.port, "0".repeat(32));
    let r = raw(
        s.port,
        "GET",
        "/api/assets",
        &[("Host", &h), ("Cookie", &wrong)],
        b"",
    );
    assert_eq!(r.status, 403, "a wrong token");
    let r = raw(s.port, "GET", "/?token=00", &[("Host", &h)], b"");
    assert_eq!(r.status, 403, "a wrong token in the query");

    // The printed address: the token becomes a cookie and leaves the address bar.
    let r = raw(
        s.port,
        "GET",
        &format!("/?token={}", s.token),
        &[("Host", &h)],
        b"",
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("Location"), Some("/"));
    let cookie = r.header("Set-Cookie").unwrap();
    assert!(cookie.starts_with(&s.cookie()), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(s.get("/").status, 200);
    assert_eq!(s.get("/api/assets").status, 200);
}

#[test]
fn a_foreign_host_is_refused_dns_rebinding() {
    let s = serve(&sample());
    let c = s.cookie();
    let q = format!("/?token={}", s.token);
    for host in [
        format!("evil.example:{}", s.port),
        "127.0.0.1".to_string(),
        format!("127.0.0.1:{}", s.port + 1),
        format!("localhost.evil.example:{}", s.port),
    ] {
        let r = raw(
            s.port,
            "GET",
            "/api/assets",
            &[("Host", &host), ("Cookie", &c)],
            b"",
        );
        assert_eq!(r.status, 421, "Host {host}");
        let r = raw(s.port, "GET", &q, &[("Host", &host)], b"");
        assert_eq!(r.status, 421, "Host {host} with the token in the query");
    }
    let r = raw(s.port, "GET", "/api/assets", &[("Cookie", &c)], b"");
    assert_eq!(r.status, 421, "no Host");
    let local = format!("localhost:{}", s.port);
    let r = raw(
        s.port,
        "GET",
        "/api/assets",
        &[("Host", &local), ("Cookie", &c)],
        b"",
    );
    assert_eq!(r.status, 200, "localhost:PORT is this server");
}

#[test]
fn it_listens_on_both_loopback_addresses_and_answers_to_their_names() {
    let (s, _) = serve_with(Some(&sample()), &[]);
    let c = s.cookie();
    if TcpStream::connect(("::1", s.port)).is_err() {
        cannot_run("this machine has no IPv6 loopback (::1)");
        return;
    }
    let v6 = format!("[::1]:{}", s.port);
    for ip in ["::1", "127.0.0.1"] {
        let r = raw_at(
            ip,
            s.port,
            "GET",
            "/api/info",
            &[("Host", &v6), ("Cookie", &c)],
            b"",
        );
        assert_eq!(r.status, 200, "Host {v6} over {ip}");
    }
    let q = format!("/?token={}", s.token);
    let r = raw_at("::1", s.port, "GET", &q, &[("Host", &v6)], b"");
    assert_eq!(r.status, 303, "the printed address over ::1");
    for host in [
        "[::1]".to_string(),
        format!("[::1]:{}", s.port + 1),
        format!("[::2]:{}", s.port),
        format!("::1:{}", s.port),
        format!("[::ffff:127.0.0.1]:{}", s.port),
    ] {
        let r = raw_at(
            "::1",
            s.port,
            "GET",
            "/api/info",
            &[("Host", &host), ("Cookie", &c)],
            b"",
        );
        assert_eq!(r.status, 421, "Host {host}");
    }
    // A POST from the page opened at [::1] carries that Origin.
    let out = tempfile::tempdir().unwrap();
    let body = serde_json::json!({"out": out.path().join("x"), "uuids": ["NOPE"]}).to_string();
    let origin = format!("http://{v6}");
    let r = raw_at(
        "::1",
        s.port,
        "POST",
        "/api/export",
        &[
            ("Host", &v6),
            ("Cookie", &c),
            ("Origin", &origin),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert_eq!(
        r.status, 400,
        "past the checks, refused for the unknown UUID"
    );
}

#[test]
fn another_address_only_with_listen_and_a_warning() {
    let (s, err) = serve_with(Some(&sample()), &[]);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(s.ip, "127.0.0.1");
    drop(s);
    // 127.0.0.2 is still this machine (all of 127/8 is), so nothing is exposed by the test.
    let (s, err) = serve_with(Some(&sample()), &["--listen", "127.0.0.2"]);
    assert!(
        err.contains("warning: listening on 127.0.0.2") && err.contains("every photo"),
        "{err}"
    );
    assert_eq!(s.ip, "127.0.0.2");
    let own = format!("127.0.0.2:{}", s.port);
    let c = s.cookie();
    let r = raw_at(
        "127.0.0.2",
        s.port,
        "GET",
        "/api/info",
        &[("Host", &own), ("Cookie", &c)],
        b"",
    );
    assert_eq!(r.status, 200);
    let r = raw_at(
        "127.0.0.2",
        s.port,
        "GET",
        "/api/info",
        &[("Host", &own)],
        b"",
    );
    assert_eq!(r.status, 403, "the token is still needed");
    let evil = format!("evil.example:{}", s.port);
    let r = raw_at(
        "127.0.0.2",
        s.port,
        "GET",
        "/api/info",
        &[("Host", &evil), ("Cookie", &c)],
        b"",
    );
    assert_eq!(r.status, 421);
    assert!(
        TcpStream::connect(("127.0.0.1", s.port)).is_err(),
        "only the address asked for"
    );
    unback()
        .args(["serve", "--listen", "not-an-address"])
        .arg(sample())
        .assert()
        .code(2);
}

/// Replies held in memory go out in one write, outside tiny_http's own writer: a kept-alive
/// connection still gets every reply in order, a HEAD gets the head alone, and a download
/// (streamed by tiny_http) follows on the same connection.
#[test]
fn replies_on_one_kept_alive_connection() {
    let s = serve(&sample());
    let (h, c) = (s.host(), s.cookie());
    let mut conn = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let u = "5A1E0002-3C7F-4000-8000-A00B1E5A0002";
    let reqs = [
        ("GET", "/api/info".to_string()),
        ("HEAD", "/app.css".to_string()),
        ("GET", format!("/thumb/{u}")),
        ("GET", format!("/file/{u}/original")),
        ("GET", "/nothing".to_string()),
    ];
    let mut all = String::new();
    for (m, p) in &reqs {
        all.push_str(&format!(
            "{m} {p} HTTP/1.1\r\nHost: {h}\r\nCookie: {c}\r\n\r\n"
        ));
    }
    all.push_str(&format!(
        "GET /app.css HTTP/1.1\r\nHost: {h}\r\nCookie: {c}\r\nConnection: close\r\n\r\n"
    ));
    conn.write_all(all.as_bytes()).unwrap();
    let mut got = Vec::new();
    conn.read_to_end(&mut got).unwrap();
    // Walk the replies by their lengths.
    let mut rest = &got[..];
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..reqs.len() + 1 {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(rest[..end].to_vec()).unwrap();
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let lower = head.to_ascii_lowercase();
        let len = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map(|v| v.trim().parse::<usize>().unwrap());
        rest = &rest[end + 4..];
        if lower.contains("transfer-encoding: chunked") {
            let (body, used) = dechunk_prefix(rest);
            bodies.push(body);
            rest = &rest[used..];
        } else {
            let n = if i == 1 {
                0
            } else {
                len.unwrap_or_else(|| panic!("{head}"))
            };
            bodies.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        assert!(lower.contains("content-security-policy"), "{head}");
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 404, 200]);
    assert!(rest.is_empty(), "nothing after the last reply");
    assert!(String::from_utf8_lossy(&bodies[0]).contains("udid"));
    assert_eq!(&bodies[2][..2], b"\xFF\xD8", "a JPEG thumbnail");
    assert_eq!(
        sha256(&bodies[3]),
        sha256(&s.get(&format!("/file/{u}/original")).body),
        "the download, streamed, between two one-write replies"
    );
    assert!(bodies[5].len() > 100, "the style sheet");
}

#[test]
fn a_post_must_come_from_the_page() {
    let s = serve(&sample());
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("x");
    let body = serde_json::json!({"out": dest, "uuids": ["5A1E0001-3C7F-4000-8000-A00B1E5A0001"]})
        .to_string();
    let (h, c) = (s.host(), s.cookie());
    let good_origin = format!("http://{h}");
    let cases: &[(&[(&str, &str)], u16)] = &[
        (
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Content-Type", "application/json"),
            ],
            403,
        ),
        (
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Origin", "http://evil.example"),
                ("Content-Type", "application/json"),
            ],
            403,
        ),
        (
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Origin", "null"),
                ("Content-Type", "application/json"),
            ],
            403,
        ),
        (
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Origin", &good_origin),
                ("Content-Type", "text/plain"),
            ],
            415,
        ),
        (
            &[
                ("Host", &h),
                ("Origin", &good_origin),
                ("Content-Type", "application/json"),
            ],
            403,
        ),
    ];
    for (headers, want) in cases {
        let r = raw(s.port, "POST", "/api/export", headers, body.as_bytes());
        assert_eq!(r.status, *want, "{headers:?}");
    }
    assert!(!dest.exists(), "a refused request wrote nothing");
    let r = raw(
        s.port,
        "PUT",
        "/api/export",
        &[("Host", &h), ("Cookie", &c)],
        b"",
    );
    assert_eq!(r.status, 405);
}

#[test]
fn every_reply_carries_the_strict_csp_and_the_page_has_no_inline_script() {
    let s = serve(&sample());
    let h = s.host();
    let refused = raw(s.port, "GET", "/", &[("Host", &h)], b"");
    for (what, r) in [
        ("page", s.get("/")),
        ("api", s.get("/api/categories")),
        ("refusal", refused),
        ("missing", s.get("/nothing")),
    ] {
        let csp = r.header("Content-Security-Policy").unwrap_or_default();
        assert!(csp.starts_with(CSP), "{what}: {csp}");
        assert_eq!(
            r.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{what}"
        );
    }
    let page = String::from_utf8(s.get("/").body).unwrap();
    let scripts: Vec<&str> = page.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 1);
    assert!(
        scripts[0].trim_start().starts_with("src=\"/app.js\""),
        "{page}"
    );
    assert!(!page.contains("style="), "no inline style either");
    let js = s.get("/app.js");
    assert_eq!(js.status, 200);
    assert!(js
        .header("Content-Type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(
        !String::from_utf8(js.body).unwrap().contains("http"),
        "no other origin"
    );
}

#[test]
fn client_paths_never_reach_the_file_system() {
    let s = serve(&sample());
    for path in [
        "/thumb/../Manifest.db",
        "/thumb/..%2F..%2FManifest.db",
        "/file/5A1E0001-3C7F-4000-8000-A00B1E5A0001/../../Manifest.db",
        "/file/5A1E0001-3C7F-4000-8000-A00B1E5A0001/Manifest.db",
        "/file/Manifest.db/original",
        "/../../etc/passwd",
        "/app.js/../Manifest.db",
        "/page/index.html",
    ] {
        assert_eq!(s.get(path).status, 404, "{path}");
    }
}

fn ls_json(args: &[&str]) -> Vec<Value> {
    let a = unback()
        .args(["photos", "ls"])
        .arg(sample())
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_str(&stdout(&a)).unwrap()
}

fn without_server_fields(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("id").unwrap();
    o.remove("camera_roll").unwrap();
    v
}

#[test]
fn assets_and_categories_are_what_photos_ls_prints() {
    let s = serve(&sample());
    let assets = s.get("/api/assets").json();
    let assets = assets.as_array().unwrap();
    let roll: Vec<Value> = assets
        .iter()
        .filter(|a| a["camera_roll"] == Value::Bool(true))
        .cloned()
        .map(without_server_fields)
        .collect();
    assert_eq!(
        roll,
        ls_json(&[]),
        "the default view is photos ls's default"
    );
    let everything: Vec<Value> = assets.iter().cloned().map(without_server_fields).collect();
    assert_eq!(
        everything,
        ls_json(&[
            "--category",
            "photos,videos,messages,whatsapp",
            "--include-hidden",
            "--include-deleted"
        ]),
        "every asset, attachments, hidden and deleted included"
    );
    let by_id: std::collections::HashMap<u64, &str> = assets
        .iter()
        .map(|a| (a["id"].as_u64().unwrap(), a["uuid"].as_str().unwrap()))
        .collect();
    let cats = s.get("/api/categories").json();
    let cats = cats.as_array().unwrap();
    assert_eq!(cats[0]["name"], "camera-roll");
    for c in cats {
        let name = c["name"].as_str().unwrap();
        let uuids: Vec<&str> = c["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| by_id[&i.as_u64().unwrap()])
            .collect();
        assert_eq!(c["count"].as_u64().unwrap() as usize, uuids.len());
        let want = if name == "camera-roll" {
            ls_json(&[])
        } else {
            ls_json(&["--category", name])
        };
        let want: Vec<&str> = want.iter().map(|a| a["uuid"].as_str().unwrap()).collect();
        assert_eq!(uuids, want, "category {name}");
    }
    let nonzero = cats
        .iter()
        .filter(|c| c["count"].as_u64() > Some(0))
        .count();
    assert!(nonzero >= 8, "the sample has many categories: {nonzero}");
}

#[test]
fn thumbnails_are_images() {
    let s = serve(&sample());
    let assets = s.get("/api/assets").json();
    let preview_only = assets
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["versions"]
                .as_array()
                .unwrap()
                .contains(&Value::from("thumbnail-only"))
        })
        .expect("the sample has a preview-only asset");
    let r = s.get(&format!(
        "/thumb/{}",
        preview_only["uuid"].as_str().unwrap()
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("image/jpeg"));
    assert_eq!(&r.body[..3], b"\xFF\xD8\xFF", "a JPEG");
    for a in assets.as_array().unwrap() {
        let r = s.get(&format!("/thumb/{}", a["uuid"].as_str().unwrap()));
        assert_eq!(r.status, 200, "{}", a["uuid"]);
        let t = r.header("Content-Type").unwrap();
        assert!(t.starts_with("image/"), "{t}");
    }
    assert_eq!(s.get("/thumb/not-an-asset").status, 404);
}

#[test]
fn a_version_downloads_byte_for_byte() {
    let s = serve(&sample());
    let u = "5A1E0002-3C7F-4000-8000-A00B1E5A0002";
    let out = tempfile::tempdir().unwrap();
    unback()
        .args(["photos", "export"])
        .arg(sample())
        .arg(out.path())
        .args(["--uuid", u, "--layout", "flat"])
        .assert()
        .success();
    for (role, name) in [
        ("original", "IMG_0002.HEIC"),
        ("live-video", "IMG_0002.MOV"),
    ] {
        let r = s.get(&format!("/file/{u}/{role}"));
        assert_eq!(r.status, 200, "{role}");
        assert!(r
            .header("Content-Disposition")
            .unwrap()
            .starts_with("attachment"));
        assert_eq!(
            sha256(&r.body),
            sha256_file(&out.path().join(name)),
            "{role}"
        );
    }
    assert_eq!(s.get(&format!("/file/{u}/edited")).status, 404);
}

#[test]
fn the_page_export_writes_what_photos_export_uuid_writes() {
    // A Live Photo, an edited favourite and a preview-only asset.
    let uuids = [
        "5A1E0002-3C7F-4000-8000-A00B1E5A0002",
        "5A1E0001-3C7F-4000-8000-A00B1E5A0001",
        "5A1E0007-3C7F-4000-8000-A00B1E5A0007",
    ];
    let tmp = tempfile::tempdir().unwrap();
    let (web, cli) = (tmp.path().join("web"), tmp.path().join("cli"));
    let s = serve(&sample());
    let r = s.post_export(&serde_json::json!({"out": web, "uuids": uuids, "layout": "date"}));
    let j = r.json();
    assert_eq!(r.status, 200, "{j}");
    assert_eq!(j["ok"], true);
    assert_eq!(j["exit"], 0, "{j}");
    assert_eq!(j["summary"]["assets_selected"], 3);
    let mut c = unback();
    c.args(["photos", "export"]).arg(sample()).arg(&cli);
    for u in uuids {
        c.args(["--uuid", u]);
    }
    c.args(["--layout", "date"]).assert().success();
    let (w, k) = (export_tree(&web), export_tree(&cli));
    assert!(w.len() >= 5, "{w:?}");
    assert_eq!(w, k);
    // The command line the page shows does the same.
    let cmd = j["command"].as_str().unwrap();
    assert!(cmd.starts_with("unback photos export "), "{cmd}");
    for u in uuids {
        assert!(cmd.contains(&format!("--uuid {u}")), "{cmd}");
    }

    // The same list from a file.
    let list = tmp.path().join("uuids.txt");
    std::fs::write(&list, format!("# picked\n{}\n\n", uuids.join("\n"))).unwrap();
    let from_file = tmp.path().join("from-file");
    unback()
        .args(["photos", "export"])
        .arg(sample())
        .arg(&from_file)
        .arg("--uuids-from")
        .arg(&list)
        .assert()
        .success();
    assert_eq!(export_tree(&from_file), k);
}

#[test]
fn a_bad_export_is_refused_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join(UDID);
    // A copy, so that a failure of the check could not touch the committed sample.
    copy_dir(&sample(), &backup);
    let before = fingerprint(&backup);
    let s = serve(&backup);
    let u = ["5A1E0001-3C7F-4000-8000-A00B1E5A0001"];
    let inside = backup.join("exported");
    let elsewhere = tmp.path().join("elsewhere");
    for (body, says) in [
        (serde_json::json!({"out": inside, "uuids": u}), "inside"),
        (serde_json::json!({"out": backup, "uuids": u}), "backup"),
        (serde_json::json!({"out": tmp.path(), "uuids": u}), "holds"),
        (
            serde_json::json!({"out": "relative/dir", "uuids": u}),
            "full path",
        ),
        (
            serde_json::json!({"out": elsewhere, "uuids": ["NOPE"]}),
            "NOPE",
        ),
        (
            serde_json::json!({"out": elsewhere, "uuids": []}),
            "no asset",
        ),
        (
            serde_json::json!({"out": elsewhere, "uuids": u, "layout": "x"}),
            "layout",
        ),
        (
            serde_json::json!({"out": elsewhere, "uuids": u, "rm": "-rf"}),
            "unknown field",
        ),
    ] {
        let r = s.post_export(&body);
        assert_eq!(r.status, 400, "{body}");
        let j = r.json();
        assert_eq!(j["ok"], false);
        let msg = j["error"].as_str().unwrap();
        assert!(msg.contains(says), "{body}: {msg}");
    }
    assert!(!inside.exists() && !elsewhere.exists());
    drop(s);
    assert_eq!(fingerprint(&backup), before, "the backup is unchanged");
    let mut c = unback();
    c.args(["photos", "export"])
        .arg(&backup)
        .arg(&inside)
        .args(["--uuid", u[0]])
        .assert()
        .code(2);
    let a = unback()
        .args(["photos", "export"])
        .arg(sample())
        .arg(&elsewhere)
        .args(["--uuid", "NOPE"])
        .assert()
        .code(2);
    assert!(stderr(&a).contains("NOPE"));
    assert!(!elsewhere.exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn an_encrypted_backup_is_unlocked_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unback"))
        .arg("serve")
        .arg(sample_encrypted())
        .args(["--port", "0", "--no-open"])
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .env_remove("UNBACK_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let rest = line.trim().strip_prefix("http://127.0.0.1:").unwrap();
    let (port, token) = rest.split_once("/?token=").unwrap();
    let s = Served {
        child,
        ip: "127.0.0.1".into(),
        port: port.parse().unwrap(),
        token: token.to_string(),
        err: None,
    };
    let assets = s.get("/api/assets").json();
    assert!(assets.as_array().unwrap().len() >= 5);
    // Without a password there is nothing to serve: the usual exit 3, before any socket.
    unback()
        .arg("serve")
        .arg(sample_encrypted())
        .args(["--no-open"])
        .assert()
        .code(3);
}

/// Two builder backups in one folder, the second encrypted with `password`; each holds a
/// Photos library of `n` JPEGs. Returns the folder.
fn two_backups(dir: &Path, password: &str, n: usize) -> std::path::PathBuf {
    use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
    use unback::builder::{BackupBuilder, Encryption, FileSpec, COCOA_EPOCH_OFFSET};
    let root = dir.join("Backup");
    std::fs::create_dir_all(&root).unwrap();
    let jpg = std::fs::read(common::root().join("fixtures/media/photo_0001.jpg")).unwrap();
    for (udid, name, enc) in [
        ("00008110-0000AAAA0000AAAA", "Anna's iPhone", None),
        (
            "00008110-0000BBBB0000BBBB",
            "Work iPhone",
            Some(Encryption::new(password, 10, 10)),
        ),
    ] {
        let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
        let mut b = BackupBuilder::new(udid);
        b.device_name = name.into();
        for k in 0..n {
            let file = format!("IMG_{k:04}.JPG");
            let t = 1_700_000_000 + k as i64 * 86_400;
            let uuid = format!("{:08X}-0000-4000-8000-{k:012X}", udid.len() + k);
            db.assets.push(PhotoAsset::photo(
                &uuid,
                "DCIM/100APPLE",
                &file,
                t as f64 - COCOA_EPOCH_OFFSET,
            ));
            let mut bytes = jpg.clone();
            bytes.extend_from_slice(format!("{udid}{k}").as_bytes());
            b.files.push(
                FileSpec::file(
                    "CameraRollDomain",
                    &format!("Media/DCIM/100APPLE/{file}"),
                    bytes,
                )
                .with_times(t, t, t),
            );
        }
        b.files.push(FileSpec::file(
            "CameraRollDomain",
            "Media/PhotoData/Photos.sqlite",
            db.to_bytes().unwrap(),
        ));
        b.add_parents();
        b.encryption = enc;
        b.write(&root).unwrap();
    }
    root
}

impl Served {
    fn post(&self, path: &str, body: &Value) -> Resp {
        let (h, c) = (self.host(), self.cookie());
        let origin = format!("http://{h}");
        raw(
            self.port,
            "POST",
            path,
            &[
                ("Host", &h),
                ("Cookie", &c),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }
}

#[test]
fn without_backup_the_page_lists_the_backups_and_takes_the_password() {
    let tmp = tempfile::tempdir().unwrap();
    let pw = "correct horse battery";
    let root = two_backups(tmp.path(), pw, 3);
    let before = fingerprint(&root);
    let root_s = root.to_string_lossy().into_owned();
    let (s, err) = serve_with(None, &["--root", &root_s]);
    assert!(err.contains("2 backup(s) found"), "{err}");
    let info = s.get("/api/info").json();
    assert_eq!(info["choose"], true);
    assert_eq!(s.get("/api/assets").status, 409, "nothing open yet");
    assert_eq!(s.get("/").status, 200, "the page itself is there");
    let list = s.get("/api/backups").json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let by_name = |n: &str| {
        list.iter()
            .find(|b| b["device_name"] == n)
            .unwrap_or_else(|| panic!("{n} in {list:?}"))
    };
    let (plain, enc) = (by_name("Anna's iPhone"), by_name("Work iPhone"));
    assert_eq!(plain["encrypted"], false);
    assert_eq!(enc["encrypted"], true);
    for b in [plain, enc] {
        assert!(b["size"].as_u64().unwrap() > 1000, "{b}");
        assert!(
            b["ios_version"].is_string() && b["product_type"].is_string(),
            "{b}"
        );
        assert!(b["date"].is_string(), "{b}");
    }
    // The encrypted one: no password, then a wrong one, are refused with a clear message.
    let id = enc["id"].clone();
    let r = s.post("/api/open", &serde_json::json!({"id": id}));
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["password"], true);
    assert!(r.json()["error"].as_str().unwrap().contains("encrypted"));
    let r = s.post(
        "/api/open",
        &serde_json::json!({"id": id, "password": "wrong guess"}),
    );
    assert_eq!(r.status, 401);
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(msg.contains("wrong password"), "{msg}");
    assert!(!msg.contains("wrong guess"), "the password is never echoed");
    assert_eq!(s.get("/api/assets").status, 409);
    // A POST that fails the Origin check never reaches the password.
    let (h, c) = (s.host(), s.cookie());
    let body = serde_json::json!({"id": id, "password": pw}).to_string();
    let r = raw(
        s.port,
        "POST",
        "/api/open",
        &[
            ("Host", &h),
            ("Cookie", &c),
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 403);
    // The right password: the backup opens and the page's API serves its photos.
    let r = s.post("/api/open", &serde_json::json!({"id": id, "password": pw}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let info = s.get("/api/info").json();
    assert_eq!(info["device_name"], "Work iPhone");
    assert_eq!(info["encrypted"], true);
    assert_eq!(s.get("/api/assets").json().as_array().unwrap().len(), 3);
    // Back to the list: the library is dropped (nothing served until the next choice), the
    // other backup opens, and the encrypted one needs its password again.
    let r = s.post("/api/close", &serde_json::json!({}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.get("/api/info").json()["choose"], true);
    assert_eq!(s.get("/api/assets").status, 409);
    let r = s.post("/api/open", &serde_json::json!({"id": plain["id"]}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let info = s.get("/api/info").json();
    assert_eq!(info["device_name"], "Anna's iPhone");
    assert_eq!(info["switch"], true, "the page offers the way back");
    assert_eq!(s.get("/api/assets").json().as_array().unwrap().len(), 3);
    // Opening straight from an open backup replaces it too.
    let r = s.post("/api/open", &serde_json::json!({"id": id}));
    assert_eq!(r.status, 401, "the password again");
    assert_eq!(s.get("/api/assets").status, 409, "the first one is dropped");
    let r = s.post("/api/open", &serde_json::json!({"id": id, "password": pw}));
    assert_eq!(r.status, 200);
    assert_eq!(s.get("/api/info").json()["device_name"], "Work iPhone");
    let log = std::fs::read_to_string(s.err.as_ref().unwrap().path()).unwrap();
    assert!(
        !log.contains(pw) && !log.contains("wrong guess"),
        "never logged: {log}"
    );
    drop(s);
    assert_eq!(fingerprint(&root), before, "the backups are unchanged");
}

/// Started with BACKUP there is no list to go back to: the chooser's routes do not exist.
#[test]
fn with_backup_there_is_no_switching() {
    let s = serve(&sample());
    assert_eq!(s.get("/api/info").json()["switch"], false);
    assert_eq!(s.post("/api/close", &serde_json::json!({})).status, 404);
    assert_eq!(s.get("/api/backups").status, 404);
    assert_eq!(s.get("/api/assets").status, 200, "still open");
}

/// A zip archive of backups in the chooser: each is listed with the archive's size on disk,
/// marked as such (the page says it is compressed), and opens like a folder.
#[test]
fn zip_backups_are_listed_with_the_archive_size() {
    let tmp = tempfile::tempdir().unwrap();
    let root = two_backups(tmp.path(), "pw", 4);
    let archive = tmp.path().join("backups.zip");
    zip_dir(&root, &archive);
    let size = std::fs::metadata(&archive).unwrap().len();
    let a = archive.to_string_lossy().into_owned();
    let (s, _) = serve_with(None, &["--root", &a]);
    let list = s.get("/api/backups").json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    for b in list {
        assert_eq!(b["size"], size, "{b}");
        assert_eq!(b["size_of"], "archive", "{b}");
    }
    let plain = list
        .iter()
        .find(|b| b["device_name"] == "Anna's iPhone")
        .unwrap();
    let r = s.post("/api/open", &serde_json::json!({"id": plain["id"]}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(s.get("/api/assets").json().as_array().unwrap().len(), 4);
    drop(s);
    // A folder's size is its files' bytes, marked as a folder's.
    let r = root.to_string_lossy().into_owned();
    let (s, _) = serve_with(None, &["--root", &r]);
    for b in s.get("/api/backups").json().as_array().unwrap() {
        assert_eq!(b["size_of"], "folder", "{b}");
        let dir = std::path::PathBuf::from(b["path"].as_str().unwrap());
        let want: u64 = file_hashes(&dir)
            .keys()
            .map(|p| std::fs::metadata(dir.join(p)).unwrap().len())
            .sum();
        assert_eq!(b["size"], want, "{b}");
    }
}

/// Every file under `dir`, deflated, as `archive`, with paths relative to `dir`'s parent'
/// children (so each backup folder is a prefix inside it).
fn zip_dir(dir: &Path, archive: &Path) {
    use zip::write::SimpleFileOptions;
    fn walk(base: &Path, d: &Path, w: &mut zip::ZipWriter<std::fs::File>) {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for p in v {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                w.add_directory(format!("{rel}/"), o).unwrap();
                walk(base, &p, w);
            } else {
                w.start_file(rel, o).unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    let mut w = zip::ZipWriter::new(std::fs::File::create(archive).unwrap());
    walk(dir, dir, &mut w);
    w.finish().unwrap();
}

/// `unback serve BACKUP` with `UNBACK_PASSWORD` set when given.
fn serve_pw(backup: &Path, password: Option<&str>) -> Served {
    let mut c = Command::new(env!("CARGO_BIN_EXE_unback"));
    c.arg("serve")
        .arg(backup)
        .args(["--port", "0", "--no-open"])
        .env_remove("UNBACK_PASSWORD")
        .env_remove("UNBACK_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(p) = password {
        c.env("UNBACK_PASSWORD", p);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let rest = line.trim().strip_prefix("http://127.0.0.1:").unwrap();
    let (port, token) = rest.split_once("/?token=").unwrap();
    Served {
        child,
        ip: "127.0.0.1".into(),
        port: port.parse().unwrap(),
        token: token.to_string(),
        err: None,
    }
}

/// The sample's video (fixtures/media/video.mov, 2,718 bytes, its movie atom at the end as
/// ffmpeg writes it) by byte ranges, from a plain folder (a seek), the encrypted copy
/// (decrypted on the way) and a deflated zip of each (inflated on the way): exact bytes of
/// each range, 206 with Content-Range, 416 beyond the end, and the token and Host checks.
#[test]
fn videos_stream_by_byte_ranges_from_every_kind_of_backup() {
    let video = std::fs::read(root().join("fixtures/media/video.mov")).unwrap();
    let len = video.len();
    assert_eq!(len, 2718);
    let u = "5A1E0004-3C7F-4000-8000-A00B1E5A0004";
    let tmp = tempfile::tempdir().unwrap();
    let (zplain, zenc) = (tmp.path().join("plain.zip"), tmp.path().join("enc.zip"));
    for (from, to) in [(sample(), &zplain), (sample_encrypted(), &zenc)] {
        let parent = tmp.path().join(to.file_stem().unwrap());
        copy_dir(&from, &parent.join(UDID));
        zip_dir(&parent, to);
    }
    for (what, backup, pw) in [
        ("plain folder", sample(), None),
        (
            "encrypted folder",
            sample_encrypted(),
            Some(SAMPLE_PASSWORD),
        ),
        ("zip", zplain.clone(), None),
        ("encrypted zip", zenc.clone(), Some(SAMPLE_PASSWORD)),
    ] {
        let s = serve_pw(&backup, pw);
        let (h, c) = (s.host(), s.cookie());
        let ranged = |path: &str, range: &str| {
            raw(
                s.port,
                "GET",
                path,
                &[("Host", &h), ("Cookie", &c), ("Range", range)],
                b"",
            )
        };
        for path in [
            format!("/media/{u}/original"),
            format!("/file/{u}/original"),
        ] {
            for (range, start, end) in [
                ("bytes=0-", 0, len - 1),
                ("bytes=100-199", 100, 199),
                ("bytes=2700-9999", 2700, len - 1),
                ("bytes=-38", len - 38, len - 1),
                ("bytes=1780-", 1780, len - 1),
                ("bytes=5-5", 5, 5),
            ] {
                let r = ranged(&path, range);
                assert_eq!(r.status, 206, "{what} {path} {range}");
                assert_eq!(r.body, &video[start..=end], "{what} {path} {range}");
                assert_eq!(
                    r.header("Content-Range"),
                    Some(format!("bytes {start}-{end}/{len}").as_str()),
                    "{what} {range}"
                );
                assert_eq!(
                    r.header("Content-Length"),
                    Some((end - start + 1).to_string().as_str())
                );
                assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
            }
            for range in ["bytes=2718-", "bytes=3000-4000", "bytes=9-2", "bytes=x-"] {
                let r = ranged(&path, range);
                assert_eq!(r.status, 416, "{what} {path} {range}");
                assert_eq!(
                    r.header("Content-Range"),
                    Some(format!("bytes */{len}").as_str())
                );
            }
            // No range: the whole file.
            let r = s.get(&path);
            assert_eq!(r.status, 200, "{what} {path}");
            assert_eq!(r.body, video, "{what} {path}");
            assert_eq!(r.header("Accept-Ranges"), Some("bytes"));
            // The token and the Host header are checked before any range is read.
            let r = raw(
                s.port,
                "GET",
                &path,
                &[("Host", &h), ("Range", "bytes=0-9")],
                b"",
            );
            assert_eq!(r.status, 403, "{what}: no token");
            let evil = format!("evil.example:{}", s.port);
            let r = raw(
                s.port,
                "GET",
                &path,
                &[("Host", &evil), ("Cookie", &c), ("Range", "bytes=0-9")],
                b"",
            );
            assert_eq!(r.status, 421, "{what}: a foreign Host");
        }
        let m = s.get(&format!("/media/{u}/original"));
        assert_eq!(m.header("Content-Type"), Some("video/quicktime"));
        assert!(m
            .header("Content-Disposition")
            .unwrap()
            .starts_with("inline"));
        let f = s.get(&format!("/file/{u}/original"));
        assert!(f
            .header("Content-Disposition")
            .unwrap()
            .starts_with("attachment"));
        // A photo is no video: the page's player is not for it.
        let photo = "5A1E0001-3C7F-4000-8000-A00B1E5A0001";
        assert_eq!(s.get(&format!("/media/{photo}/original")).status, 415);
        assert_eq!(s.get(&format!("/media/{u}/edited")).status, 404);
    }
}

/// `GET /api/head?n=N`, the page's first screenful: the newest N camera-roll records of
/// `/api/assets`, newest first, byte for byte the same objects, and the roll's size.
#[test]
fn the_first_screenful_is_the_newest_of_the_camera_roll() {
    let s = serve(&sample());
    let assets = s.get("/api/assets").json();
    let mut roll: Vec<Value> = assets
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["camera_roll"] == true)
        .cloned()
        .collect();
    roll.reverse();
    assert_eq!(roll.len(), ls_json(&[]).len());
    for (n, want) in [("2", 2), ("1", 1), ("0", 1), ("100000", roll.len())] {
        let h = s.get(&format!("/api/head?n={n}")).json();
        assert_eq!(h["total"], roll.len(), "n={n}");
        assert_eq!(h["assets"].as_array().unwrap(), &roll[..want], "n={n}");
    }
    let h = s.get("/api/head?n=lots").json();
    assert_eq!(
        h["assets"].as_array().unwrap(),
        &roll[..],
        "a bad n: the default 200"
    );
    // With it, what /api/info says: the page's first paint is one request.
    let h = s.get("/api/head?n=1").json();
    assert_eq!(h["info"], s.get("/api/info").json());
    // Before a backup is chosen: that the page is to show the list.
    let tmp = tempfile::tempdir().unwrap();
    let root = two_backups(tmp.path(), "pw", 2);
    let r = root.to_string_lossy().into_owned();
    let (c, _) = serve_with(None, &["--root", &r]);
    let h = c.get("/api/head?n=10").json();
    assert_eq!(h, serde_json::json!({"choose": true, "backups": 2}));
}
