//! Summaries of a backup: the device, the snapshot, counts per kind and per domain.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::backup::Backup;
use crate::manifest::{Entry, EntryKind, ManifestKind};
use crate::time::Timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct BackupInfo {
    pub path: String,
    pub device_name: Option<String>,
    pub product_type: Option<String>,
    pub ios_version: Option<String>,
    pub build_version: Option<String>,
    pub serial_number: Option<String>,
    pub udid: String,
    pub backup_date: Option<Timestamp>,
    pub encrypted: bool,
    pub passcode_set: Option<bool>,
    pub snapshot_state: Option<String>,
    pub full_backup: Option<bool>,
    pub manifest_version: Option<String>,
    pub index: ManifestKind,
    /// The index is encrypted and no password was given: the counts below are `null`.
    pub index_locked: bool,
    pub files: Option<u64>,
    pub directories: Option<u64>,
    pub symlinks: Option<u64>,
    pub other_entries: Option<u64>,
    /// Sum of the recorded sizes of regular files.
    pub total_size: Option<u64>,
    pub domains: Option<u64>,
    pub undecodable_records: Option<u64>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DomainStat {
    pub domain: String,
    pub files: u64,
    pub bytes: u64,
}

/// What the backup says about itself, with counts from `entries` when the index could be read
/// (`None`: an encrypted index and no password, which still leaves the device details).
pub fn backup_info(b: &Backup, entries: Option<&[Entry]>) -> BackupInfo {
    let lock = &b.manifest.lockdown;
    let info = b.info.as_ref();
    let mut i = BackupInfo {
        path: b.path().display().to_string(),
        device_name: b.device_name(),
        product_type: lock
            .product_type
            .clone()
            .or_else(|| info.and_then(|i| i.product_type.clone())),
        ios_version: lock
            .product_version
            .clone()
            .or_else(|| info.and_then(|i| i.product_version.clone())),
        build_version: lock
            .build_version
            .clone()
            .or_else(|| info.and_then(|i| i.build_version.clone())),
        serial_number: lock
            .serial_number
            .clone()
            .or_else(|| info.and_then(|i| i.serial_number.clone())),
        udid: b.udid(),
        backup_date: b
            .manifest
            .date
            .or_else(|| b.status.as_ref().and_then(|s| s.date))
            .or_else(|| info.and_then(|i| i.last_backup_date)),
        encrypted: b.is_encrypted(),
        passcode_set: b.manifest.was_passcode_set,
        snapshot_state: b.status.as_ref().and_then(|s| s.snapshot_state.clone()),
        full_backup: b.status.as_ref().and_then(|s| s.is_full_backup),
        manifest_version: b.manifest.version.clone(),
        index: b.kind,
        index_locked: entries.is_none(),
        files: None,
        directories: None,
        symlinks: None,
        other_entries: None,
        total_size: None,
        domains: None,
        undecodable_records: None,
        warnings: b.warnings.clone(),
    };
    let Some(entries) = entries else {
        return i;
    };
    let (mut files, mut dirs, mut links, mut other, mut size, mut bad) = (0, 0, 0, 0, 0, 0);
    let mut domains = std::collections::BTreeSet::new();
    for e in entries {
        domains.insert(e.domain.as_str());
        match e.kind() {
            EntryKind::File => {
                files += 1;
                size += e.size();
            }
            EntryKind::Dir => dirs += 1,
            EntryKind::Symlink => links += 1,
            EntryKind::Other => other += 1,
        }
        if e.problem.is_some() {
            bad += 1;
        }
    }
    i.files = Some(files);
    i.directories = Some(dirs);
    i.symlinks = Some(links);
    i.other_entries = Some(other);
    i.total_size = Some(size);
    i.domains = Some(domains.len() as u64);
    i.undecodable_records = Some(bad);
    i
}

/// Regular files and their recorded bytes per domain, sorted by domain name.
pub fn domain_stats(entries: &[Entry]) -> Vec<DomainStat> {
    let mut m: BTreeMap<&str, DomainStat> = BTreeMap::new();
    for e in entries {
        let d = m.entry(e.domain.as_str()).or_insert_with(|| DomainStat {
            domain: e.domain.clone(),
            ..Default::default()
        });
        if e.kind() == EntryKind::File {
            d.files += 1;
            d.bytes += e.size();
        }
    }
    m.into_values().collect()
}
