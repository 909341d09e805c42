//! `unback completions SHELL` and `unback man`: generated from the clap definitions, so they
//! can never disagree with `--help`. Packagers run them at install time, as they do
//! `rg --generate` and `fd --gen-completions`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::Cli;
use crate::error::{Error, Exit, Result};

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write unback.1 and one page per command (unback-photos-export.1, …) into DIR instead of
    /// printing unback.1; the main page refers to the others by those names.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run_completions(a: CompletionsArgs) -> Result<Exit> {
    let mut cmd = Cli::command();
    super::out(|w| {
        clap_complete::generate(a.shell, &mut cmd, "unback", w);
        Ok(())
    })?;
    Ok(Exit::Ok)
}

pub fn run_man(a: ManArgs) -> Result<Exit> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building names each subcommand for its page (`unback-photos-export`).
    cmd.build();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            write_pages(&cmd, &dir)?;
        }
        None => super::out(|w| man(&cmd).render(w))?,
    }
    Ok(Exit::Ok)
}

/// clap_mangen's own default names a subcommand's page source after the subcommand alone
/// ("export"); every page says "unback <version>" instead.
fn man(cmd: &clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd.clone()).source(format!("unback {}", env!("CARGO_PKG_VERSION")))
}

fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<()> {
    let page = man(cmd);
    let path = dir.join(page.get_filename());
    let mut bytes = Vec::new();
    page.render(&mut bytes).map_err(|e| Error::io(&path, e))?;
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, dir)?;
    }
    Ok(())
}
