//! Every job gets its own output name.
//!
//! Two jobs can map to one name: names Windows forbids are rewritten (`1.7:en:.map` →
//! `1.7_en_.map`, and a device may hold both), and a case-insensitive output file system (macOS
//! and Windows by default) folds `com.apple.Preferences.plist` and `com.apple.preferences.plist`
//! together, which one real iOS 16 device holds side by side (iLEAPP's magnet-mvs-2023 file
//! listing). Without this the second was refused as "already exists" and never written. A name
//! the device itself used wins; the others get ` (1)`, ` (2)`… before the extension, and a
//! warning says where each went (the journals record every output).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::plan::{Job, Source};

fn key(p: &Path, fold_case: bool) -> String {
    let s = p.to_string_lossy();
    if fold_case {
        s.to_lowercase()
    } else {
        s.into_owned()
    }
}

/// Renames colliding jobs in place and returns a warning for each. `reserved` names at the top of
/// OUT are the writer's journals: a job there is renamed rather than overwritten by the journal.
///
/// Numbering is O(1) per name however many jobs share one: the next number to try is kept per
/// base name, so 20,000 files that all become `a_b` cost 20,000 probes, not 200 million.
pub fn make_distinct(jobs: &mut [Job<'_>], fold_case: bool, reserved: &[&str]) -> Vec<String> {
    let mut taken: HashSet<String> = jobs
        .iter()
        .filter(|j| matches!(j.source, Source::Dir))
        .map(|j| key(&j.dest, fold_case))
        .collect();
    taken.extend(reserved.iter().map(|r| key(Path::new(r), fold_case)));
    let kept_as_on_device = |j: &Job<'_>| match j.source {
        Source::Entry(e) => j.dest.to_string_lossy() == format!("{}/{}", e.domain, e.relative_path),
        _ => false,
    };
    let mut order: Vec<usize> = (0..jobs.len())
        .filter(|&i| !matches!(jobs[i].source, Source::Dir))
        .collect();
    // Names kept as the device wrote them are placed first, each group in plan order.
    order.sort_by_key(|&i| (!kept_as_on_device(&jobs[i]), i));
    let mut next: HashMap<String, u64> = HashMap::new();
    let mut warnings = Vec::new();
    for i in order {
        let job = &mut jobs[i];
        if taken.insert(key(&job.dest, fold_case)) {
            continue;
        }
        let name = job
            .dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (stem, ext) = match name.rfind('.') {
            Some(d) if d > 0 => name.split_at(d),
            _ => (name.as_str(), ""),
        };
        let base = key(&job.dest, fold_case);
        let n = next.entry(base).or_insert(1);
        let fresh = loop {
            let c = job.dest.with_file_name(format!("{stem} ({n}){ext}"));
            *n += 1;
            if taken.insert(key(&c, fold_case)) {
                break c;
            }
        };
        warnings.push(format!(
            "{}: written as {} (another entry has that name once made portable{})",
            job.label(),
            fresh.display(),
            if fold_case { " or case-folded" } else { "" }
        ));
        job.dest = fresh;
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Entry;
    use crate::safepath;

    fn entry(path: &str) -> Entry {
        Entry {
            file_id: String::new(),
            domain: "HomeDomain".into(),
            relative_path: path.into(),
            flags: 1,
            meta: Default::default(),
            problem: None,
        }
    }

    fn jobs(es: &[Entry]) -> Vec<Job<'_>> {
        es.iter()
            .map(|e| {
                Job::new(
                    Source::Entry(e),
                    safepath::map_entry(&e.domain, &e.relative_path).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn case_folding_file_systems_get_distinct_names() {
        let es = [entry("P/a.plist"), entry("P/A.plist"), entry("P/b:c")];
        let mut js = jobs(&es);
        // A folder `HomeDomain/p` and a file that folds onto it.
        js.push(Job::new(Source::Dir, "HomeDomain/p"));
        let w = make_distinct(&mut js, true, &[]);
        let names: Vec<String> = js[..3]
            .iter()
            .map(|j| j.dest.display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "HomeDomain/P/a.plist",
                "HomeDomain/P/A (1).plist",
                "HomeDomain/P/b_c"
            ]
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("or case-folded"), "{w:?}");
        // Told apart by case: nothing to rename.
        let mut js = jobs(&es[..2]);
        assert!(make_distinct(&mut js, false, &[]).is_empty());
    }

    #[test]
    fn the_device_name_wins_and_numbering_skips_names_in_use() {
        // `x (1).txt` exists on the device; the rewritten `x:` must skip past it.
        let es = [
            entry("x_.txt"),
            entry("x:.txt"),
            entry("x_ (1).txt"),
            entry("x|.txt"),
        ];
        let mut js = jobs(&es);
        make_distinct(&mut js, false, &[]);
        let names: Vec<String> = js.iter().map(|j| j.dest.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "HomeDomain/x_.txt",
                "HomeDomain/x_ (2).txt",
                "HomeDomain/x_ (1).txt",
                "HomeDomain/x_ (3).txt"
            ]
        );
    }

    #[test]
    fn reserved_journal_names_are_never_given_to_a_job() {
        let mut js = vec![Job::new(
            Source::Bytes(Vec::new().into()),
            "unback-export.json",
        )];
        make_distinct(&mut js, false, &["unback-export.json"]);
        assert_eq!(js[0].dest, Path::new("unback-export (1).json"));
    }

    #[test]
    fn twenty_thousand_names_that_collide_are_numbered_in_linear_time() {
        let es: Vec<Entry> = (0..20_000)
            .map(|i| entry(&format!("a{}b", [':', '*', '?', '|'][i % 4])))
            .collect();
        let mut js = jobs(&es);
        // Without the per-name counter this is 200 million probes (a minute); now instant.
        make_distinct(&mut js, false, &[]);
        let distinct: HashSet<_> = js.iter().map(|j| j.dest.clone()).collect();
        assert_eq!(distinct.len(), 20_000);
        assert_eq!(js[19_999].dest, Path::new("HomeDomain/a_b (19999)"));
    }
}
