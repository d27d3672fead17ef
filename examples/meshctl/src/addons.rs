//! `meshctl addons list|generate`: the observability addons (Kiali, Prometheus, Grafana,
//! Jaeger, Loki, Zipkin) as one YAML stream for `kubectl apply -f -`.

use crate::CliError;
use crate::manifest::write_manifest;
use clap::{Args, Subcommand};
use mesh_manifest::addons::{
    Addon, AddonSettings, RenderInputs, SettingsFile, dashboards_from_files, generate, notes,
    read_settings,
};
use mesh_manifest::dashboards::DashboardFile;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The `addons` subcommands.
#[derive(Subcommand)]
// Each subcommand's flags are added when it is the one run (clap's `defer`): building
// every command's arguments was a third of `meshctl version`'s instructions. So the flag
// structs carry plain comments: clap would take a doc comment there for the command's about.
#[command(defer = true)]
pub enum AddonsCommand {
    /// List the addons, one per line with what it is.
    List,
    /// Generate the addons' objects (one YAML stream that `kubectl apply -f -` accepts once the
    /// control plane is installed).
    Generate(GenerateArgs),
}

// Flags of `addons generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// Addons to generate (see `meshctl addons list`).
    #[arg(value_name = "NAME", required = true)]
    names: Vec<String>,
    /// Settings files (a map of addon settings, optionally `kind: Addons`), merged left to
    /// right (`-` reads stdin; only as the last file).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    files: Vec<String>,
    /// Override a setting: `--set kiali.auth.strategy=token` (repeatable, applied in order).
    #[arg(short = 's', long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// A folder of Grafana dashboard JSON files to use instead of mesh's built-in dashboards.
    #[arg(long = "dashboards", value_name = "DIR")]
    dashboards: Option<PathBuf>,
    /// Write one numbered file per install stage into DIR and print how to apply them.
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
}

/// Runs an `addons` subcommand.
pub fn run(cmd: AddonsCommand) -> Result<ExitCode, CliError> {
    match cmd {
        AddonsCommand::List => {
            for addon in Addon::ALL {
                println!("{:<12}{}", addon.name(), addon.description());
            }
            Ok(ExitCode::SUCCESS)
        }
        AddonsCommand::Generate(args) => generate_cmd(args),
    }
}

/// The addons named, every unknown name reported.
pub fn parse_addons(names: &[String]) -> Result<Vec<Addon>, CliError> {
    let mut addons = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match name.parse::<Addon>() {
            Ok(a) => addons.push(a),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(addons)
    } else {
        Err(CliError::many(errors))
    }
}

/// What rendering `addons` under `settings` needs: a random secret for Kiali's signing key
/// unless one is set, and the dashboards.
pub fn render_inputs(
    addons: &[Addon],
    settings: &AddonSettings,
    dashboards: Option<Vec<DashboardFile>>,
) -> Result<RenderInputs, CliError> {
    let needs_key = addons.contains(&Addon::Kiali) && settings.kiali.auth.signing_key.is_none();
    Ok(RenderInputs {
        secret: if needs_key {
            random_secret()?
        } else {
            Vec::new()
        },
        dashboards,
    })
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode, CliError> {
    let addons = parse_addons(&args.names)?;
    let files: Vec<SettingsFile> = crate::inputs::read_files(&args.files)?
        .into_iter()
        .map(|f| SettingsFile {
            name: f.name,
            text: f.text,
        })
        .collect();
    let settings = read_settings(&files, &args.set)?;
    let dashboards = match &args.dashboards {
        Some(dir) => Some(dashboards_from_files(&read_dashboards(dir)?)?),
        None => None,
    };
    let inputs = render_inputs(&addons, &settings, dashboards)?;
    let manifest = generate(&addons, &settings, &inputs)?;
    for note in notes(&addons) {
        eprintln!("{note}");
    }
    write_manifest(&manifest, args.output_dir.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

/// The `*.json` files of `dir`, by name.
fn read_dashboards(dir: &Path) -> Result<Vec<(String, String)>, CliError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CliError::msg(format!("{}: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| CliError::msg(format!("{}: {e}", dir.display())))?
            .path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.ends_with(".json") || !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::msg(format!("{}: {e}", path.display())))?;
        files.push((name.to_string(), text));
    }
    if files.is_empty() {
        return Err(CliError::msg(format!(
            "--dashboards {}: no *.json files in the folder",
            dir.display()
        )));
    }
    files.sort();
    Ok(files)
}

/// 32 random bytes from the operating system, Kiali's signing key is derived from.
fn random_secret() -> Result<Vec<u8>, CliError> {
    let mut bytes = vec![0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| {
            CliError::msg(format!(
                "/dev/urandom: {e} (set kiali.auth.signingKey to a 32-character key instead)"
            ))
        })?;
    Ok(bytes)
}
