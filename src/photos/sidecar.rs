//! Metadata a photo manager should see, written beside the file instead of into it (the
//! exported bytes stay exactly the backup's): XMP for digiKam, darktable, Lightroom and
//! exiftool, or JSON.

use serde::Serialize;

use super::library::PhotoLibrary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SidecarKind {
    Xmp,
    Json,
    #[default]
    None,
}

impl SidecarKind {
    pub fn extension(self) -> Option<&'static str> {
        match self {
            SidecarKind::Xmp => Some("xmp"),
            SidecarKind::Json => Some("json"),
            SidecarKind::None => None,
        }
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters outside XML 1.0's `Char` production are dropped: they may not appear
            // even as character references, so no escape exists, and one of them (from a title
            // or album name the backup holds) makes the whole sidecar not well-formed. That is
            // the C0 controls but tab, LF and CR, and U+FFFE / U+FFFF; surrogates cannot occur
            // in a Rust string.
            c if !is_xml_char(c) => {}
            c => o.push(c),
        }
    }
    o
}

/// XML 1.0's `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XMP's GPS coordinate form: degrees, decimal minutes, hemisphere (`48,51.5000N`).
pub fn xmp_coordinate(v: f64, pos: char, neg: char) -> String {
    let hemi = if v < 0.0 { neg } else { pos };
    let a = v.abs();
    let deg = a.trunc();
    let min = (a - deg) * 60.0;
    format!("{},{:.6}{}", deg as i64, min, hemi)
}

pub fn xmp(lib: &PhotoLibrary, asset: usize) -> String {
    let a = &lib.assets[asset];
    let mut attrs = Vec::new();
    if let Some(d) = a.local_date() {
        for k in [
            "xmp:CreateDate",
            "photoshop:DateCreated",
            "exif:DateTimeOriginal",
        ] {
            attrs.push(format!("{k}=\"{d}\""));
        }
    }
    if a.favorite {
        attrs.push("xmp:Rating=\"5\"".to_string());
    }
    if let Some(p) = &a.place {
        for (k, v) in [
            ("photoshop:City", &p.city),
            ("photoshop:State", &p.state),
            ("photoshop:Country", &p.country),
            ("Iptc4xmpCore:CountryCode", &p.country_code),
        ] {
            if let Some(v) = v {
                attrs.push(format!("{k}=\"{}\"", esc(v)));
            }
        }
    }
    if let (Some(lat), Some(lon)) = (a.latitude, a.longitude) {
        attrs.push(format!(
            "exif:GPSLatitude=\"{}\"",
            xmp_coordinate(lat, 'N', 'S')
        ));
        attrs.push(format!(
            "exif:GPSLongitude=\"{}\"",
            xmp_coordinate(lon, 'E', 'W')
        ));
    }
    let mut body = String::new();
    let alt = |tag: &str, v: &str| {
        format!(
            "   <{tag}>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">{}</rdf:li>\n    </rdf:Alt>\n   </{tag}>\n",
            esc(v)
        )
    };
    if let Some(t) = &a.title {
        body.push_str(&alt("dc:title", t));
    }
    if let Some(c) = &a.caption {
        body.push_str(&alt("dc:description", c));
    }
    let bag = |body: &mut String, tag: &str, items: &mut dyn Iterator<Item = &str>| {
        let mut items = items.peekable();
        if items.peek().is_none() {
            return;
        }
        body.push_str(&format!("   <{tag}>\n    <rdf:Bag>\n"));
        for it in items {
            body.push_str(&format!("     <rdf:li>{}</rdf:li>\n", esc(it)));
        }
        body.push_str(&format!("    </rdf:Bag>\n   </{tag}>\n"));
    };
    let albums: Vec<&super::Album> = a.albums.iter().map(|&i| &lib.albums[i]).collect();
    // dc:subject is where every photo manager looks for keywords; album names have been there
    // since the first sidecars, so both go in, keywords first, each once.
    let mut subjects: Vec<&str> = a.keywords.iter().map(String::as_str).collect();
    for al in &albums {
        if !subjects.contains(&al.title.as_str()) {
            subjects.push(&al.title);
        }
    }
    bag(&mut body, "dc:subject", &mut subjects.into_iter());
    bag(
        &mut body,
        "Iptc4xmpExt:PersonInImage",
        &mut a.people.iter().map(String::as_str),
    );
    if !albums.is_empty() {
        body.push_str("   <lr:hierarchicalSubject>\n    <rdf:Bag>\n");
        for al in &albums {
            body.push_str(&format!(
                "     <rdf:li>Albums|{}</rdf:li>\n",
                esc(&al.path.join("|"))
            ));
        }
        body.push_str("    </rdf:Bag>\n   </lr:hierarchicalSubject>\n");
    }
    let attrs = attrs
        .iter()
        .map(|a| format!("\n    {a}"))
        .collect::<String>();
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"unback\">\n\
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
  <rdf:Description rdf:about=\"\"\n\
    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
    xmlns:exif=\"http://ns.adobe.com/exif/1.0/\"\n\
    xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"\n\
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
    xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\"\n\
    xmlns:Iptc4xmpCore=\"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/\"\n\
    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"{attrs}>\n\
{body}  </rdf:Description>\n\
 </rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>\n"
    )
}

#[derive(Serialize)]
struct JsonSidecar<'a> {
    uuid: &'a str,
    original_filename: Option<&'a str>,
    capture_date: Option<String>,
    time_zone: Option<&'a str>,
    favorite: bool,
    hidden: bool,
    recently_deleted: bool,
    trashed_date: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
    albums: Vec<String>,
    categories: Vec<&'static str>,
    classified_by: super::Origin,
    #[serde(flatten)]
    meta: super::meta::AssetMeta,
}

pub fn json(lib: &PhotoLibrary, asset: usize) -> String {
    let a = &lib.assets[asset];
    let s = JsonSidecar {
        uuid: &a.uuid,
        original_filename: a.original_filename.as_deref(),
        capture_date: a.local_date(),
        time_zone: a.tz_name.as_deref(),
        favorite: a.favorite,
        hidden: a.hidden,
        recently_deleted: a.trashed,
        trashed_date: a.trashed_date.map(|t| t.rfc3339()),
        width: a.width,
        height: a.height,
        albums: a
            .albums
            .iter()
            .map(|&i| lib.albums[i].path_string())
            .collect(),
        categories: lib.categories[asset].names(),
        classified_by: a.origin,
        meta: super::meta::AssetMeta::of(a),
    };
    let mut out = serde_json::to_string_pretty(&s).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_and_escaping() {
        assert_eq!(xmp_coordinate(48.858222, 'N', 'S'), "48,51.493320N");
        assert_eq!(xmp_coordinate(-33.5, 'N', 'S'), "33,30.000000S");
        assert_eq!(xmp_coordinate(-0.25, 'E', 'W'), "0,15.000000W");
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            esc("x\u{FFFE}y\u{FFFF}z\u{FFFD}\u{10FFFF}'"),
            "xyz\u{FFFD}\u{10FFFF}&apos;"
        );
        assert_eq!(esc("\t\n\r\u{0}\u{1F}\u{7F}"), "\t\n\r\u{7F}");
    }
}
