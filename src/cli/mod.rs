//! The command line: argument definitions, one file per command, and printing. No format
//! knowledge lives here; each command turns its arguments into library calls.

mod backups;
mod completions;
mod crypt;
mod extract;
mod info;
mod ls;
mod photos;
mod progress;
mod recover;
mod secrets;
mod serve;
mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Result;
use crate::Backup;

#[derive(Debug, Parser)]
#[command(
    name = "unback",
    version,
    about = "Read iPhone/iPad backups made by iTunes or Finder: list them, rebuild their file tree, export files and photos",
    after_help = "Exit codes: 0 success, 1 other failure, 2 usage, 3 wrong password or locked backup, 4 unreadable or unsupported backup, 5 finished but some entries were missing or failed."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every command that opens one backup.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The backup folder (holding Manifest.plist), a folder holding several backups, or a .zip
    /// archive of either.
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
    /// Which backup, when BACKUP holds several: its folder name, UDID or device name.
    #[arg(long, value_name = "ID")]
    pub udid: Option<String>,
    #[command(flatten)]
    pub secret: SecretArgs,
}

/// Options shared by every command that writes files into OUT.
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Replace files that already exist in OUT.
    #[arg(long, conflicts_with = "skip_existing")]
    pub overwrite: bool,
    /// Leave files that already exist in OUT (finishes an interrupted run).
    #[arg(long)]
    pub skip_existing: bool,
    #[command(flatten)]
    pub jobs: JobsArg,
}

impl WriteArgs {
    /// `--overwrite` / `--skip-existing` (mutually exclusive in clap) to the write policy.
    pub fn existing(&self) -> crate::export::Existing {
        use crate::export::Existing;
        if self.overwrite {
            Existing::Overwrite
        } else if self.skip_existing {
            Existing::Skip
        } else {
            Existing::Refuse
        }
    }
}

/// `-j`: a writer's worker threads.
#[derive(Debug, Clone, clap::Args)]
pub struct JobsArg {
    /// Worker threads, at most 64 (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 0, value_parser = parse_jobs)]
    pub jobs: usize,
}

/// More threads than `export::MAX_JOBS` only contend for the disk, and a huge `-j` spent a
/// minute spawning threads: refused with the limit instead.
fn parse_jobs(s: &str) -> std::result::Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if n > crate::export::MAX_JOBS {
        return Err(format!(
            "at most {} worker threads",
            crate::export::MAX_JOBS
        ));
    }
    Ok(n)
}

/// Where the password of an encrypted backup comes from. Never from the command line itself:
/// argv is visible to every user of the machine.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecretArgs {
    /// Read the backup password from FILE (one trailing newline is ignored). Otherwise the
    /// UNBACK_PASSWORD environment variable, otherwise a prompt when stdin is a terminal.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Use a key saved by `unback key` (64 hex digits) instead of the password; skips the slow
    /// key derivation. Also from the UNBACK_KEY environment variable.
    #[arg(long, value_name = "FILE", conflicts_with = "password_file")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the backups under a folder (default: the MobileSync folders of this computer).
    #[command(
        after_help = "Example:\n  unback backups ~/Library/Application\\ Support/MobileSync/Backup"
    )]
    Backups(backups::Args),
    /// Show the device, the backup date, encryption, and counts of files, folders and domains.
    #[command(after_help = "Example:\n  unback info /path/to/00008110-001A2B3C4D5E801E --json")]
    Info(info::InfoArgs),
    /// List each domain with its number of files and bytes.
    #[command(after_help = "Example:\n  unback domains /path/to/backup")]
    Domains(info::DomainsArgs),
    /// List the rebuilt file tree, optionally filtered by path and domain globs.
    #[command(
        after_help = "Examples:\n  unback ls BACKUP 'Media/DCIM/**/*.HEIC' --domain CameraRollDomain -l\n  unback ls BACKUP --type l --json"
    )]
    Ls(ls::Args),
    /// Photos and videos: list them, export them by category, album and date.
    #[command(subcommand)]
    Photos(photos::PhotosCmd),
    /// A health report: blobs present and sized right, encryption as declared, orphans,
    /// photo assets with nothing in the backup. Exit 0 healthy, 5 problems, 4 unreadable.
    #[command(
        after_help = "Examples:\n  unback verify BACKUP\n  unback verify BACKUP --deep --json"
    )]
    Verify(verify::Args),
    /// Find what a normal export misses: deleted and hidden assets, previews of offloaded
    /// originals, deleted database records, orphan blobs, images embedded in other files.
    #[command(
        after_help = "Examples:\n  unback recover BACKUP out/\n  unback recover BACKUP out/ --only carved --only orphans\n  unback recover diff OLDER_BACKUP NEWER_BACKUP"
    )]
    Recover(recover::Args),
    /// Password tools for encrypted backups.
    #[command(subcommand)]
    Password(crypt::PasswordCmd),
    /// Derive the backup key once and print it (or save it with --out) for --key-file / UNBACK_KEY.
    #[command(
        after_help = "Example:\n  unback key BACKUP --out backup.key   # then: unback ls BACKUP --key-file backup.key"
    )]
    Key(crypt::KeyArgs),
    /// Print the password-recovery hash line ($itunes_backup$...) that hashcat and John the Ripper read.
    #[command(after_help = "Example:\n  unback hash BACKUP > backup.hash")]
    Hash(crypt::HashArgs),
    /// Write an encrypted backup out as a complete unencrypted one that other tools read.
    #[command(after_help = "Example:\n  unback decrypt BACKUP plain-copy/ --password-file pw.txt")]
    Decrypt(crypt::DecryptArgs),
    /// Write files to OUT/<domain>/<relativePath>, in parallel and atomically.
    #[command(
        after_help = "Examples:\n  unback extract BACKUP out/ 'Media/DCIM/**' --domain CameraRollDomain\n  unback extract BACKUP out/ --skip-existing   # finish an interrupted run"
    )]
    Extract(extract::Args),
    /// Browse the photos in a web page on this computer (127.0.0.1 only), pick some, export them.
    #[command(after_help = "Example:\n  unback serve BACKUP --port 8080 --open")]
    Serve(serve::Args),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    #[command(
        after_help = "Examples:\n  unback completions bash > ~/.local/share/bash-completion/completions/unback\n  unback completions zsh > ~/.zfunc/_unback"
    )]
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command with --dir.
    #[command(after_help = "Example:\n  unback man > ~/.local/share/man/man1/unback.1")]
    Man(completions::ManArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Backups(a) => backups::run(a),
        Command::Info(a) => info::run_info(a),
        Command::Domains(a) => info::run_domains(a),
        Command::Ls(a) => ls::run(a),
        Command::Extract(a) => extract::run(a),
        Command::Photos(c) => photos::run(c),
        Command::Verify(a) => verify::run(a),
        Command::Recover(a) => recover::run(a),
        Command::Password(c) => crypt::run_password(c),
        Command::Key(a) => crypt::run_key(a),
        Command::Hash(a) => crypt::run_hash(a),
        Command::Decrypt(a) => crypt::run_decrypt(a),
        Command::Serve(a) => serve::run(a),
        Command::Completions(a) => completions::run_completions(a),
        Command::Man(a) => completions::run_man(a),
    };
    let exit = match result {
        Ok(e) => e,
        Err(e) => {
            eprintln!("unback: {e}");
            e.exit()
        }
    };
    ExitCode::from(exit.code())
}

/// Resolves BACKUP (and `--udid`) to one backup and opens it, printing its warnings.
pub fn open(args: &BackupArgs) -> Result<Backup> {
    open_with(args, false)
}

/// Like `open`, but an encrypted backup with no password given (no option, no environment
/// variable, no terminal to prompt on) stays locked instead of failing: `info` still shows the
/// device. A password that is given and wrong is still an error.
pub fn open_or_locked(args: &BackupArgs) -> Result<Backup> {
    open_with(args, true)
}

fn open_with(args: &BackupArgs, allow_locked: bool) -> Result<Backup> {
    let mut b = Backup::open_location(&crate::discover::resolve(
        &args.backup,
        args.udid.as_deref(),
    )?)?;
    for w in &b.warnings {
        eprintln!("unback: warning: {w}");
    }
    if b.is_encrypted() {
        match secrets::obtain(&args.secret, &b.display_path(crate::backup::MANIFEST_PLIST)) {
            Ok(secret) => {
                if let Ok(kb) = b.keybag() {
                    secrets::warn_if_slow(
                        &kb,
                        &secret,
                        &b.display_path(crate::backup::MANIFEST_PLIST),
                    );
                }
                let r = b.unlock(&secret)?;
                secrets::report_form(&r);
            }
            Err(crate::Error::Locked { .. }) if allow_locked => eprintln!(
                "unback: note: the backup is encrypted and no password was given; showing what is readable without it"
            ),
            Err(e) => return Err(e),
        }
    }
    clean_up_on_interrupt();
    Ok(b)
}

/// From here on Ctrl-C removes the temporary files being written before
/// exiting with 130, so an interrupted export leaves only complete files. Installed after any
/// password prompt: exiting from inside the prompt would leave the terminal without echo.
fn clean_up_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            let (n, _held) = crate::export::abandon_partial_files();
            if n > 0 {
                eprintln!(
                    "\nunback: interrupted; removed {n} partial file(s), every file under its final name is complete; run again with --skip-existing to finish"
                );
            } else {
                eprintln!("\nunback: interrupted");
            }
            std::process::exit(crate::Exit::Interrupted.code().into());
        });
    });
}

/// Writes to stdout, treating a closed pipe (`| head`) as a normal end.
pub fn out(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match f(&mut w).and_then(|()| w.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(crate::Error::io(Path::new("<stdout>"), e)),
    }
}

/// Prints the per-file problems of a writing command. Files refused because they exist are
/// shown a few at a time: a second run into the same folder would otherwise print one line per
/// file. The journal keeps every one.
pub fn print_problems(problems: &[crate::export::Problem]) {
    const SHOWN: usize = 3;
    let mut exists = 0;
    for p in problems {
        if p.kind == crate::export::ProblemKind::Exists {
            exists += 1;
            if exists > SHOWN {
                continue;
            }
        }
        eprintln!("unback: {}: {}", p.entry, p.cause);
    }
    if exists > SHOWN {
        eprintln!(
            "unback: … and {} more files that already exist (use --overwrite or --skip-existing)",
            exists - SHOWN
        );
    }
}
