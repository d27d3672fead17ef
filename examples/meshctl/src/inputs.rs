//! Flags shared by the commands that resolve a configuration (`-f`, `--set`, `-r`, `--manifests`)
//! and reading their files.

use crate::CliError;
use clap::Args;
use mesh_manifest::render::CrdSource;
use mesh_profiles::{InputFile, Inputs, ProfileSource};
use std::io::Read;
use std::path::{Path, PathBuf};

// Configuration input flags, as istioctl names them (a plain comment: see `Command`).
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// IstioOperator files, merged left to right (`-` reads stdin; only as the last file).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,
    /// Override a value: `--set values.global.logging.level=debug` (repeatable, applied in order).
    #[arg(short = 's', long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// An Istio release's `manifests/` folder to read profiles (and CRDs) from.
    #[arg(short = 'd', long = "manifests", value_name = "DIR")]
    pub manifests: Option<PathBuf>,
}

impl InputArgs {
    /// Reads the files and builds the resolver inputs; `extra_sets` go before the user's flags.
    pub fn to_inputs(&self, extra_sets: &[String]) -> Result<Inputs, CliError> {
        let files = read_files(&self.files)?;
        let mut set_flags = extra_sets.to_vec();
        set_flags.extend(self.set.iter().cloned());
        let profiles = match &self.manifests {
            Some(dir) => ProfileSource::Dir(dir.clone()),
            None => ProfileSource::Builtin,
        };
        Ok(Inputs {
            files,
            set_flags,
            profiles,
        })
    }
}

/// Reads the `-f` files in order (`-` is stdin, allowed only as the last file).
pub fn read_files(names: &[String]) -> Result<Vec<InputFile>, CliError> {
    let mut files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let text = if name == "-" {
            if i + 1 != names.len() {
                return Err(CliError::msg(
                    "-f -: stdin is only allowed as the last file",
                ));
            }
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| CliError::msg(format!("<stdin>: {e}")))?;
            s
        } else {
            std::fs::read_to_string(name.trim())
                .map_err(|e| CliError::msg(format!("{name}: {e}")))?
        };
        files.push(InputFile {
            name: if name == "-" {
                "<stdin>".into()
            } else {
                name.clone()
            },
            text,
        });
    }
    Ok(files)
}

/// The CRD definitions to render: the `crd-all.gen.yaml` of an Istio release's `manifests/`
/// folder (`--manifests DIR`), else mesh's embedded ones.
pub fn crd_source(manifests: Option<&Path>) -> Result<CrdSource, CliError> {
    let Some(dir) = manifests else {
        return Ok(CrdSource::Embedded);
    };
    let file = dir.join("charts/base/files/crd-all.gen.yaml");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| CliError::msg(format!("{}: {e}", file.display())))?;
    Ok(CrdSource::File {
        name: file.display().to_string(),
        text,
    })
}
