//! `meshctl completion SHELL` (a completion script on stdout) and `meshctl man` (the manual
//! pages, in roff), both generated from meshctl's own command line so they never go stale.

use crate::CliError;
use clap::{Args, ValueEnum};
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The shells meshctl prints completions for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CompletionShell {
    /// Bash: `source <(meshctl completion bash)`.
    Bash,
    /// Zsh: `meshctl completion zsh > "${fpath[1]}/_meshctl"`.
    Zsh,
    /// Fish: `meshctl completion fish > ~/.config/fish/completions/meshctl.fish`.
    Fish,
    /// PowerShell: `meshctl completion powershell | Out-String | Invoke-Expression`.
    Powershell,
    /// Elvish: `eval (meshctl completion elvish | slurp)`.
    Elvish,
}

// Flags of `completion`.
#[derive(Args)]
#[command(after_help = "Examples:
  # Complete meshctl in the current bash session, and in every new one
  source <(meshctl completion bash)
  echo 'source <(meshctl completion bash)' >> ~/.bashrc

  # Zsh, from a folder on $fpath
  meshctl completion zsh > \"${fpath[1]}/_meshctl\"")]
pub struct CompletionArgs {
    /// The shell to complete in.
    shell: CompletionShell,
}

// Flags of `man`.
#[derive(Args)]
#[command(after_help = "Examples:
  # Read the manual page
  meshctl man | man -l -

  # Install the pages of every command
  meshctl man --dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// Write one page per command into DIR (meshctl.1, meshctl-profile-dump.1, ...) instead of
    /// printing meshctl(1).
    #[arg(long = "dir", value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script of a shell.
pub fn run_completion(args: CompletionArgs) -> Result<ExitCode, CliError> {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
        CompletionShell::Elvish => Shell::Elvish,
    };
    let mut cmd = crate::help::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "meshctl", &mut out);
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints meshctl(1), or writes every command's page into a folder.
pub fn run_man(args: ManArgs) -> Result<ExitCode, CliError> {
    let mut cmd = crate::help::command().disable_help_subcommand(true);
    cmd.build();
    match args.dir {
        None => {
            let page = page(&cmd).map_err(|e| CliError::msg(format!("man page: {e}")))?;
            write_stdout(&page)?;
        }
        Some(dir) => {
            write_pages(&cmd, &dir).map_err(|e| CliError::msg(format!("{}: {e}", dir.display())))?
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::msg(format!("<stdout>: {e}")))
}

/// Writes the page of `cmd` and of each of its visible subcommands into `dir`.
fn write_pages(cmd: &clap::Command, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    std::fs::write(dir.join(format!("{name}.1")), page(cmd)?)
}

/// The lines roff output starts each rendered part with (a string for the apostrophe).
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// One manual page: clap_mangen's sections, with the examples as an EXAMPLES section. The page
/// starts with its `.TH` line, followed by the apostrophe string once.
fn page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let sections = sections(cmd)?;
    let body = String::from_utf8_lossy(&sections).replace(PREAMBLE, "");
    let (title, rest) = body.split_once('\n').unwrap_or((&body, ""));
    Ok(format!("{title}\n{PREAMBLE}{rest}").into_bytes())
}

fn sections(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(examples) = crate::help::man_examples(cmd) {
        out.extend_from_slice(b".SH EXAMPLES\n.nf\n");
        for line in examples.lines() {
            out.extend_from_slice(roff_line(line).as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b".fi\n");
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// A line of text as roff prints it verbatim: backslashes escaped, and a leading `.` or `'`
/// kept from reading as a request.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}
