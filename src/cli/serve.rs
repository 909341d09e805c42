//! `unback serve`: open the backup as every command does (password file, environment, prompt),
//! then serve its photos to a browser on 127.0.0.1.

use std::io::{IsTerminal, Write};

use crate::error::{Exit, Result};
use crate::serve::{Listen, Server, State};

use super::BackupArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub backup: BackupArgs,
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
    let b = super::open(&a.backup)?;
    let state = State::load(b)?;
    for n in &state.lib.notes {
        eprintln!("unback: note: {n}");
    }
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
    let (server, notes) = Server::bind(state, listen, a.port)?;
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
