//! The recovery page in a real headless browser (Debian's chromium): it renders offline, under
//! its own strict Content-Security-Policy, every thumbnail decodes and its one style sheet
//! applies. Without chromium the test fails under CI (`.ci/run` installs it) and says it skipped
//! elsewhere.
//!
//! The page has no script, so the test brings its own: a wrapper page in a temporary folder
//! loads the recovery page in an iframe and, once everything has loaded, writes what it found
//! into its own DOM, which `--dump-dom` prints. The iframe keeps the page's CSP in force for
//! the page; `--allow-file-access-from-files` is what lets one file:// page read another's DOM.

mod common;

use std::path::Path;

use common::*;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Reads the framed page after the window's load event (which waits for the iframe and its
/// images) and reports in `<pre id="report">` as JSON; any exception is reported too, so a
/// page that cannot be read fails the test rather than passing it.
const WRAPPER: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>wrapper</title></head><body>
<iframe id="page" src="PAGE_URL" style="width:1280px;height:1024px"></iframe>
<script>
window.addEventListener('load', function () {
  var r = {};
  try {
    var d = document.getElementById('page').contentDocument;
    var imgs = Array.prototype.slice.call(d.images);
    var card = d.querySelector('.card');
    r = {
      title: d.title,
      scripts: d.scripts.length,
      images: imgs.length,
      decoded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return i.getAttribute('src'); }),
      card_width: card ? d.defaultView.getComputedStyle(card).width : null,
      text: d.body.innerText
    };
  } catch (e) {
    r = { error: String(e) };
  }
  var pre = document.createElement('pre');
  pre.id = 'report';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
</script>
</body></html>
"#;

/// The text of `<pre id="report">` in a serialised DOM, entity-decoded and parsed.
fn report(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"report\">")
        .unwrap_or_else(|| panic!("no report in the dumped DOM:\n{dom}"))
        + "<pre id=\"report\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn file_url(p: &Path) -> String {
    format!(
        "file://{}",
        unback::recover::html::href(&p.to_string_lossy())
    )
}

#[test]
fn recovery_page_renders_and_every_thumbnail_loads() {
    let Some(browser) = chromium() else {
        cannot_run("chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    unback()
        .arg("recover")
        .arg(sample())
        .arg(&out)
        .assert()
        .success();
    let wrapper = dir.path().join("wrapper.html");
    std::fs::write(
        &wrapper,
        WRAPPER.replace("PAGE_URL", &file_url(&out.join("index.html"))),
    )
    .unwrap();
    let profile = dir.path().join("profile");
    // No network: the flags keep Chromium's own background traffic off as well.
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--allow-file-access-from-files",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("--dump-dom".into());
    args.push(file_url(&wrapper));
    let o = headless_chromium(browser, &args);
    let dom = String::from_utf8_lossy(&o.stdout);
    let r = report(&dom);
    assert!(r.get("error").is_none(), "{r}");
    assert!(
        r["title"]
            .as_str()
            .unwrap()
            .starts_with("unback recovery: "),
        "{r}"
    );
    assert_eq!(r["scripts"], 0, "{r}");
    // The sample yields a recently deleted JPEG and a preview: two thumbnails, both decoded
    // (which also proves the CSP's img-src lets the page's own files in).
    assert_eq!(r["images"], 2, "{r}");
    assert_eq!(r["decoded"], 2, "broken: {}", r["broken"]);
    // 320px comes only from the style sheet: a CSP hash that does not match it leaves the cards
    // at their default width.
    assert_eq!(r["card_width"], "320px", "{r}");
    assert!(
        r["text"]
            .as_str()
            .unwrap()
            .contains("Recently Deleted (ZTRASHEDSTATE = 1)"),
        "{r}"
    );
}
