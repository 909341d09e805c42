//! The checks every request passes before any route sees it, and the headers every reply
//! carries. Each refusal is a plain status with a one-line reason; none says what a right
//! token would look like.

use super::api::Reply;
use crate::error::{Error, Result};

/// 128 random bits, in hex: what the printed URL carries and the cookie holds.
pub struct Token(String);

impl Token {
    pub fn new() -> Result<Token> {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b)
            .map_err(|e| Error::Other(format!("no random numbers for the server token: {e}")))?;
        Ok(Token(hex::encode(b)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares without stopping at the first differing byte, so response times say nothing
    /// about how much of a guess was right.
    fn matches(&self, guess: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), guess.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

pub struct Context<'a> {
    pub port: u16,
    pub token: &'a Token,
    /// The `Host` values this server answers to: `127.0.0.1:PORT`, `localhost:PORT`,
    /// `[::1]:PORT`, and with `--listen ADDR` that address too.
    pub hosts: &'a [String],
    /// Listening on every address (`--listen 0.0.0.0`): any IP-literal `Host` is accepted,
    /// since the machine's addresses are not known here. A literal cannot be DNS rebinding:
    /// the page that sends it has that address as its origin, not the attacker's name.
    pub any_ip: bool,
}

/// The `Host` names of a server on the loopback interface at `port`.
pub fn loopback_hosts(port: u16) -> Vec<String> {
    vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ]
}

/// `ADDR:PORT` as a `Host` header writes it (an IPv6 address in brackets).
pub fn host_of(addr: std::net::IpAddr, port: u16) -> String {
    std::net::SocketAddr::new(addr, port).to_string()
}

impl Context<'_> {
    pub fn cookie_name(&self) -> String {
        format!("unback_{}", self.port)
    }

    /// The Set-Cookie header. HttpOnly: no script reads it (an injected one included);
    /// SameSite=Strict: no other site makes the browser send it. Named by port, since cookies
    /// ignore ports and a second `unback serve` must not replace the first one's.
    pub fn cookie(&self) -> (String, String) {
        (
            "Set-Cookie".into(),
            format!(
                "{}={}; Path=/; HttpOnly; SameSite=Strict",
                self.cookie_name(),
                self.token.0
            ),
        )
    }

    /// The only names this server answers to. A page on another site whose DNS name is made to
    /// point at 127.0.0.1 (DNS rebinding) sends its own name here, and is refused.
    fn host_ok(&self, host: &str) -> bool {
        if self.hosts.iter().any(|h| h == host) {
            return true;
        }
        self.any_ip
            && host
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|a| a.port() == self.port)
    }

    fn origin_ok(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|h| self.host_ok(h))
    }
}

/// What passed: whether the token came in the query, so the reply sets the cookie.
pub struct Pass {
    pub set_cookie: bool,
}

fn header<'r>(req: &'r tiny_http::Request, name: &'static str) -> Vec<&'r str> {
    req.headers()
        .iter()
        .filter(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
        .collect()
}

/// The value of `name` in a query string, undecoded: a token is hex and needs no decoding.
pub fn query_param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

pub fn check(ctx: &Context<'_>, req: &tiny_http::Request) -> std::result::Result<Pass, Reply> {
    // Exactly one Host, naming this server; checked before the token so a rebinding page
    // learns nothing, not even whether it guessed the token.
    match header(req, "Host").as_slice() {
        [h] if ctx.host_ok(h) => {}
        _ => {
            return Err(Reply::text(
                421,
                "refused: the Host header must be 127.0.0.1:PORT, [::1]:PORT or localhost:PORT",
            ))
        }
    }
    let from_query = query_param(req.url(), "token").is_some_and(|t| ctx.token.matches(t));
    let name = ctx.cookie_name();
    let from_cookie = header(req, "Cookie").iter().any(|c| {
        c.split(';').any(|kv| {
            kv.trim()
                .split_once('=')
                .is_some_and(|(k, v)| k == name && ctx.token.matches(v))
        })
    });
    if !from_query && !from_cookie {
        return Err(Reply::text(
            403,
            "forbidden: open the address unback serve printed (it carries the access token)",
        ));
    }
    match req.method() {
        tiny_http::Method::Get | tiny_http::Method::Head => {}
        tiny_http::Method::Post => {
            // A browser always sends Origin with a POST; a page of another origin cannot forge
            // it. No Origin at all is refused too: only this server's page has reason to POST.
            match header(req, "Origin").as_slice() {
                [o] if ctx.origin_ok(o) => {}
                _ => return Err(Reply::text(
                    403,
                    "forbidden: a request that changes something must come from this page (Origin)",
                )),
            }
        }
        _ => return Err(Reply::text(405, "method not allowed")),
    }
    Ok(Pass {
        set_cookie: from_query,
    })
}

/// On every reply. The policy allows this server's own script, style, images (and blob:
/// images) and media (the detail view's `<video>`) and nothing else: no inline script, no
/// other origin, no framing, no form posts.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn common_headers() -> [(&'static str, &'static str); 5] {
    [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(token: &'a Token, hosts: &'a [String], any_ip: bool) -> Context<'a> {
        Context {
            port: 8080,
            token,
            hosts,
            any_ip,
        }
    }

    #[test]
    fn hosts_on_the_loopback_interface() {
        let t = Token::new().unwrap();
        let hosts = loopback_hosts(8080);
        let c = ctx(&t, &hosts, false);
        for h in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"] {
            assert!(c.host_ok(h), "{h}");
            assert!(c.origin_ok(&format!("http://{h}")), "{h}");
        }
        for h in [
            "[::1]",
            "::1:8080",
            "[::1]:8081",
            "127.0.0.2:8080",
            "evil.example:8080",
            "[::ffff:127.0.0.1]:8080",
        ] {
            assert!(!c.host_ok(h), "{h}");
        }
        assert!(!c.origin_ok("https://127.0.0.1:8080"));
    }

    #[test]
    fn every_address_accepts_ip_literals_only() {
        let t = Token::new().unwrap();
        let hosts = loopback_hosts(8080);
        let c = ctx(&t, &hosts, true);
        for h in ["192.0.2.7:8080", "[2001:db8::1]:8080", "127.0.0.1:8080"] {
            assert!(c.host_ok(h), "{h}");
        }
        for h in [
            "evil.example:8080",
            "192.0.2.7:8081",
            "192.0.2.7",
            "localhost.evil:8080",
        ] {
            assert!(!c.host_ok(h), "{h}");
        }
        assert_eq!(host_of("::1".parse().unwrap(), 80), "[::1]:80");
    }
}
