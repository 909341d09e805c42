//! `OUT/index.html`: every recovered item with a thumbnail (for the image types a browser can
//! show) and its provenance. One self-contained file with no script at all and nothing from the
//! network, so it opens offline and leaks nothing about the case.

use super::run::{Item, RecoveryReport};
use crate::media::MediaType;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A relative URL for a path under OUT: each segment percent-encoded.
pub fn href(rel: &str) -> String {
    rel.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn browser_shows(t: Option<MediaType>, output: &str) -> bool {
    match t {
        Some(t) => matches!(
            t,
            MediaType::Jpeg | MediaType::Png | MediaType::Gif | MediaType::Webp | MediaType::Bmp
        ),
        None => {
            let l = output.to_ascii_lowercase();
            [".jpg", ".jpeg", ".png", ".gif", ".webp"]
                .iter()
                .any(|x| l.ends_with(x))
        }
    }
}

fn card(i: &Item) -> String {
    let mut s = String::from("<div class=\"card\">");
    match &i.output {
        Some(o) if browser_shows(i.media_type, o) => {
            s.push_str(&format!(
                "<a href=\"{0}\"><img class=\"thumb\" src=\"{0}\" alt=\"{1}\"></a>",
                href(o),
                esc(o)
            ));
        }
        Some(o) => s.push_str(&format!(
            "<a class=\"nothumb\" href=\"{}\">{} (no preview in a browser)</a>",
            href(o),
            esc(&i
                .media_type
                .map(|t| t.extension().to_string())
                .unwrap_or_else(|| "file".into()))
        )),
        None => s.push_str("<div class=\"nothumb\">no bytes in the backup</div>"),
    }
    s.push_str("<table>");
    let mut row =
        |k: &str, v: String| s.push_str(&format!("<tr><th>{k}</th><td>{}</td></tr>", esc(&v)));
    row("kind", i.kind.to_string());
    row("method", i.method.clone());
    if let Some(o) = &i.output {
        row("output", o.clone());
    }
    if let Some(p) = &i.source {
        row("source", format!("{}/{}", p.domain, p.relative_path));
        row("fileID", p.file_id.clone());
        row("bytes", format!("offset {}, length {}", p.offset, p.length));
    }
    if let Some(h) = &i.sha256 {
        row("SHA-256", h.clone());
    }
    if let Some(obj) = i.details.as_object() {
        for (k, v) in obj {
            if v.is_null() || k == "values" || k == "linked_files" {
                continue;
            }
            row(
                k,
                match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            );
        }
    }
    s.push_str("</table></div>\n");
    s
}

pub fn page(r: &RecoveryReport) -> String {
    let counts = r
        .counts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let mut body = String::new();
    for i in &r.items {
        body.push_str(&card(i));
    }
    let notes: String = r
        .notes
        .iter()
        .map(|n| format!("<li>{}</li>", esc(n)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<title>unback recovery: {backup}</title>\n<style>{STYLE}</style></head>\n<body>\n\
<h1>Recovered from {backup}</h1>\n<p>{counts}</p>\n<ul>{notes}</ul>\n\
<div class=\"grid\">\n{body}</div>\n</body></html>\n",
        csp = csp(),
        backup = esc(&r.backup),
    )
}

/// The page's only style sheet. Its hash, not `'unsafe-inline'`, lets it through the CSP, so no
/// style injected with a recovered name could apply; the page itself has no script at all.
const STYLE: &str = "
body{font-family:sans-serif;margin:1em;background:#fafafa}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #ccc;padding:8px;width:320px;font-size:12px;overflow-wrap:anywhere}
.thumb{max-width:300px;max-height:220px;display:block;margin:auto}
.nothumb{display:block;height:60px;color:#666}
th{text-align:left;vertical-align:top;padding-right:6px;color:#555}
";

/// Nothing from the network and no script: images from the page's own folder, the one style
/// sheet above. (`file:` too: not every browser lets `'self'` match a page opened from disk.)
fn csp() -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; img-src 'self' file:; style-src 'sha256-{hash}'; \
         base-uri 'none'; form-action 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_are_encoded_per_segment() {
        assert_eq!(href("carved/a b#1.jpg"), "carved/a%20b%231.jpg");
        assert_eq!(href("previews/Été.JPG"), "previews/%C3%89t%C3%A9.JPG");
    }

    #[test]
    fn page_has_no_script_and_a_strict_policy() {
        let r = RecoveryReport {
            backup: "<b>'x'".into(),
            ..Default::default()
        };
        let p = page(&r);
        assert!(!p.to_ascii_lowercase().contains("<script"), "{p}");
        assert!(!p.contains("unsafe-"), "{p}");
        assert!(
            !p.contains(" style="),
            "inline style attributes are blocked by the CSP"
        );
        assert!(p.contains("content=\"default-src 'none'; "), "{p}");
        assert!(p.contains("<title>unback recovery: &lt;b&gt;&#39;x&#39;</title>"));
        // The policy's hash must cover the style element's exact text; that the browser agrees
        // is checked by tests/html_browser.rs (the cards get their width only if it does).
        assert!(p.contains(&format!("<style>{STYLE}</style>")));
        assert!(p.contains("style-src 'sha256-"));
    }
}
