//! The export journal on disk: `unback-export.json` (every run and every file record) and
//! `unback-export.csv` (the file records as a spreadsheet), read by `--update` and
//! `--skip-existing` and written again at the end of every run.
//!
//! A folder filled from a 50,000-photo library has a journal of tens of megabytes in each form,
//! and a monthly `--update` usually only adds a run and a few records to it. Serialising all of
//! it again cost more than everything else such a run does (BENCHMARKS.md 10), so a journal in
//! the exact form this module writes keeps the bytes it was read from: the new one is the new
//! list of runs, then the earlier `files` array as it was, with the new records appended. The
//! CSV likewise gains only the new rows. Anything else (a journal from another writer, records
//! replaced or dropped) is written again in full.
//!
//! Beside a large journal (`INDEX_MIN_RECORDS`) the export keeps `unback-export.idx`, the
//! records' provenance (all that `--update` and `--skip-existing` compare) in a binary form that
//! costs a copy to read, where the JSON costs a parse: at 50,000 records the parse was the
//! largest thing `--update` did that `photos ls` does not (BENCHMARKS.md 10). The index is a
//! cache, never the record: it names the length and SHA-256 of the `files` text it was made
//! from, and is used only when the journal's `files` text has exactly those (so a journal edited
//! by hand, copied from elsewhere or written by another version is read from its JSON, and an
//! index left from an interrupted run is ignored). It is replaced atomically like the journal.
//! Its layout: `INDEX_MAGIC`, the `files` text's length (u64, little-endian) and SHA-256 (32
//! bytes), the number of records (u64), then each record (`JournalRecord::write_provenance`),
//! and nothing after them. An update that adds no record copies the `files` text as it was, so
//! the index stays as it is.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::records::journal::Provenance;
pub use crate::records::journal::{JournalRecord, RunRecord};

pub const JOURNAL_JSON: &str = "unback-export.json";
pub const JOURNAL_CSV: &str = "unback-export.csv";
pub const JOURNAL_INDEX: &str = "unback-export.idx";

/// The fewest records a journal has for an index to be kept beside it. Below this the JSON
/// parses in a few milliseconds and a second file would only be one more thing in the folder.
pub const INDEX_MIN_RECORDS: usize = 2048;

/// The first bytes of an index; a new layout gets a new number (and an older index is then
/// ignored: the JSON is read and the index made again).
const INDEX_MAGIC: &[u8] = b"unback-export index 1\n";

/// The `files` text of a journal, as an index names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilesDigest {
    pub len: u64,
    pub sha256: [u8; 32],
}

/// What the index beside a journal needs once the journal is written (`write_json_indexed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexNeed {
    /// The one there is that of the `files` text written (it was read with it, unchanged).
    Keep,
    /// A new one, for the `files` text written.
    Write(FilesDigest),
    /// None: too few records (one there, from a larger journal, is removed).
    Remove,
}

/// The journal: every run into the folder, and every file written and still recorded.
///
/// Records read from the folder are kept as read; `replace_files` is how a run changes the
/// list, so that an unchanged prefix is known to be unchanged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Journal {
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    pub files: Vec<JournalRecord>,
    /// The journal's bytes as read, when they are in this module's form and `files` still
    /// begins with every record they hold.
    #[serde(skip)]
    read_as: Option<ReadAs>,
    /// The records read hold their provenance only (`read_journal_light`); the rest is read
    /// from `read_as` when a record must be written in full.
    #[serde(skip)]
    light: bool,
    /// The `files` text read, when the index beside the journal was that of it (the records
    /// were then read from the index).
    #[serde(skip)]
    indexed: Option<FilesDigest>,
    /// The records' files as found in the folder (`look_in`), in record order.
    #[serde(skip)]
    found: Option<Vec<crate::export::update::Found>>,
}

#[derive(Clone)]
struct ReadAs {
    bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
    /// The `files` array's text within `bytes`.
    files: Range<usize>,
    /// How many records it holds.
    count: usize,
}

impl std::fmt::Debug for ReadAs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAs")
            .field("bytes", &(*self.bytes).as_ref().len())
            .field("files", &self.files)
            .field("count", &self.count)
            .finish()
    }
}

const HEAD: &[u8] = b"{\n  \"runs\": ";
const SEP: &[u8] = b",\n  \"files\": ";
const TAIL: &[u8] = b"\n}";
/// How a non-empty `files` array ends, at the indentation `to_json` gives it.
const LIST_END: &[u8] = b"\n  ]";

impl Journal {
    pub fn new(runs: Vec<RunRecord>, files: Vec<JournalRecord>) -> Journal {
        Journal {
            runs,
            files,
            read_as: None,
            light: false,
            indexed: None,
            found: None,
        }
    }

    /// Looks at every record's file in `out` now (`update::find_all`), for `--update` to
    /// decide by.
    pub fn look_in(&mut self, out: &Path) {
        self.found = Some(crate::export::update::find_all(out, &self.files));
    }

    /// What `look_in` found, while the records are still those it looked at.
    pub fn found(&self) -> Option<&[crate::export::update::Found]> {
        self.found
            .as_deref()
            .filter(|f| f.len() == self.files.len())
    }

    /// Parses a journal. One in the form `to_json` writes is read in its two parts, and its
    /// bytes are kept for the next write.
    pub fn parse(bytes: Vec<u8>) -> serde_json::Result<Journal> {
        Self::parse_from(Arc::new(bytes), false)
    }

    fn parse_from(
        bytes: Arc<dyn AsRef<[u8]> + Send + Sync>,
        light: bool,
    ) -> serde_json::Result<Journal> {
        let parts = match light {
            true => Self::parse_parts::<Provenance>((*bytes).as_ref()),
            false => Self::parse_parts::<JournalRecord>((*bytes).as_ref()),
        };
        if let Some((runs, files, range)) = parts {
            let count = files.len();
            return Ok(Journal {
                runs,
                files,
                read_as: Some(ReadAs {
                    bytes,
                    files: range,
                    count,
                }),
                light,
                indexed: None,
                found: None,
            });
        }
        serde_json::from_slice((*bytes).as_ref())
    }

    /// A journal in this module's form whose records are read from the index beside it, if
    /// that index was made from exactly its `files` text; `None` otherwise (the JSON is then
    /// read). The runs are parsed from the JSON as always.
    fn from_index(bytes: Arc<dyn AsRef<[u8]> + Send + Sync>, index: &[u8]) -> Option<Journal> {
        let b = (*bytes).as_ref();
        let (runs, files) = split(b)?;
        let rest = index.strip_prefix(INDEX_MAGIC)?;
        let (len, rest) = rest.split_at_checked(8)?;
        let (sha, rest) = rest.split_at_checked(32)?;
        let (count, mut rest) = rest.split_at_checked(8)?;
        let digest = FilesDigest {
            len: u64::from_le_bytes(len.try_into().ok()?),
            sha256: sha.try_into().ok()?,
        };
        let count = usize::try_from(u64::from_le_bytes(count.try_into().ok()?)).ok()?;
        if digest.len != files.len() as u64 {
            return None;
        }
        // The hash of 50 MB (about 40 ms of CPU with the SHA instructions, BENCHMARKS.md 10),
        // made beside the decoding.
        let (same, records) = rayon::join(
            || crate::hashing::sha256(&b[files.clone()]) == digest.sha256,
            || {
                // Each record is at least its 10 length fields (4 bytes each) and 2 numbers
                // (8 bytes each) long: a count the bytes cannot hold is refused before anything
                // is reserved for it.
                if count > rest.len() / 56 {
                    return None;
                }
                let mut v = Vec::with_capacity(count);
                for _ in 0..count {
                    v.push(JournalRecord::read_provenance(&mut rest)?);
                }
                rest.is_empty().then_some(v)
            },
        );
        if !same {
            return None;
        }
        let records = records?;
        let runs = serde_json::from_slice(&b[runs]).ok()?;
        Some(Journal {
            runs,
            read_as: Some(ReadAs {
                bytes,
                files,
                count: records.len(),
            }),
            files: records,
            light: true,
            indexed: Some(digest),
            found: None,
        })
    }

    /// `HEAD runs SEP files TAIL`, each part parsed on its own. When both parse, the document
    /// is `{"runs": runs, "files": files}`, whatever the bytes inside each part look like; a
    /// split in the wrong place fails to parse and the whole document is read instead.
    fn parse_parts<T: DeserializeOwned + Into<JournalRecord> + Send>(
        bytes: &[u8],
    ) -> Option<(Vec<RunRecord>, Vec<JournalRecord>, Range<usize>)> {
        let (runs, files) = split(bytes)?;
        let runs = serde_json::from_slice(&bytes[runs]).ok()?;
        let records = parse_records::<T>(&bytes[files.clone()])?;
        Some((runs, records, files))
    }

    /// The records read, in full: those of a light journal read again from its bytes.
    fn full_read(&self) -> Result<Vec<JournalRecord>> {
        let count = self.read_as.as_ref().map_or(0, |r| r.count);
        match &self.read_as {
            Some(r) if self.light => {
                parse_records::<JournalRecord>(&(*r.bytes).as_ref()[r.files.clone()]).ok_or_else(
                    || {
                        Error::Other(format!(
                            "{JOURNAL_JSON}: the earlier records do not read in full; move it aside to export afresh"
                        ))
                    },
                )
            }
            _ => Ok(self.files[..count].to_vec()),
        }
    }

    /// Every record in full (a light journal's read ones read again).
    fn full_files(&self) -> Result<std::borrow::Cow<'_, [JournalRecord]>> {
        if !self.light {
            return Ok(std::borrow::Cow::Borrowed(&self.files));
        }
        let count = self.read_as.as_ref().map_or(0, |r| r.count);
        let mut all = self.full_read()?;
        all.extend_from_slice(&self.files[count..]);
        Ok(std::borrow::Cow::Owned(all))
    }

    /// Drops the records of outputs this run wrote again and appends the run's records.
    pub fn replace_files(&mut self, records: Vec<JournalRecord>) -> Result<()> {
        let rewritten: foldhash::HashSet<&str> =
            records.iter().map(|r| r.output.as_str()).collect();
        if self
            .files
            .iter()
            .any(|r| rewritten.contains(r.output.as_str()))
        {
            // The journal is written again in full, so its records must be whole.
            if self.light {
                let count = self.read_as.as_ref().map_or(0, |r| r.count);
                let full = self.full_read()?;
                self.files.splice(..count, full);
                self.light = false;
            }
            self.files
                .retain(|r| !rewritten.contains(r.output.as_str()));
            self.read_as = None;
        }
        self.found = None;
        self.files.extend(records);
        Ok(())
    }

    /// The records read from the folder that are still first in `files`, and their text, if
    /// the journal was read in this module's form.
    fn kept(&self) -> Option<(&ReadAs, &[JournalRecord])> {
        let r = self.read_as.as_ref()?;
        (self.files.len() >= r.count).then(|| (r, &self.files[r.count..]))
    }

    /// The journal exactly as `serde_json::to_vec_pretty` writes it.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_json(&mut out)
            .map_err(|e| Error::Other(format!("the journal: {e}")))?;
        Ok(out)
    }

    /// Writes the journal exactly as `serde_json::to_vec_pretty` would. The file records read
    /// from the folder are copied from the bytes they were read from; the others are
    /// serialised in parallel. Nothing as large as the journal is built in memory when its
    /// records were read: at 50,000 records, memory first touched cost more than parsing.
    pub fn write_json(&self, w: &mut dyn Write) -> std::io::Result<()> {
        self.write_json_indexed_at(w, usize::MAX).map(|_| ())
    }

    /// `write_json`, and what the index beside the journal then needs: the `files` text is
    /// hashed as it is written, unless the index read with it still holds (nothing added) or
    /// the journal is too small to have one.
    pub fn write_json_indexed(&self, w: &mut dyn Write) -> std::io::Result<IndexNeed> {
        self.write_json_indexed_at(w, INDEX_MIN_RECORDS)
    }

    fn write_json_indexed_at(
        &self,
        w: &mut dyn Write,
        min_records: usize,
    ) -> std::io::Result<IndexNeed> {
        let runs = indented(serde_json::to_vec_pretty(&self.runs)?, 2);
        w.write_all(&[HEAD, &runs, SEP].concat())?;
        // The index read with the journal still holds when the `files` text is copied as it
        // was; otherwise a new one is made from the text as it is written (hashing it while it
        // is in the cache costs less than reading it back).
        let keep = self.indexed.is_some() && self.kept().is_some_and(|(_, new)| new.is_empty());
        let hash = !keep && self.files.len() >= min_records;
        let mut f = FilesWriter {
            w,
            sha: hash.then(Sha256::new),
            len: 0,
            unhashed: if keep {
                IndexNeed::Keep
            } else {
                IndexNeed::Remove
            },
        };
        match self.kept() {
            Some((r, new)) => {
                let old = &(*r.bytes).as_ref()[r.files.clone()];
                if new.is_empty() {
                    f.put(old)?;
                } else if r.count == 0 {
                    let text = records_json(new)?;
                    for part in [b"[\n", &text[..], LIST_END] {
                        f.put(part)?;
                    }
                } else if let Some(open) = old.strip_suffix(LIST_END) {
                    let text = records_json(new)?;
                    for part in [open, b",\n", &text, LIST_END] {
                        f.put(part)?;
                    }
                } else {
                    // A journal this module did not write: its array ends otherwise. (Nothing
                    // of it is written yet but the head, which is the same.)
                    let files = self.full_files().map_err(std::io::Error::other)?;
                    let whole = Journal::new(self.runs.clone(), files.into_owned());
                    return whole.write_files(f);
                }
            }
            None => return self.write_files(f),
        }
        f.finish()
    }

    /// The `files` array and the end of a journal not written from the bytes it was read from.
    fn write_files(&self, mut f: FilesWriter<'_>) -> std::io::Result<IndexNeed> {
        if self.files.is_empty() {
            f.put(b"[]")?;
        } else {
            let text = records_json(&self.files)?;
            for part in [b"[\n", &text[..], LIST_END] {
                f.put(part)?;
            }
        }
        f.finish()
    }

    /// Writes the index `need` asks for with `write` (given a function that fills the file);
    /// removes one left beside a journal too small to need it.
    pub fn write_index(
        &self,
        out: &Path,
        need: IndexNeed,
        write: impl FnOnce(&mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> Result<()>,
    ) -> Result<()> {
        match need {
            IndexNeed::Keep => Ok(()),
            IndexNeed::Remove => match std::fs::remove_file(out.join(JOURNAL_INDEX)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Error::io(out.join(JOURNAL_INDEX), e))
                }
                _ => Ok(()),
            },
            IndexNeed::Write(d) => {
                let bytes = self.index_bytes(d);
                write(&mut |f| f.write_all(&bytes))
            }
        }
    }

    /// The index of these records, made from `files` text `d`.
    fn index_bytes(&self, d: FilesDigest) -> Vec<u8> {
        let mut o = Vec::with_capacity(INDEX_MAGIC.len() + 48 + self.files.len() * 280);
        o.extend_from_slice(INDEX_MAGIC);
        o.extend_from_slice(&d.len.to_le_bytes());
        o.extend_from_slice(&d.sha256);
        o.extend_from_slice(&(self.files.len() as u64).to_le_bytes());
        for r in &self.files {
            r.write_provenance(&mut o);
        }
        o
    }

    /// Writes the CSV journal into `out` with `write` (given the file's name and a function
    /// that fills it), unless the one there already holds exactly these records. When it
    /// holds exactly the records read with the JSON journal, the new rows are appended to a
    /// copy of it; otherwise it is made again from every record.
    pub fn write_csv(
        &self,
        out: &Path,
        write: impl FnOnce(&mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> Result<()>,
    ) -> Result<()> {
        let old = map(&out.join(JOURNAL_CSV)).filter(|b| {
            (**b)
                .as_ref()
                .starts_with(JournalRecord::CSV_HEADER.as_bytes())
        });
        if let (Some(old), Some((r, new))) = (old, self.kept()) {
            let old = (*old).as_ref();
            if csv_rows(&old[JournalRecord::CSV_HEADER.len()..]) == r.count {
                if new.is_empty() {
                    return Ok(());
                }
                let rows = JournalRecord::csv_rows(new);
                return write(&mut |f| {
                    f.write_all(old)?;
                    f.write_all(rows.as_bytes())
                });
            }
        }
        let all = JournalRecord::csv(&self.full_files()?);
        write(&mut |f| f.write_all(all.as_bytes()))
    }

    /// `write_csv` into memory: `None` when the CSV in `out` stays as it is.
    #[cfg(test)]
    fn csv_for(&self, out: &Path) -> Option<Vec<u8>> {
        let mut bytes = None;
        self.write_csv(out, |fill| {
            let mut v = Vec::new();
            fill(&mut v).unwrap();
            bytes = Some(v);
            Ok(())
        })
        .unwrap();
        bytes
    }
}

/// Writes a journal's `files` text (and then its end), hashing it when an index is to be made.
struct FilesWriter<'a> {
    w: &'a mut dyn Write,
    sha: Option<Sha256>,
    len: u64,
    /// What the index needs when the text is not hashed.
    unhashed: IndexNeed,
}

impl FilesWriter<'_> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        if let Some(sha) = &mut self.sha {
            sha.update(b);
        }
        self.len += b.len() as u64;
        self.w.write_all(b)
    }

    fn finish(self) -> std::io::Result<IndexNeed> {
        self.w.write_all(TAIL)?;
        Ok(match self.sha {
            Some(sha) => IndexNeed::Write(FilesDigest {
                len: self.len,
                sha256: sha.finalize().into(),
            }),
            None => self.unhashed,
        })
    }
}

/// `HEAD runs SEP files TAIL`: where the runs' and the files' text are in a journal in this
/// module's form. A JSON string holds no raw line break, so `SEP` (a line break, then the
/// indentation of a top-level key) cannot be inside the runs.
fn split(bytes: &[u8]) -> Option<(Range<usize>, Range<usize>)> {
    let body = bytes.strip_prefix(HEAD)?.strip_suffix(TAIL)?;
    let at = memchr::memmem::find(body, SEP)?;
    let start = HEAD.len() + at + SEP.len();
    Some((HEAD.len()..HEAD.len() + at, start..bytes.len() - TAIL.len()))
}

/// The bytes of one of the export folder's files, or `None` when it cannot be opened or is
/// empty. The journals are replaced by renaming a new file over them, never written in place,
/// so on Unix they are mapped, not copied: the mapped pages stay those of the file that was
/// opened. Windows refuses to rename over a file with a mapped view (the new journal could not
/// take the old one's name while the old one is held), so there they are read.
fn map(path: &Path) -> Option<Arc<dyn AsRef<[u8]> + Send + Sync>> {
    let f = std::fs::File::open(path).ok()?;
    if f.metadata().ok()?.len() == 0 {
        return None;
    }
    #[cfg(unix)]
    {
        // SAFETY: see above; like the backup's own files, a journal truncated by another
        // program while it is read could fault, which unback cannot prevent for a mapped file.
        #[allow(unsafe_code)]
        let m = unsafe { memmap2::Mmap::map(&f) }.ok()?;
        Some(Arc::new(m))
    }
    #[cfg(not(unix))]
    {
        use std::io::Read;
        let mut bytes = Vec::new();
        let mut f = f;
        f.read_to_end(&mut bytes).ok()?;
        Some(Arc::new(bytes))
    }
}

/// The journal of an earlier export into `out`; `Ok(None)` when there is none.
pub fn read_journal(out: &Path) -> Result<Option<Journal>> {
    read(out, false)
}

/// `read_journal` for a run that adds to the journal (`photos export`): the earlier records
/// hold only their provenance (`Provenance`), all that an export compares; the rest of a record
/// is read again from the journal's bytes only if the record must be written out in full.
pub fn read_journal_light(out: &Path) -> Result<Option<Journal>> {
    read(out, true)
}

fn read(out: &Path, light: bool) -> Result<Option<Journal>> {
    let path = out.join(JOURNAL_JSON);
    let bytes: Arc<dyn AsRef<[u8]> + Send + Sync> = match std::fs::File::open(&path) {
        Ok(_) => match map(&path) {
            Some(m) => m,
            // Empty, or not mappable: read as bytes (an empty file gives the parse error).
            None => Arc::new(std::fs::read(&path).map_err(|e| Error::io(&path, e))?),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    // Only a run that reads the provenance alone can take it from the index.
    if light {
        if let Some(index) = map(&out.join(JOURNAL_INDEX)) {
            if let Some(j) = Journal::from_index(bytes.clone(), (*index).as_ref()) {
                return Ok(Some(j));
            }
        }
    }
    Journal::parse_from(bytes, light).map(Some).map_err(|e| {
        Error::Other(format!(
            "{}: not a journal unback can read ({e}); move it aside to export afresh",
            path.display()
        ))
    })
}

/// A value printed at the top level, re-indented to sit `by` spaces deeper. JSON escapes line
/// breaks inside strings, so every line break is the printer's.
fn indented(v: Vec<u8>, by: usize) -> Vec<u8> {
    let pad = " ".repeat(by);
    let mut out = Vec::with_capacity(v.len() + v.len() / 8);
    for (n, line) in v.split(|&b| b == b'\n').enumerate() {
        if n > 0 {
            out.push(b'\n');
            out.extend_from_slice(pad.as_bytes());
        }
        out.extend_from_slice(line);
    }
    out
}

/// The records as the elements of the pretty-printed `files` array (indented, separated by
/// `,\n`, without the brackets), made in parallel chunks.
fn records_json(records: &[JournalRecord]) -> serde_json::Result<Vec<u8>> {
    use rayon::prelude::*;
    let parts: Vec<Vec<u8>> = records
        .par_chunks(1024)
        .map(|chunk| -> serde_json::Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(chunk.len() * 800);
            for (n, r) in chunk.iter().enumerate() {
                if n > 0 {
                    buf.extend_from_slice(b",\n");
                }
                buf.extend_from_slice(b"    ");
                buf.extend(indented(serde_json::to_vec_pretty(r)?, 4));
            }
            Ok(buf)
        })
        .collect::<serde_json::Result<_>>()?;
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 2).sum());
    for (n, p) in parts.into_iter().enumerate() {
        if n > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend(p);
    }
    Ok(out)
}

/// The records of a `files` array as `write_json` lays it out, parsed in parallel pieces cut
/// between records: `[`, then records separated by `,` and a line break, then `]`. `None` when
/// the text is laid out otherwise or does not parse (the caller then reads the whole document,
/// which reports the error if there is one).
fn parse_records<T: DeserializeOwned + Into<JournalRecord> + Send>(
    text: &[u8],
) -> Option<Vec<JournalRecord>> {
    use rayon::prelude::*;
    if text == b"[]" {
        return Some(Vec::new());
    }
    let inner = text.strip_prefix(b"[\n")?.strip_suffix(LIST_END)?;
    // A record starts on a line indented by exactly four spaces. JSON strings hold no raw line
    // break, so this can only be between two elements of the array.
    const CUT: &[u8] = b",\n    {";
    let pieces = 4 * rayon::current_num_threads().max(1);
    let mut cuts = vec![0];
    for k in 1..pieces {
        let from = (inner.len() * k / pieces).max(*cuts.last()?);
        match memchr::memmem::find(&inner[from..], CUT) {
            Some(at) if from + at > *cuts.last()? => cuts.push(from + at),
            _ => {}
        }
    }
    cuts.push(inner.len());
    let parts: Vec<Vec<JournalRecord>> = cuts
        .par_windows(2)
        .map(|w| {
            // Every piece after the first begins with the comma that separates it.
            let piece = &inner[w[0]..w[1]];
            let piece = if w[0] == 0 { piece } else { &piece[1..] };
            parse_sequence::<T>(piece)
        })
        .collect::<Option<_>>()?;
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        all.extend(p);
    }
    Some(all)
}

/// Records separated by commas (and white space), as inside a JSON array.
fn parse_sequence<T: DeserializeOwned + Into<JournalRecord>>(
    mut text: &[u8],
) -> Option<Vec<JournalRecord>> {
    let mut out = Vec::new();
    loop {
        let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<T>();
        out.push(stream.next()?.ok()?.into());
        text = text[stream.byte_offset()..].trim_ascii_start();
        match text.split_first() {
            None => return Some(out),
            Some((b',', rest)) => text = rest,
            Some(_) => return None,
        }
    }
}

/// The number of rows in CSV text (without its header): line breaks outside quoted fields.
fn csv_rows(text: &[u8]) -> usize {
    let mut quoted = false;
    let mut rows = 0;
    for at in memchr::memchr2_iter(b'"', b'\n', text) {
        match text[at] {
            b'"' => quoted = !quoted,
            _ if !quoted => rows += 1,
            _ => {}
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: usize) -> JournalRecord {
        JournalRecord {
            output: format!("2024/05/IMG_{n:04}.JPG"),
            asset_uuid: format!("U-{n}"),
            role: "original".into(),
            categories: vec!["photos".into(), "live".into()],
            classified_by: "photos-db".into(),
            original_filename: Some("Été \"à\"\nZürich.jpg".into()),
            capture_date: None,
            domain: "CameraRollDomain".into(),
            relative_path: "Media/DCIM/100APPLE/IMG_0001.JPG".into(),
            file_id: "ab".repeat(20),
            size: n as u64,
            sha256: "00".repeat(32),
            source_sha256: None,
            mtime: Some("2024-05-18T13:03:21Z".into()),
            source_mtime: None,
            linked_to: (n % 2 == 0).then(|| "x".into()),
            run: n % 3,
            meta: crate::photos::meta::AssetMeta {
                title: Some("Tïtle \"x\"".into()),
                keywords: vec!["k1".into(), "k2".into()],
                ..Default::default()
            },
        }
    }

    fn run(n: usize) -> RunRecord {
        RunRecord {
            gone_assets: vec![format!("a{n}"), "b".into()],
            files_written: n as u64,
            ..Default::default()
        }
    }

    fn pretty(j: &Journal) -> String {
        String::from_utf8(serde_json::to_vec_pretty(j).unwrap()).unwrap()
    }

    #[test]
    fn to_json_is_what_serde_pretty_prints() {
        for n in [0, 1, 3, 1024, 2049] {
            let j = Journal::new((0..n.min(2)).map(run).collect(), (0..n).map(rec).collect());
            assert_eq!(
                String::from_utf8(j.to_json().unwrap()).unwrap(),
                pretty(&j),
                "{n} files"
            );
        }
    }

    /// A journal read back and written with a run and records appended is byte for byte the
    /// journal written whole, and the records read are those written.
    #[test]
    fn a_journal_read_and_appended_to_equals_one_written_whole() {
        for (old, added) in [(0, 0), (0, 3), (5, 0), (5, 1), (1100, 2000)] {
            let first = Journal::new(vec![run(0)], (0..old).map(rec).collect());
            let mut j = Journal::parse(first.to_json().unwrap()).unwrap();
            assert!(j.read_as.is_some(), "{old}: read in parts");
            assert_eq!(pretty(&j), pretty(&first));
            j.runs.push(run(1));
            j.replace_files((old..old + added).map(rec).collect())
                .unwrap();
            assert!(j.kept().is_some());
            let whole = Journal::new(j.runs.clone(), j.files.clone());
            assert_eq!(
                String::from_utf8(j.to_json().unwrap()).unwrap(),
                String::from_utf8(whole.to_json().unwrap()).unwrap(),
                "{old} + {added}"
            );
        }
    }

    /// Coordinates come back exactly as they were written. serde_json's default float parser
    /// can be one unit in the last place off (its `float_roundtrip` feature is on for this):
    /// without it, an update that wrote its records again moved the last digit of 2,281 of
    /// 49,026 coordinates of the 50,000-asset benchmark library.
    #[test]
    fn coordinates_survive_being_read_and_written_again() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |span: f64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 * span - span
        };
        let files: Vec<_> = (0..5000)
            .map(|n| {
                let mut r = rec(n);
                r.meta.latitude = Some(next(90.0));
                r.meta.longitude = Some(next(180.0));
                r
            })
            .collect();
        let first = Journal::new(vec![run(0)], files.clone());
        let mut j = Journal::parse(first.to_json().unwrap()).unwrap();
        let mut again = rec(0);
        again.size = 99;
        j.replace_files(vec![again]).unwrap();
        let back: std::collections::HashMap<_, _> = j
            .files
            .iter()
            .map(|r| (r.output.clone(), (r.meta.latitude, r.meta.longitude)))
            .collect();
        let moved = files
            .iter()
            .skip(1)
            .filter(|r| back[&r.output] != (r.meta.latitude, r.meta.longitude))
            .count();
        assert_eq!(moved, 0, "coordinates changed when read back");
    }

    /// Writing a record again drops the earlier one, so the bytes read are not reused.
    #[test]
    fn a_record_written_again_makes_the_whole_journal_again() {
        let first = Journal::new(vec![run(0)], (0..4).map(rec).collect());
        let mut j = Journal::parse(first.to_json().unwrap()).unwrap();
        let mut again = rec(1);
        again.size = 99;
        j.replace_files(vec![again]).unwrap();
        assert!(j.kept().is_none());
        let outputs: Vec<_> = j.files.iter().map(|r| (r.output.clone(), r.size)).collect();
        assert_eq!(
            outputs,
            [0, 2, 3, 1]
                .map(|n| (rec(n).output, if n == 1 { 99 } else { n as u64 }))
                .to_vec()
        );
        assert_eq!(String::from_utf8(j.to_json().unwrap()).unwrap(), pretty(&j));
    }

    /// The pieces parsed in parallel are the array's records, in order; a piece that does
    /// not parse sends the reader to the whole document, which reports the error.
    #[test]
    fn records_are_read_in_pieces_as_the_whole_array() {
        for n in [1, 2, 7, 3000] {
            let files: Vec<_> = (0..n).map(rec).collect();
            let text = Journal::new(vec![], files.clone()).to_json().unwrap();
            let j = Journal::parse(text.clone()).unwrap();
            assert!(j.read_as.is_some());
            let got: Vec<_> = j.files.iter().map(|r| r.output.clone()).collect();
            let want: Vec<_> = files.iter().map(|r| r.output.clone()).collect();
            assert_eq!(got, want, "{n}");
            // Damage one record far from the start: the journal is refused with the parse error.
            let mut bad = text;
            let at = bad.len() * 3 / 4;
            let at = at + bad[at..].iter().position(|&b| b == b':').unwrap();
            bad[at] = b';';
            assert!(Journal::parse(bad).is_err(), "{n}");
        }
    }

    /// A journal read with provenance only is written back byte for byte, with appended
    /// records; when a record is replaced or the CSV must be made again, the earlier records
    /// are read again in full, so nothing of them is lost.
    #[test]
    fn a_light_journal_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let first = Journal::new(vec![run(0)], (0..5).map(rec).collect());
        std::fs::write(dir.path().join(JOURNAL_JSON), first.to_json().unwrap()).unwrap();
        let light = || read_journal_light(dir.path()).unwrap().unwrap();
        let j = light();
        assert!(j.light && j.files[0].meta.keywords.is_empty() && j.files[0].categories.is_empty());
        assert_eq!(
            (j.files[3].output.clone(), j.files[3].size),
            (rec(3).output, 3)
        );

        let mut appended = light();
        appended.replace_files(vec![rec(5)]).unwrap();
        let whole = Journal::new(vec![run(0)], (0..6).map(rec).collect());
        assert_eq!(appended.to_json().unwrap(), whole.to_json().unwrap());
        // No CSV there: it is made from every record, the earlier ones read in full.
        let csv = appended.csv_for(dir.path()).unwrap();
        assert_eq!(csv, JournalRecord::csv(&whole.files).into_bytes());

        let mut replaced = light();
        let mut again = rec(2);
        again.size = 99;
        replaced.replace_files(vec![again.clone()]).unwrap();
        let want: Vec<JournalRecord> = [0, 1, 3, 4].map(rec).into_iter().chain([again]).collect();
        assert_eq!(
            replaced.to_json().unwrap(),
            Journal::new(vec![run(0)], want).to_json().unwrap()
        );
    }

    /// A journal in another layout (compact JSON) is read whole and written in this form.
    #[test]
    fn a_journal_in_another_layout_is_read_whole() {
        let first = Journal::new(vec![run(0)], (0..3).map(rec).collect());
        let compact = serde_json::to_vec(&first).unwrap();
        let mut j = Journal::parse(compact).unwrap();
        assert!(j.read_as.is_none());
        j.replace_files(vec![rec(3)]).unwrap();
        assert_eq!(String::from_utf8(j.to_json().unwrap()).unwrap(), pretty(&j));
    }

    /// Writes `j` into `dir` as an export does: the JSON, then the index it needs (one is
    /// kept beside journals of `min` records or more).
    fn write_indexed(j: &Journal, dir: &Path, min: usize) -> IndexNeed {
        let mut json = Vec::new();
        let need = j.write_json_indexed_at(&mut json, min).unwrap();
        std::fs::write(dir.join(JOURNAL_JSON), &json).unwrap();
        j.write_index(dir, need, |fill| {
            let mut v = Vec::new();
            fill(&mut v).unwrap();
            std::fs::write(dir.join(JOURNAL_INDEX), v).unwrap();
            Ok(())
        })
        .unwrap();
        need
    }

    /// The journal in `dir` with its provenance read from the JSON, the index ignored.
    fn light_from_json(dir: &Path) -> Journal {
        let bytes = std::fs::read(dir.join(JOURNAL_JSON)).unwrap();
        let j = Journal::parse_from(Arc::new(bytes), true).unwrap();
        assert!(j.indexed.is_none() && j.read_as.is_some());
        j
    }

    fn value(j: &Journal) -> serde_json::Value {
        serde_json::to_value(j).unwrap()
    }

    /// Read from its index, a journal is what reading its JSON gives; a run that adds nothing
    /// keeps the index, one that adds records makes it again, and each time the JSON written
    /// is the journal written whole.
    #[test]
    fn the_index_gives_what_the_json_gives() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let first = Journal::new(vec![run(0)], (0..5).map(rec).collect());
        assert!(matches!(write_indexed(&first, d, 1), IndexNeed::Write(_)));
        let j = read_journal_light(d).unwrap().unwrap();
        assert!(j.indexed.is_some() && j.light);
        assert_eq!(value(&j), value(&light_from_json(d)));

        let mut again = j;
        again.runs.push(run(1));
        again.replace_files(Vec::new()).unwrap();
        assert_eq!(write_indexed(&again, d, 1), IndexNeed::Keep);
        let j = read_journal_light(d).unwrap().unwrap();
        assert!(j.indexed.is_some());
        assert_eq!(j.runs.len(), 2);
        assert_eq!(value(&j), value(&light_from_json(d)));

        let mut more = j;
        more.replace_files(vec![rec(5)]).unwrap();
        assert!(matches!(write_indexed(&more, d, 1), IndexNeed::Write(_)));
        let whole = Journal::new(more.runs.clone(), (0..6).map(rec).collect());
        assert_eq!(
            std::fs::read(d.join(JOURNAL_JSON)).unwrap(),
            whole.to_json().unwrap()
        );
        let j = read_journal_light(d).unwrap().unwrap();
        assert!(j.indexed.is_some());
        assert_eq!(j.files.len(), 6);
        assert_eq!(value(&j), value(&light_from_json(d)));
        // Written in full (a record replaced), the earlier records lose nothing.
        let mut replaced = j;
        let mut changed = rec(2);
        changed.size = 99;
        replaced.replace_files(vec![changed.clone()]).unwrap();
        assert!(matches!(
            write_indexed(&replaced, d, 1),
            IndexNeed::Write(_)
        ));
        let want: Vec<_> = [0, 1, 3, 4, 5]
            .map(rec)
            .into_iter()
            .chain([changed])
            .collect();
        let want = Journal::new(replaced.runs.clone(), want);
        assert_eq!(
            std::fs::read(d.join(JOURNAL_JSON)).unwrap(),
            want.to_json().unwrap()
        );
        assert_eq!(
            value(&read_journal_light(d).unwrap().unwrap()),
            value(&light_from_json(d))
        );
    }

    /// The smallest records (every text empty, nothing optional) are read from an index too.
    #[test]
    fn an_index_of_empty_records_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let empty = |n: usize| JournalRecord {
            output: String::new(),
            asset_uuid: String::new(),
            role: String::new(),
            relative_path: String::new(),
            file_id: String::new(),
            sha256: String::new(),
            size: 0,
            source_sha256: None,
            mtime: None,
            source_mtime: None,
            linked_to: None,
            run: 0,
            ..rec(n)
        };
        let j = Journal::new(vec![], (0..3).map(empty).collect());
        assert!(matches!(write_indexed(&j, d, 1), IndexNeed::Write(_)));
        let got = read_journal_light(d).unwrap().unwrap();
        assert!(got.indexed.is_some());
        assert_eq!(value(&got), value(&light_from_json(d)));
    }

    /// An index that is not that of the journal beside it (the journal edited, the index
    /// damaged) is ignored, and one beside a journal too small to need it is removed.
    #[test]
    fn an_index_not_made_from_the_journal_there_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let first = Journal::new(vec![run(0)], (0..5).map(rec).collect());
        write_indexed(&first, d, 1);
        let json = std::fs::read_to_string(d.join(JOURNAL_JSON)).unwrap();
        // The same length, one size changed by hand.
        let edited = json.replacen("\"size\": 3,", "\"size\": 4,", 1);
        assert_eq!(edited.len(), json.len());
        std::fs::write(d.join(JOURNAL_JSON), &edited).unwrap();
        let j = read_journal_light(d).unwrap().unwrap();
        assert!(j.indexed.is_none());
        assert_eq!(j.files[3].size, 4);

        std::fs::write(d.join(JOURNAL_JSON), &json).unwrap();
        assert!(read_journal_light(d).unwrap().unwrap().indexed.is_some());
        let index = std::fs::read(d.join(JOURNAL_INDEX)).unwrap();
        for bad in [&index[..index.len() - 1], &index[..40], &[]] {
            std::fs::write(d.join(JOURNAL_INDEX), bad).unwrap();
            let j = read_journal_light(d).unwrap().unwrap();
            assert!(j.indexed.is_none());
            assert_eq!(value(&j), value(&light_from_json(d)));
        }
        let mut extra = index.clone();
        extra.push(0);
        std::fs::write(d.join(JOURNAL_INDEX), extra).unwrap();
        assert!(read_journal_light(d).unwrap().unwrap().indexed.is_none());
        // A full read never looks at the index.
        std::fs::write(d.join(JOURNAL_INDEX), &index).unwrap();
        assert!(read_journal(d).unwrap().unwrap().indexed.is_none());

        assert_eq!(write_indexed(&first, d, 6), IndexNeed::Remove);
        assert!(!d.join(JOURNAL_INDEX).exists());
        assert_eq!(write_indexed(&first, d, 6), IndexNeed::Remove);
    }

    #[test]
    fn the_csv_gains_only_the_new_rows_when_it_matches_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let first = Journal::new(vec![run(0)], (0..3).map(rec).collect());
        std::fs::write(
            dir.path().join(JOURNAL_CSV),
            JournalRecord::csv(&first.files),
        )
        .unwrap();
        let mut j = Journal::parse(first.to_json().unwrap()).unwrap();
        // Nothing new: the CSV there stays (its quoted line breaks are not rows).
        assert!(j.csv_for(dir.path()).is_none());
        j.replace_files(vec![rec(3)]).unwrap();
        let want = JournalRecord::csv(&j.files).into_bytes();
        assert_eq!(j.csv_for(dir.path()).unwrap(), want);
        // A CSV missing a row is made again from every record.
        let short = JournalRecord::csv(&first.files[..2]);
        std::fs::write(dir.path().join(JOURNAL_CSV), short).unwrap();
        assert_eq!(j.csv_for(dir.path()).unwrap(), want);
        std::fs::remove_file(dir.path().join(JOURNAL_CSV)).unwrap();
        assert_eq!(j.csv_for(dir.path()).unwrap(), want);
    }
}
