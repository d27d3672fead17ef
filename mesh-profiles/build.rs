//! Converts the embedded chart values and helm profiles (`charts/**.yaml`) to JSON at build time
//! (see `build-support/embed_json.rs`).

#[path = "../build-support/embed_json.rs"]
mod embed_json;

fn main() -> std::process::ExitCode {
    embed_json::main("charts")
}
