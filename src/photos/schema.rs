//! What a Photos.sqlite holds, asked of the database itself: the asset table (ZGENERICASSET
//! before iOS 14, ZASSET after), which columns exist, and the album↔asset join table, whose
//! number changes with nearly every release (Z_20ASSETS … Z_33ASSETS). Nothing is chosen from a
//! version table, so a release not seen yet degrades to "fewer columns", not to a failure.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

#[derive(Debug, Clone)]
pub struct JoinTable {
    pub table: String,
    pub album_col: String,
    pub asset_col: String,
}

/// The keyword join table: `Z_<n>KEYWORDS (Z_<n>ASSETATTRIBUTES, Z_<k>KEYWORDS)`, where `n` is
/// the AdditionalAssetAttributes entity (1 in every model seen) and `k` the Keyword entity
/// (37 on macOS 10.15, 47 on 15, 52 on 26): keywords hang on the attributes row, not the asset.
#[derive(Debug, Clone)]
pub struct KeywordJoin {
    pub table: String,
    pub attributes_col: String,
    pub keyword_col: String,
}

/// `ZDETECTEDFACE`'s links: `ZASSET`/`ZPERSON` up to iOS 16 (macOS 13), `ZASSETFORFACE` /
/// `ZPERSONFORFACE` from iOS 17 (macOS 14), when torsos got links of their own.
#[derive(Debug, Clone)]
pub struct FaceCols {
    pub asset_col: String,
    pub person_col: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub asset_table: String,
    /// Every table's columns, upper-cased.
    pub tables: BTreeMap<String, BTreeSet<String>>,
    pub join: Option<JoinTable>,
    pub keywords: Option<KeywordJoin>,
    pub faces: Option<FaceCols>,
    /// `PLModelVersion` from Z_METADATA, when readable.
    pub model_version: Option<i64>,
    /// Things the reader should tell the user (an ambiguous join table, a missing table).
    pub notes: Vec<String>,
}

impl Schema {
    pub fn has(&self, table: &str, col: &str) -> bool {
        self.tables.get(table).is_some_and(|c| c.contains(col))
    }

    pub fn has_table(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }
}

fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<BTreeSet<String>> {
    // Table names come from sqlite_master, but quote them anyway.
    let mut st = conn.prepare(&format!(
        "PRAGMA table_info(\"{}\")",
        table.replace('"', "\"\"")
    ))?;
    let rows = st.query_map([], |r| r.get::<_, String>(1))?;
    rows.map(|r| r.map(|c| c.to_ascii_uppercase())).collect()
}

/// `Z_<digits><suffix>`: returns the digits.
fn numbered(name: &str, suffix: &str) -> Option<u32> {
    let mid = name.strip_prefix("Z_")?.strip_suffix(suffix)?;
    if mid.is_empty() || !mid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    mid.parse().ok()
}

fn entity_number(conn: &Connection, name: &str) -> Option<u32> {
    conn.query_row(
        "SELECT Z_ENT FROM Z_PRIMARYKEY WHERE Z_NAME = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .ok()
    .and_then(|v| u32::try_from(v).ok())
}

fn model_version(conn: &Connection) -> Option<i64> {
    let blob: Vec<u8> = conn
        .query_row("SELECT Z_PLIST FROM Z_METADATA LIMIT 1", [], |r| r.get(0))
        .ok()?;
    let v = crate::plists::value_from_bytes(&blob).ok()?;
    v.as_dictionary()?
        .get("PLModelVersion")?
        .as_signed_integer()
}

pub fn discover(conn: &Connection) -> Result<Schema, String> {
    let mut tables = BTreeMap::new();
    for t in table_names(conn).map_err(|e| e.to_string())? {
        let cols = columns(conn, &t).map_err(|e| e.to_string())?;
        tables.insert(t.to_ascii_uppercase(), cols);
    }
    let usable = |t: &str| {
        tables
            .get(t)
            .is_some_and(|c| c.contains("ZDIRECTORY") && c.contains("ZFILENAME"))
    };
    let asset_table = if usable("ZASSET") {
        "ZASSET"
    } else if usable("ZGENERICASSET") {
        "ZGENERICASSET"
    } else {
        return Err("no asset table (neither ZASSET nor ZGENERICASSET with ZDIRECTORY and ZFILENAME): not a Photos library".into());
    }
    .to_string();

    let mut notes = Vec::new();
    let mut candidates: Vec<JoinTable> = Vec::new();
    for (name, cols) in &tables {
        if numbered(name, "ASSETS").is_none() {
            continue;
        }
        let album_col = cols.iter().find(|c| numbered(c, "ALBUMS").is_some());
        let asset_col = cols
            .iter()
            .find(|c| !c.starts_with("Z_FOK_") && numbered(c, "ASSETS").is_some());
        if let (Some(al), Some(as_)) = (album_col, asset_col) {
            candidates.push(JoinTable {
                table: name.clone(),
                album_col: al.clone(),
                asset_col: as_.clone(),
            });
        }
    }
    let join = match candidates.len() {
        0 => {
            if tables.contains_key("ZGENERICALBUM") {
                notes.push("no album-to-asset join table found; album membership unknown".into());
            }
            None
        }
        1 => candidates.pop(),
        _ => {
            // Core Data names the table after the Album entity's number.
            let album = entity_number(conn, "Album");
            let pick = candidates
                .iter()
                .position(|j| album.is_some() && numbered(&j.table, "ASSETS") == album)
                .unwrap_or(0);
            notes.push(format!(
                "several album join tables ({}); using {}",
                candidates
                    .iter()
                    .map(|j| j.table.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                candidates[pick].table
            ));
            Some(candidates.swap_remove(pick))
        }
    };
    let keywords = keyword_join(conn, &tables, &mut notes);
    let faces = face_cols(&tables);
    Ok(Schema {
        asset_table,
        tables,
        join,
        keywords,
        faces,
        model_version: model_version(conn),
        notes,
    })
}

/// The keyword join table, found by its shape (a `Z_<n>KEYWORDS` table with a
/// `Z_<n>ASSETATTRIBUTES` and a `Z_<k>KEYWORDS` column); several candidates are settled by the
/// AdditionalAssetAttributes entity number, as Core Data names the table after it.
fn keyword_join(
    conn: &Connection,
    tables: &BTreeMap<String, BTreeSet<String>>,
    notes: &mut Vec<String>,
) -> Option<KeywordJoin> {
    if !tables.contains_key("ZKEYWORD") {
        return None;
    }
    let mut candidates: Vec<KeywordJoin> = tables
        .iter()
        .filter(|(name, _)| numbered(name, "KEYWORDS").is_some())
        .filter_map(|(name, cols)| {
            let attributes_col = cols
                .iter()
                .find(|c| numbered(c, "ASSETATTRIBUTES").is_some())?;
            let keyword_col = cols
                .iter()
                .find(|c| !c.starts_with("Z_FOK_") && numbered(c, "KEYWORDS").is_some())?;
            Some(KeywordJoin {
                table: name.clone(),
                attributes_col: attributes_col.clone(),
                keyword_col: keyword_col.clone(),
            })
        })
        .collect();
    match candidates.len() {
        0 => {
            notes.push("no keyword join table found; keywords unknown".into());
            None
        }
        1 => candidates.pop(),
        _ => {
            let ent = entity_number(conn, "AdditionalAssetAttributes");
            let pick = candidates
                .iter()
                .position(|j| ent.is_some() && numbered(&j.table, "KEYWORDS") == ent)
                .unwrap_or(0);
            notes.push(format!(
                "several keyword join tables; using {}",
                candidates[pick].table
            ));
            Some(candidates.swap_remove(pick))
        }
    }
}

fn face_cols(tables: &BTreeMap<String, BTreeSet<String>>) -> Option<FaceCols> {
    let cols = tables.get("ZDETECTEDFACE")?;
    let pick = |names: &[&str]| {
        names
            .iter()
            .find(|n| cols.contains(**n))
            .map(|n| n.to_string())
    };
    // The newer names first: a model that has both keeps ZASSET for something else.
    let asset_col = pick(&["ZASSETFORFACE", "ZASSET"])?;
    let person_col =
        pick(&["ZPERSONFORFACE", "ZPERSON"]).filter(|_| tables.contains_key("ZPERSON"));
    Some(FaceCols {
        asset_col,
        person_col,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("Z_26ASSETS", "ASSETS"), Some(26));
        assert_eq!(numbered("Z_FOK_3ASSETS", "ASSETS"), None);
        assert_eq!(numbered("Z_ASSETS", "ASSETS"), None);
        assert_eq!(numbered("Z_30ALBUMS", "ALBUMS"), Some(30));
    }
}
