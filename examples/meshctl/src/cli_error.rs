//! The error a command returns: one or more messages, printed one per line, exit code 2.

use std::fmt;

/// A failed command: each message names the file or flag and the path inside it.
#[derive(Debug)]
pub struct CliError {
    messages: Vec<String>,
}

impl CliError {
    /// An error with one message.
    pub fn msg(message: impl Into<String>) -> Self {
        CliError {
            messages: vec![message.into()],
        }
    }

    /// An error with several messages (all validation errors, not just the first).
    pub fn many(messages: Vec<String>) -> Self {
        CliError { messages }
    }

    /// The outcome of writing a command's output to standard output: a closed pipe (`| head`)
    /// is not an error; any other failure (a full disk behind `>`) is, named `<stdout>`.
    pub fn stdout_written(result: std::io::Result<()>) -> Result<(), CliError> {
        match result {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(CliError::msg(format!("<stdout>: cannot write: {e}")))
            }
            _ => Ok(()),
        }
    }

    /// The messages, one per line (multi-line messages are split).
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().flat_map(|m| m.lines())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages.join("\n"))
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::msg(e.to_string())
    }
}
