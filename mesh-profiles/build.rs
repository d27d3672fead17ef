//! Converts the embedded chart values and helm profiles (`charts/**.yaml`), the values' leaf
//! types (`data/**.yaml`) and the built-in profiles (`profiles/*.yaml`) to JSON at build time
//! (see `build-support/embed_json.rs`).

#[path = "../build-support/embed_json.rs"]
mod embed_json;

use std::process::ExitCode;

fn main() -> ExitCode {
    for dir in ["charts", "data", "profiles"] {
        let code = embed_json::main(dir);
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    ExitCode::SUCCESS
}
