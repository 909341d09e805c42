//! The metadata people search by that lives outside the asset row: the named persons of the
//! detected faces (`ZDETECTEDFACE` → `ZPERSON`) and the keywords (`ZKEYWORD`, through the
//! keyword join table on the additional-attributes row). Column and table names come from
//! `schema` (they changed across model versions); a damaged table costs only what it holds,
//! with a note, never the library.

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::library::Pks;
use super::schema::Schema;
use super::Asset;

fn int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        _ => None,
    }
}

fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    }
    .filter(|s| !s.trim().is_empty())
}

/// Runs `sql` and hands each row's two values to `f`; a failure part-way keeps the rows read
/// and returns the reason.
fn each_row(
    conn: &Connection,
    sql: &str,
    mut f: impl FnMut(ValueRef<'_>, ValueRef<'_>, ValueRef<'_>),
) -> Result<(), String> {
    let mut st = conn.prepare(sql).map_err(|e| e.to_string())?;
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        let g = |i: usize| r.get_ref(i).unwrap_or(ValueRef::Null);
        f(g(0), g(1), g(2));
    }
    Ok(())
}

/// Primary key → asset index, as a sorted vector searched by bisection: built and searched
/// faster than a hash map for the 50,000 keys of a large library, and no hashing of untrusted
/// keys at all.
struct PkIndex(Vec<(i64, usize)>);

impl PkIndex {
    fn new(pairs: impl Iterator<Item = (i64, usize)>) -> PkIndex {
        let mut v: Vec<(i64, usize)> = pairs.collect();
        v.sort_unstable();
        PkIndex(v)
    }

    fn get(&self, pk: i64) -> Option<usize> {
        self.0
            .binary_search_by_key(&pk, |&(k, _)| k)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|&(_, a)| a)
    }
}

/// Fills `keywords`, `people` and `unnamed_faces` of the library's assets.
pub(crate) fn read(
    conn: &Connection,
    s: &Schema,
    assets: &mut [Asset],
    pks: &[Pks],
    notes: &mut Vec<String>,
) {
    if let Some(f) = &s.faces {
        let by_pk = PkIndex::new(pks.iter().enumerate().map(|(i, p)| (p.asset, i)));
        // A person's name: the full name, else the display name (iOS writes both when the user
        // names someone; a display name alone is still a name the user gave).
        let (join, name) = match &f.person_col {
            Some(pc) => {
                let has = |c: &str| s.has("ZPERSON", c);
                let name = match (has("ZFULLNAME"), has("ZDISPLAYNAME")) {
                    (true, true) => "COALESCE(NULLIF(TRIM(p.ZFULLNAME), ''), p.ZDISPLAYNAME)",
                    (true, false) => "p.ZFULLNAME",
                    (false, true) => "p.ZDISPLAYNAME",
                    (false, false) => "NULL",
                };
                (format!(" LEFT JOIN ZPERSON p ON p.Z_PK = f.{pc}"), name)
            }
            None => (String::new(), "NULL"),
        };
        let sql = format!(
            "SELECT f.{}, {name}, NULL FROM ZDETECTEDFACE f{join} WHERE f.{} IS NOT NULL",
            f.asset_col, f.asset_col
        );
        let r = each_row(conn, &sql, |asset, name, _| {
            let Some(i) = int(asset).and_then(|pk| by_pk.get(pk)) else {
                return;
            };
            let a = &mut assets[i];
            match text(name) {
                Some(n) => a.people.push(n),
                None => a.unnamed_faces = a.unnamed_faces.saturating_add(1),
            }
        });
        if let Err(e) = r {
            notes.push(format!(
                "Photos.sqlite: faces unreadable, people incomplete ({e})"
            ));
        }
    }
    if let Some(k) = &s.keywords {
        let by_attr = PkIndex::new(
            pks.iter()
                .enumerate()
                .filter_map(|(i, p)| Some((p.attributes?, i))),
        );
        let sql = format!(
            "SELECT j.{}, kw.ZTITLE, NULL FROM {} j JOIN ZKEYWORD kw ON kw.Z_PK = j.{}",
            k.attributes_col, k.table, k.keyword_col
        );
        let r = each_row(conn, &sql, |attr, title, _| {
            let (Some(i), Some(t)) = (int(attr).and_then(|pk| by_attr.get(pk)), text(title)) else {
                return;
            };
            assets[i].keywords.push(t);
        });
        if let Err(e) = r {
            notes.push(format!(
                "Photos.sqlite: keywords unreadable, keywords incomplete ({e})"
            ));
        }
    }
    // Duplicates (one person's several faces) go here, not by a search per row: a hostile
    // library with many faces on one asset stays O(n log n).
    for a in assets.iter_mut() {
        a.people.sort_unstable();
        a.people.dedup();
        a.keywords.sort_unstable();
        a.keywords.dedup();
    }
}
