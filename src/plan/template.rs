//! `--folder-template` and `--name-template`: folders and names built from an asset's fields.
//!
//! A template is text with `{token}`s. Only `/` in the template's own text separates folders;
//! every value a token gives comes from the backup (a title, an album name, a file name) and is
//! made one portable component, so a value holding `../`, `/` or `\` can never leave OUT or add
//! a level. The `--layout` values are named templates (`date` = `{year}/{month}`, `album` =
//! `{album}`, `category` = `{category}`, `flat` = none).

use std::path::PathBuf;

use crate::photos::files::{extension, stem};
use crate::photos::library::PhotoLibrary;
use crate::safepath::safe_component;

/// The tokens, as documented in the README.
pub const TOKENS: &[&str] = &[
    "year",
    "month",
    "day",
    "date:FORMAT",
    "album",
    "category",
    "kind",
    "original_name",
    "original_stem",
    "ext",
    "device_name",
    "uuid",
    "person",
    "place.city",
    "place.country",
    "camera",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Year,
    Month,
    Day,
    /// `{date:%Y-%m-%d}`: `%Y %m %d %H %M %S %%` of the local capture time.
    Date(String),
    Album,
    Category,
    Kind,
    OriginalName,
    OriginalStem,
    Ext,
    DeviceName,
    Uuid,
    /// The named people in the photo, joined with ", "; `No person` when none.
    Person,
    PlaceCity,
    PlaceCountry,
    /// Make and model; `Unknown camera` when the library records neither.
    Camera,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What the template needs beyond the library: the device's name (from the backup).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub device_name: String,
}

impl Template {
    /// Parses `text`; an unknown token, an unclosed brace, or template text that would climb
    /// out of OUT (`..`, a leading `/`) is an error naming it.
    pub fn parse(text: &str) -> Result<Template, String> {
        let bad = |why: String| format!("template {text:?}: {why}");
        if text.starts_with('/') || text.starts_with('\\') {
            return Err(bad("it must be relative to the output folder".into()));
        }
        if text.split(['/', '\\']).any(|c| c.trim() == "..") {
            return Err(bad("'..' would leave the output folder".into()));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| bad("a '{' is not closed".into()))?;
            let token = &after[..close];
            parts.push(match token {
                "year" => Part::Year,
                "month" => Part::Month,
                "day" => Part::Day,
                "album" => Part::Album,
                "category" => Part::Category,
                "kind" => Part::Kind,
                "original_name" => Part::OriginalName,
                "original_stem" => Part::OriginalStem,
                "ext" => Part::Ext,
                "device_name" => Part::DeviceName,
                "uuid" => Part::Uuid,
                "person" => Part::Person,
                "place.city" => Part::PlaceCity,
                "place.country" => Part::PlaceCountry,
                "camera" => Part::Camera,
                t if t.starts_with("date:") => Part::Date(t["date:".len()..].to_string()),
                t => {
                    return Err(bad(format!(
                        "unknown token {{{t}}}; the tokens are {}",
                        TOKENS
                            .iter()
                            .map(|t| format!("{{{t}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )))
                }
            });
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(bad("a '}' has no '{'".into()));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// No folders at all.
    pub fn flat() -> Template {
        Template { parts: Vec::new() }
    }

    pub fn uses_album(&self) -> bool {
        self.parts.contains(&Part::Album)
    }

    /// The folders of asset `i` (one per album when the template has `{album}`), each a path of
    /// portable components.
    pub fn folders(&self, lib: &PhotoLibrary, i: usize, cx: &Context) -> Vec<PathBuf> {
        let albums: Vec<Option<usize>> = if self.uses_album() {
            match lib.assets[i].albums.as_slice() {
                [] => vec![None],
                al => al.iter().copied().map(Some).collect(),
            }
        } else {
            vec![None]
        };
        albums
            .into_iter()
            .map(|al| {
                let text = self.render(lib, i, al, cx);
                text.split('/')
                    .filter(|c| !c.is_empty())
                    .map(component)
                    .collect()
            })
            .collect()
    }

    /// A file name stem for asset `i`, one portable component (`None` when it renders empty).
    pub fn stem(&self, lib: &PhotoLibrary, i: usize, cx: &Context) -> Option<String> {
        let text = self.render(lib, i, None, cx);
        let text = text.trim();
        (!text.is_empty()).then(|| component(&text.replace('/', "_")))
    }

    fn render(&self, lib: &PhotoLibrary, i: usize, album: Option<usize>, cx: &Context) -> String {
        let a = &lib.assets[i];
        let local = a.created.map(|t| {
            let s = t.secs + i64::from(a.tz_offset.unwrap_or(0));
            let (y, m, d) = crate::time::civil_from_days(s.div_euclid(86_400));
            let sod = s.rem_euclid(86_400);
            (y, m, d, sod / 3600, sod / 60 % 60, sod % 60)
        });
        let original = a
            .original_filename
            .clone()
            .unwrap_or_else(|| a.device_name().to_string());
        let mut out = String::new();
        for p in &self.parts {
            // Every value is the backup's text: one component, whatever it holds.
            let value = |v: &str| v.replace(['/', '\\'], "_");
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Year => {
                    out.push_str(&local.map_or("Undated".into(), |l| format!("{:04}", l.0)))
                }
                Part::Month => {
                    out.push_str(&local.map_or(String::new(), |l| format!("{:02}", l.1)))
                }
                Part::Day => out.push_str(&local.map_or(String::new(), |l| format!("{:02}", l.2))),
                Part::Date(f) => match local {
                    None => out.push_str("Undated"),
                    Some((y, mo, d, h, mi, s)) => {
                        let mut chars = f.chars();
                        while let Some(c) = chars.next() {
                            if c != '%' {
                                out.push_str(&value(&c.to_string()));
                                continue;
                            }
                            match chars.next() {
                                Some('Y') => out.push_str(&format!("{y:04}")),
                                Some('m') => out.push_str(&format!("{mo:02}")),
                                Some('d') => out.push_str(&format!("{d:02}")),
                                Some('H') => out.push_str(&format!("{h:02}")),
                                Some('M') => out.push_str(&format!("{mi:02}")),
                                Some('S') => out.push_str(&format!("{s:02}")),
                                Some('%') => out.push('%'),
                                Some(other) => {
                                    out.push('%');
                                    out.push_str(&value(&other.to_string()));
                                }
                                None => out.push('%'),
                            }
                        }
                    }
                },
                Part::Album => match album {
                    // The album's folder path: its own levels are the library's, each one
                    // component.
                    Some(al) => {
                        let path: Vec<String> = lib.albums[al]
                            .path
                            .iter()
                            .map(|part| component(&value(part)))
                            .collect();
                        out.push_str(&path.join("/"));
                    }
                    None => out.push_str("Not in an album"),
                },
                Part::Category => out.push_str(lib.categories[i].primary().name()),
                Part::Kind => out.push_str(match a.kind {
                    crate::photos::MediaKind::Video => "video",
                    _ => "photo",
                }),
                Part::OriginalName => out.push_str(&value(&original)),
                Part::OriginalStem => out.push_str(&value(stem(&original))),
                Part::Ext => out.push_str(&value(extension(&original).unwrap_or(""))),
                Part::DeviceName => out.push_str(&value(&cx.device_name)),
                Part::Uuid => out.push_str(&value(&a.uuid)),
                Part::Person => out.push_str(&if a.people.is_empty() {
                    "No person".to_string()
                } else {
                    value(&a.people.join(", "))
                }),
                Part::PlaceCity => out.push_str(
                    &a.place
                        .as_ref()
                        .and_then(|p| p.city.as_deref())
                        .map_or("Unknown place".into(), value),
                ),
                Part::PlaceCountry => out.push_str(
                    &a.place
                        .as_ref()
                        .and_then(|p| p.country.as_deref())
                        .map_or("Unknown place".into(), value),
                ),
                Part::Camera => {
                    let c = a.camera.as_ref();
                    let parts: Vec<&str> = [
                        c.and_then(|c| c.make.as_deref()),
                        c.and_then(|c| c.model.as_deref()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    out.push_str(&if parts.is_empty() {
                        "Unknown camera".to_string()
                    } else {
                        value(&parts.join(" "))
                    });
                }
            }
        }
        out
    }
}

/// One portable component: what `safe_component` makes of it, `_` for what it refuses (`..`).
fn component(raw: &str) -> String {
    safe_component(raw, raw).unwrap_or_else(|_| "_".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_what_leaves_out_and_unknown_tokens() {
        assert!(Template::parse("{year}/{month}").is_ok());
        for bad in [
            "/abs/{year}",
            "../{year}",
            "a/../b",
            "{nope}",
            "{year",
            "year}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        let e = Template::parse("{persons}").unwrap_err();
        assert!(e.contains("unknown token {persons}"), "{e}");
        assert!(Template::parse("{person}/{place.city}/{camera}").is_ok());
    }
}
