//! `meshctl profile list|dump|diff` (istioctl removed these in 1.24; mesh keeps them).

use crate::CliError;
use crate::inputs::InputArgs;
use clap::{Args, Subcommand};
use mesh_core::{Value, to_yaml_string};
use mesh_profiles::{
    DumpFormat, Inputs, ProfileSource, dump, resolve, unified_diff, user_facing_operator,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// The `profile` subcommands.
#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
pub enum ProfileCommand {
    /// List the available profiles.
    List(ListArgs),
    /// Print a profile merged with files and --set flags: the IstioOperator an install would use.
    Dump(DumpArgs),
    /// Show the differences between two profiles (exit 1 when they differ).
    Diff(DiffArgs),
}

// Flags of `profile list`.
#[derive(Args)]
pub struct ListArgs {
    /// An Istio release's `manifests/` folder to list profiles from.
    #[arg(short = 'd', long = "manifests", value_name = "DIR")]
    manifests: Option<PathBuf>,
}

// Flags of `profile dump`.
#[derive(Args)]
pub struct DumpArgs {
    /// The profile to start from (same as `--set profile=NAME`).
    profile: Option<String>,
    #[command(flatten)]
    inputs: InputArgs,
    /// Print only this subtree, e.g. `values.global` or `components.pilot`.
    #[arg(short = 'p', long = "config-path", value_name = "PATH")]
    config_path: Option<String>,
    /// Output format: yaml, json or flags.
    #[arg(short = 'o', long = "output", default_value = "yaml")]
    output: String,
    /// Print the effective chart values of every component instead (what each chart renders with).
    #[arg(long = "values")]
    values: bool,
}

// Flags of `profile diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// First profile.
    a: String,
    /// Second profile.
    b: String,
    /// An Istio release's `manifests/` folder to read profiles from.
    #[arg(short = 'd', long = "manifests", value_name = "DIR")]
    manifests: Option<PathBuf>,
}

/// Runs a `profile` subcommand.
pub fn run(cmd: ProfileCommand) -> Result<ExitCode, CliError> {
    match cmd {
        ProfileCommand::List(args) => list(args),
        ProfileCommand::Dump(args) => dump_cmd(args),
        ProfileCommand::Diff(args) => diff(args),
    }
}

fn source(dir: Option<PathBuf>) -> ProfileSource {
    dir.map_or(ProfileSource::Builtin, ProfileSource::Dir)
}

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let names = source(args.manifests).names()?;
    println!("Istio configuration profiles:");
    for n in names {
        println!("    {n}");
    }
    Ok(ExitCode::SUCCESS)
}

fn dump_cmd(args: DumpArgs) -> Result<ExitCode, CliError> {
    let format: DumpFormat = args.output.parse()?;
    let extra: Vec<String> = args
        .profile
        .iter()
        .map(|p| format!("profile={p}"))
        .collect();
    let inputs = args.inputs.to_inputs(&extra)?;
    let doc = if args.values {
        let resolved = resolve(&inputs).map_err(resolve_error)?;
        let mut out = serde_json::Map::new();
        for c in &resolved.components {
            out.insert(format!("{}/{}", c.component, c.name), c.values.clone());
        }
        Value::Object(out)
    } else {
        // The IstioOperator as written (no translated copies of spec fields), so that an
        // edited dump passed back with -f behaves like the same change given with --set.
        user_facing_operator(&inputs).map_err(resolve_error)?
    };
    print!("{}", dump(&doc, args.config_path.as_deref(), format)?);
    Ok(ExitCode::SUCCESS)
}

/// Every problem on its own line.
pub fn resolve_error(e: mesh_profiles::ResolveError) -> CliError {
    match e {
        mesh_profiles::ResolveError::Invalid(errs) => {
            CliError::many(errs.iter().map(ToString::to_string).collect())
        }
        other => CliError::msg(other.to_string()),
    }
}

fn diff(args: DiffArgs) -> Result<ExitCode, CliError> {
    let profiles = source(args.manifests);
    let render = |name: &str| -> Result<String, CliError> {
        let inputs = Inputs {
            set_flags: vec![format!("profile={name}")],
            profiles: profiles.clone(),
            ..Inputs::default()
        };
        Ok(to_yaml_string(
            &user_facing_operator(&inputs).map_err(resolve_error)?,
        ))
    };
    let (a, b) = (render(&args.a)?, render(&args.b)?);
    match unified_diff(&args.a, &a, &args.b, &b) {
        None => {
            println!("Profiles are identical");
            Ok(ExitCode::SUCCESS)
        }
        Some(d) => {
            println!("The difference between profiles:");
            print!("{d}");
            Ok(ExitCode::from(1))
        }
    }
}
