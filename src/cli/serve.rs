//! `unback serve`: open the backup as every command does (password file, environment, prompt),
//! then serve its photos to a browser on 127.0.0.1 and ::1. Without BACKUP, the page lists the
//! backups found where `unback backups` looks (or under `--root`) and the user picks one there.

use std::io::{IsTerminal, Write};

use crate::error::{Exit, Result};
use std::path::PathBuf;

use crate::serve::{Choices, Listen, Server, Start, State};

use super::{BackupArgs, SecretArgs};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup folder (holding Manifest.plist), a folder holding several backups, or a .zip
    /// archive of either. Without it, the page lists the backups found (as `unback backups`
    /// does) to choose one, and asks for an encrypted one's password.
    #[arg(value_name = "BACKUP")]
    pub backup: Option<PathBuf>,
    /// Which backup, when BACKUP holds several: its folder name, UDID or device name.
    #[arg(long, value_name = "ID", requires = "backup")]
    pub udid: Option<String>,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Without BACKUP: the folder to look for backups in, instead of the MobileSync folders.
    #[arg(long, value_name = "DIR", conflicts_with = "backup")]
    pub root: Option<PathBuf>,
    /// Port on 127.0.0.1 and ::1 (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// Listen on this IP address instead of the loopback interface (0.0.0.0: every address).
    /// Anyone who can reach it and has the printed address sees every photo: a warning says so.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::IpAddr>,
    /// Open the page in the default browser (the default when stdout is a terminal).
    #[arg(long, conflicts_with = "no_open")]
    pub open: bool,
    /// Do not open a browser, even on a terminal.
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    let start = match a.backup {
        Some(backup) => {
            let b = super::open(&BackupArgs {
                backup,
                udid: a.udid,
                secret: a.secret,
            })?;
            let state = State::load(b)?;
            for n in &state.lib.notes {
                eprintln!("unback: note: {n}");
            }
            Start::Backup(Box::new(state))
        }
        None => {
            let roots = match a.root {
                Some(r) => vec![r],
                None => crate::discover::default_roots()
                    .into_iter()
                    .filter(|p| p.is_dir())
                    .collect(),
            };
            let mut found = Vec::new();
            for r in &roots {
                found.extend(crate::discover::find_backups(r)?);
            }
            let c = Choices::new(found);
            eprintln!(
                "unback: {} backup(s) found; choose one in the page",
                c.len()
            );
            super::clean_up_on_interrupt();
            Start::Choose(c)
        }
    };
    let listen = match a.listen {
        None => Listen::Loopback,
        Some(ip) => {
            if ip != std::net::IpAddr::from([127, 0, 0, 1]) && ip != std::net::Ipv6Addr::LOCALHOST {
                eprintln!(
                    "unback: warning: listening on {ip}, not only on 127.0.0.1 and ::1: whoever \
                     reaches it with the printed address (its token) sees and downloads every photo"
                );
            }
            Listen::Addr(ip)
        }
    };
    let (server, notes) = Server::bind(start, listen, a.port)?;
    for n in notes {
        eprintln!("unback: note: {n}");
    }
    let url = server.url();
    // The one line on stdout, flushed at once: a script (or a test) reads the address from it.
    {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{url}");
        let _ = o.flush();
    }
    if listen == Listen::Loopback {
        eprintln!("unback: serving the photos on 127.0.0.1 and ::1 only; Ctrl-C stops");
    } else {
        eprintln!("unback: serving the photos; Ctrl-C stops");
    }
    if a.open || (!a.no_open && std::io::stdout().is_terminal()) {
        open_browser(&url);
    }
    server.run();
    Ok(Exit::Ok)
}

/// The system's own opener; a failure only means the user opens the printed address by hand.
fn open_browser(url: &str) {
    let r = if cfg!(target_os = "macos") {
        std::process::Command::new("open").arg(url).spawn()
    } else if cfg!(windows) {
        // `start`'s first quoted argument is a window title, hence the empty one.
        std::process::Command::new("cmd")
            .args(["/C", "start", "", url])
            .spawn()
    } else {
        std::process::Command::new("xdg-open").arg(url).spawn()
    };
    if let Err(e) = r {
        eprintln!("unback: could not open a browser ({e}); open the address above");
    }
}
