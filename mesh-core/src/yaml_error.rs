//! Why a YAML text could not be read, told in one line: where (file, line, column), what is
//! wrong and what to do about it. The parser's own error is kept as the cause.

use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::{Error as ParserError, budget::BudgetBreach};
use std::fmt;

use crate::yaml::{MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES};

/// A YAML text that could not be read. Displayed as `SOURCE:LINE:COLUMN: problem (advice)`,
/// one line (`SOURCE: problem` when the problem has no position); the parser's error, if any,
/// is the [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct YamlError {
    /// Where the text came from (a file name, `--set`, `<stdin>`, ...).
    pub source_name: String,
    /// The rest, boxed so that errors holding a `YamlError` stay small.
    detail: Box<Detail>,
}

#[derive(Debug)]
struct Detail {
    position: Option<(u64, u64)>,
    problem: String,
    parser: Option<ParserError>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}{}",
            self.source_name,
            PositionPrefix(self.detail.position),
            self.detail.problem
        )
    }
}

impl std::error::Error for YamlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.detail
            .parser
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl YamlError {
    /// An error for what the parser refused.
    pub(crate) fn parser(source_name: &str, source: ParserError) -> Self {
        YamlError {
            source_name: source_name.to_string(),
            detail: Box::new(Detail {
                position: source.location().map(|l| (l.line(), l.column())),
                problem: describe(innermost(&source)),
                parser: Some(source),
            }),
        }
    }

    /// An error for a text longer than [`MAX_YAML_BYTES`].
    pub(crate) fn too_big(source_name: &str, bytes: usize) -> Self {
        YamlError {
            source_name: source_name.to_string(),
            detail: Box::new(Detail {
                position: None,
                problem: format!(
                    "too big: {} (mesh reads YAML of at most {}; split the input)",
                    mib(bytes),
                    mib(MAX_YAML_BYTES)
                ),
                parser: None,
            }),
        }
    }

    /// The line and column (both from 1) of the problem, when known.
    pub fn position(&self) -> Option<(u64, u64)> {
        self.detail.position
    }

    /// What is wrong and what to do, in one line, without the source or position.
    pub fn problem(&self) -> &str {
        &self.detail.problem
    }

    /// The problem with its position, without the source name: `line 3, column 1: problem`
    /// (for messages that name the source themselves).
    pub fn located_problem(&self) -> String {
        match self.detail.position {
            Some((line, column)) => {
                format!("line {line}, column {column}: {}", self.detail.problem)
            }
            None => self.detail.problem.clone(),
        }
    }
}

/// `LINE:COLUMN: ` or ` ` before the problem.
struct PositionPrefix(Option<(u64, u64)>);

impl fmt::Display for PositionPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((line, column)) => write!(f, "{line}:{column}: "),
            None => f.write_str(" "),
        }
    }
}

/// A size in MiB, rounded up to a tenth (so that a text over the limit never reads as equal to it).
fn mib(bytes: usize) -> String {
    // Exact enough for a message.
    #[allow(clippy::cast_precision_loss)]
    let tenths = (bytes as f64 / (1024.0 * 1024.0) * 10.0).ceil() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0} MiB")
    } else {
        format!("{tenths:.1} MiB")
    }
}

/// The error that says what is wrong, inside the wrappers that add a snippet or an alias site.
fn innermost(e: &ParserError) -> &ParserError {
    match e {
        ParserError::WithSnippet { error, .. } | ParserError::AliasError { error, .. } => {
            innermost(error)
        }
        e => e,
    }
}

/// One line in mesh's words for each problem a user can make; anything else falls back to the
/// parser's own description, without its position (the caller prints that).
fn describe(e: &ParserError) -> String {
    let text = match e {
        ParserError::DuplicateMappingKey { key: Some(key), .. } => {
            format!("duplicate key {key:?} (a key may appear once in a map)")
        }
        ParserError::DuplicateMappingKey { key: None, .. } => {
            "duplicate key (a key may appear once in a map)".to_string()
        }
        ParserError::ExternalMessage { source, msg, .. } => match &**source {
            serde_saphyr::ExternalMessageSource::Parser(scan) => {
                syntax(scan.kind()).unwrap_or_else(|| msg.clone())
            }
            _ => msg.clone(),
        },
        ParserError::Budget { breach, .. } => budget(breach),
        ParserError::Eof { .. } => {
            "unexpected end of the text (close every open bracket and quote)".to_string()
        }
        ParserError::UnknownAnchor { .. } => {
            "alias to an anchor that is not defined (define \"&name\" before using \"*name\")"
                .to_string()
        }
        ParserError::AliasReplayLimitExceeded { .. }
        | ParserError::AliasExpansionLimitExceeded { .. }
        | ParserError::AliasReplayStackDepthExceeded { .. }
        | ParserError::AliasReplayCounterOverflow { .. } => {
            "aliases expand to too much data (write the values out instead of aliasing them)"
                .to_string()
        }
        ParserError::MultipleDocuments { .. } => {
            "more than one YAML document (one is expected here; remove the \"---\" line)"
                .to_string()
        }
        ParserError::NullIntoString { .. } => "empty map key (give the key a name)".to_string(),
        ParserError::NonFiniteFloat { value, .. } => {
            format!("{value} is not a finite number (quote it to use it as a string)")
        }
        ParserError::InvalidUtf8Input => "not UTF-8 text (save it as UTF-8)".to_string(),
        ParserError::InvalidBinaryBase64 { .. } => {
            "a !!binary value is not valid base64".to_string()
        }
        ParserError::Unexpected { expected, .. } => {
            format!("expected {expected} (map keys are plain strings, numbers or booleans)")
        }
        other => without_location(other),
    };
    // One line whatever the parser said.
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The syntax errors a user makes most, in mesh's words.
fn syntax(kind: &ErrorKind) -> Option<String> {
    Some(match kind {
        ErrorKind::UnclosedFlowCollection { open } => {
            let (close, what) = if *open == '{' {
                ('}', "map")
            } else {
                (']', "list")
            };
            format!("unclosed \"{open}\" (close the {what} with \"{close}\")")
        }
        ErrorKind::MismatchedFlowCollectionEnd { open, close } => {
            format!(
                "\"{open}\" closed by \"{close}\" (close \"[\" with \"]\" and \"{{\" with \"}}\")"
            )
        }
        ErrorKind::MisplacedFlowCollectionEnd => {
            "closing bracket without an opening one (remove it or quote the value)".to_string()
        }
        ErrorKind::UnexpectedEofFlowSequence => {
            "unclosed \"[\" (close the list with \"]\")".to_string()
        }
        ErrorKind::UnexpectedEofFlowMapping | ErrorKind::UnexpectedEofImplicitFlowMapping => {
            "unclosed \"{\" (close the map with \"}\")".to_string()
        }
        ErrorKind::UnclosedQuotedScalar => {
            "unclosed quoted string (end it with the quote it starts with)".to_string()
        }
        ErrorKind::TabInIndentation
        | ErrorKind::TabInBlockIndentation
        | ErrorKind::TabNotAllowed
        | ErrorKind::TabInPlainScalar
        | ErrorKind::TabAtBlockScalarStart => {
            "tab character in the indentation (YAML indents with spaces only)".to_string()
        }
        ErrorKind::ExpectedBlockMappingKey | ErrorKind::InvalidIndentation => {
            "bad indentation: this line does not line up with the keys of its map (indent the \
             keys of one map by the same number of spaces)"
                .to_string()
        }
        ErrorKind::MappingValueNotAllowed
        | ErrorKind::SimpleKeyExpected
        | ErrorKind::InvalidSimpleKey => {
            "unexpected \":\" (check the indentation of this line and the one before it, and \
             quote a value that holds \": \")"
                .to_string()
        }
        ErrorKind::ExpectedBlockSequenceEntry | ErrorKind::BlockSequenceEntryNotAllowed => {
            "a map key among list items (start each list item with \"- \", or indent the key \
             under an item)"
                .to_string()
        }
        ErrorKind::UnexpectedCharacter { character } => {
            format!("a value cannot start with {character:?} (quote the value)")
        }
        ErrorKind::RecursionLimitExceeded => too_deep(),
        ErrorKind::UnexpectedEof
        | ErrorKind::UnexpectedEofBlockSequence
        | ErrorKind::UnexpectedEofBlockMapping => {
            "unexpected end of the text (close every open bracket and quote)".to_string()
        }
        ErrorKind::InputDecoding { .. } => "not UTF-8 text (save it as UTF-8)".to_string(),
        _ => return None,
    })
}

fn too_deep() -> String {
    format!("nested too deep (mesh reads at most {MAX_YAML_DEPTH} levels of lists and maps)")
}

fn budget(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Depth { .. } => too_deep(),
        BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => format!(
            "too many values (mesh reads at most {MAX_YAML_NODES} per input; split the input)"
        ),
        BudgetBreach::Documents { .. } => {
            "too many documents (split the input into several files)".to_string()
        }
        BudgetBreach::ScalarBytes { .. } => format!(
            "too big (mesh reads YAML of at most {}; split the input)",
            mib(MAX_YAML_BYTES)
        ),
        _ => {
            "aliases or anchors expand to too much data (write the values out instead)".to_string()
        }
    }
}

/// The parser's description without the ` at line L, column C` it appends.
fn without_location(e: &ParserError) -> String {
    let text = e.to_string();
    match e.location() {
        Some(l) => {
            let suffix = format!(" at line {}, column {}", l.line(), l.column());
            text.strip_suffix(&suffix).unwrap_or(&text).to_string()
        }
        None => text,
    }
}
