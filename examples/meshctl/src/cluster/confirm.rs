//! Asking the user before changing a cluster (skipped with `-y`).

use crate::CliError;
use std::io::{BufRead, Write};

/// Asks `question` on stderr and reads the answer from stdin: only `y`/`yes` proceed. A closed
/// stdin (scripts, CI) is a refusal that says how to skip the question.
pub fn confirm(question: &str) -> Result<(), CliError> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} Proceed? (y/N) ");
    let _ = err.flush();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer);
    let _ = writeln!(err);
    match read {
        Ok(0) | Err(_) => Err(CliError::msg(
            "no answer on stdin: pass -y (--skip-confirmation) to proceed without asking",
        )),
        Ok(_) if is_yes(&answer) => Ok(()),
        Ok(_) => Err(CliError::msg("cancelled")),
    }
}

/// Whether an answer means yes.
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_and_yes_proceed() {
        assert!(is_yes("y\n"));
        assert!(is_yes(" YES "));
        assert!(!is_yes(""));
        assert!(!is_yes("n"));
        assert!(!is_yes("yep"));
    }
}
