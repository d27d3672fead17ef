//! Converts the embedded CRD catalog and type files (`crds/**.yaml`) to JSON at build time
//! (see `build-support/embed_json.rs`).

#[path = "../build-support/embed_json.rs"]
mod embed_json;

fn main() -> std::process::ExitCode {
    embed_json::main("crds")
}
