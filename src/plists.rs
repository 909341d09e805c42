//! Info.plist, Manifest.plist and Status.plist as typed values.
//!
//! Fields are picked out of a `plist::Value` one by one rather than through serde, because real
//! files omit keys freely and a wrong type in one informational key must not make the backup
//! unreadable.

#![deny(clippy::indexing_slicing)]

use plist::{Dictionary, Value};

use crate::time::Timestamp;

fn string(d: &Dictionary, key: &str) -> Option<String> {
    d.get(key).and_then(Value::as_string).map(str::to_owned)
}

fn boolean(d: &Dictionary, key: &str) -> Option<bool> {
    d.get(key).and_then(Value::as_boolean)
}

fn data(d: &Dictionary, key: &str) -> Option<Vec<u8>> {
    d.get(key).and_then(Value::as_data).map(<[u8]>::to_vec)
}

fn date(d: &Dictionary, key: &str) -> Option<Timestamp> {
    let t: std::time::SystemTime = d.get(key)?.as_date()?.into();
    Some(Timestamp::from_system_time(t))
}

fn parse_dict(bytes: &[u8]) -> Result<Dictionary, String> {
    match Value::from_reader(std::io::Cursor::new(bytes)) {
        Ok(Value::Dictionary(d)) => Ok(d),
        Ok(_) => Err("the property list is not a dictionary".into()),
        Err(e) => Err(format!("not a valid property list ({e})")),
    }
}

/// Device facts written by the host into Info.plist. Informational only: a backup works without it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct InfoPlist {
    pub device_name: Option<String>,
    pub display_name: Option<String>,
    pub product_type: Option<String>,
    pub product_version: Option<String>,
    pub build_version: Option<String>,
    pub serial_number: Option<String>,
    pub target_identifier: Option<String>,
    pub unique_identifier: Option<String>,
    pub imei: Option<String>,
    pub phone_number: Option<String>,
    pub last_backup_date: Option<Timestamp>,
    pub itunes_version: Option<String>,
}

impl InfoPlist {
    pub fn parse(bytes: &[u8]) -> Result<InfoPlist, String> {
        let d = parse_dict(bytes)?;
        Ok(InfoPlist {
            device_name: string(&d, "Device Name"),
            display_name: string(&d, "Display Name"),
            product_type: string(&d, "Product Type"),
            product_version: string(&d, "Product Version"),
            build_version: string(&d, "Build Version"),
            serial_number: string(&d, "Serial Number"),
            target_identifier: string(&d, "Target Identifier"),
            unique_identifier: string(&d, "Unique Identifier"),
            imei: string(&d, "IMEI"),
            phone_number: string(&d, "Phone Number"),
            last_backup_date: date(&d, "Last Backup Date"),
            itunes_version: string(&d, "iTunes Version"),
        })
    }
}

/// The `Lockdown` dictionary of Manifest.plist: the device as the backup itself recorded it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Lockdown {
    pub device_name: Option<String>,
    pub product_type: Option<String>,
    pub product_version: Option<String>,
    pub build_version: Option<String>,
    pub serial_number: Option<String>,
    pub unique_device_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ManifestPlist {
    pub is_encrypted: bool,
    pub version: Option<String>,
    pub date: Option<Timestamp>,
    pub was_passcode_set: Option<bool>,
    pub system_domains_version: Option<String>,
    /// The TLV keybag (section 4 of FORMAT.md); present in plain backups too.
    pub backup_keybag: Option<Vec<u8>>,
    /// 4-byte little-endian class + 40-byte wrapped key of Manifest.db (encrypted, iOS 10.2+).
    pub manifest_key: Option<Vec<u8>>,
    pub lockdown: Lockdown,
    pub application_count: usize,
}

impl ManifestPlist {
    pub fn parse(bytes: &[u8]) -> Result<ManifestPlist, String> {
        let d = parse_dict(bytes)?;
        let lockdown = match d.get("Lockdown").and_then(Value::as_dictionary) {
            Some(l) => Lockdown {
                device_name: string(l, "DeviceName"),
                product_type: string(l, "ProductType"),
                product_version: string(l, "ProductVersion"),
                build_version: string(l, "BuildVersion"),
                serial_number: string(l, "SerialNumber"),
                unique_device_id: string(l, "UniqueDeviceID"),
            },
            None => Lockdown::default(),
        };
        Ok(ManifestPlist {
            is_encrypted: boolean(&d, "IsEncrypted").unwrap_or(false),
            version: string(&d, "Version"),
            date: date(&d, "Date"),
            was_passcode_set: boolean(&d, "WasPasscodeSet"),
            system_domains_version: string(&d, "SystemDomainsVersion"),
            backup_keybag: data(&d, "BackupKeyBag"),
            manifest_key: data(&d, "ManifestKey"),
            lockdown,
            application_count: d
                .get("Applications")
                .and_then(Value::as_dictionary)
                .map_or(0, Dictionary::len),
        })
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatusPlist {
    pub snapshot_state: Option<String>,
    pub is_full_backup: Option<bool>,
    pub version: Option<String>,
    pub uuid: Option<String>,
    pub date: Option<Timestamp>,
    pub backup_state: Option<String>,
}

impl StatusPlist {
    pub fn parse(bytes: &[u8]) -> Result<StatusPlist, String> {
        let d = parse_dict(bytes)?;
        Ok(StatusPlist {
            snapshot_state: string(&d, "SnapshotState"),
            is_full_backup: boolean(&d, "IsFullBackup"),
            version: string(&d, "Version"),
            uuid: string(&d, "UUID"),
            date: date(&d, "Date"),
            backup_state: string(&d, "BackupState"),
        })
    }

    /// A backup whose snapshot did not finish is still worth reading (forensic use), but the user
    /// must be told.
    pub fn is_finished(&self) -> bool {
        self.snapshot_state
            .as_deref()
            .is_none_or(|s| s == "finished")
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn real_info_plist() {
        let Some(bytes) =
            crate::realdata::read_realdata("mvt-project_mvt/tests/artifacts/ios_backup/Info.plist")
        else {
            return;
        };
        let info = InfoPlist::parse(&bytes).unwrap();
        assert_eq!(info.product_type.as_deref(), Some("iPhone9,3"));
        assert_eq!(info.product_version.as_deref(), Some("14.3"));
        assert_eq!(info.serial_number.as_deref(), Some("F1234567890"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(ManifestPlist::parse(b"not a plist").is_err());
        assert!(StatusPlist::parse(b"bplist00\xff\xff").is_err());
        assert!(InfoPlist::parse(b"").is_err());
    }
}
