//! The parser of Go `text/template` bodies: the node tree (text, actions, `if`/`range`/`with`,
//! `template`, `break`/`continue`) and the named templates (`define`, `block`).

use crate::funcs::Funcs;
use crate::lex::{Number, Tok, Token, number};
use std::collections::BTreeMap;

/// A node of a template body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`: prints the value unless the pipeline declares or assigns variables.
    Action(Pipe),
    /// `if`, `with` or `range` with its body and `else` part.
    Branch {
        /// Which control structure.
        kind: BranchKind,
        /// The condition or ranged value.
        pipe: Pipe,
        /// The body.
        list: Vec<Node>,
        /// The `else` part (may hold a nested `if`/`with` for `else if`/`else with`).
        else_list: Vec<Node>,
    },
    /// `{{ template "name" pipeline }}`.
    Template {
        /// Offset in the body.
        pos: usize,
        /// The template name.
        name: String,
        /// The data passed (nil when absent).
        pipe: Option<Pipe>,
    },
    /// `{{ break }}` (offset).
    Break(usize),
    /// `{{ continue }}` (offset).
    Continue(usize),
}

/// `if`, `with` or `range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BranchKind {
    /// `{{ if }}`
    If,
    /// `{{ with }}`
    With,
    /// `{{ range }}`
    Range,
}

/// A pipeline: optional variable declaration, then commands joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipe {
    /// Offset in the body.
    pub pos: usize,
    /// The source text of the pipeline (for error messages).
    pub text: String,
    /// Declared or assigned variables (`$x :=`, `$i, $v :=`).
    pub decl: Vec<String>,
    /// Whether `=` (assignment) rather than `:=`.
    pub assign: bool,
    /// The commands.
    pub cmds: Vec<Cmd>,
}

/// One command of a pipeline: a function call or a single value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cmd {
    /// Offset in the body.
    pub pos: usize,
    /// The operands; the first one is the function when it is an identifier.
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// `.A.B` (names without dots); empty for `.`.
    Field(Vec<String>),
    /// `$x.A.B`.
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).A.B`.
    Chain(Box<Pipe>, Vec<String>),
    /// A string constant.
    Str(String),
    /// An integer constant.
    Int(i64),
    /// A floating-point constant.
    Float(f64),
    /// `true`/`false`.
    Bool(bool),
    /// `nil`.
    Nil,
}

/// The parse result: the main body and the named templates.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Tree {
    /// The main body.
    pub root: Vec<Node>,
    /// `define`d and `block` templates.
    pub defines: BTreeMap<String, Vec<Node>>,
}

/// A parse error: byte offset and message.
pub(crate) type ParseError = (usize, String);

/// Parses a token stream. `src` is the body (for the text of pipelines); a function name
/// `funcs` does not have is an error.
pub(crate) fn parse(src: &str, tokens: Vec<Token>, funcs: &Funcs) -> Result<Tree, ParseError> {
    let mut p = Parser {
        src,
        toks: tokens,
        i: 0,
        funcs,
        defines: BTreeMap::new(),
        range_depth: 0,
    };
    let (root, end) = p.list(true)?;
    if let Some((pos, word)) = end {
        return Err((pos, format!("unexpected {{{{{word}}}}}")));
    }
    Ok(Tree {
        root,
        defines: p.defines,
    })
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
    funcs: &'a Funcs,
    defines: BTreeMap<String, Vec<Node>>,
    range_depth: usize,
}

/// How a list ended: `{{end}}`, `{{else}}` (with what follows `else` still to parse).
type ListEnd = Option<(usize, &'static str)>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.kind)
    }

    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .map(|t| t.pos)
            .unwrap_or(self.src.len())
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn skip_space(&mut self) {
        while self.peek() == Some(&Tok::Space) {
            self.i += 1;
        }
    }

    fn peek_non_space(&mut self) -> Option<&Tok> {
        self.skip_space();
        self.peek()
    }

    fn expect_right(&mut self, what: &str) -> Result<(), ParseError> {
        self.skip_space();
        let pos = self.pos();
        match self.next().map(|t| t.kind) {
            Some(Tok::Right) => Ok(()),
            other => Err((
                pos,
                format!("unexpected {} in {what}", describe(other.as_ref())),
            )),
        }
    }

    /// Parses nodes until `{{end}}`/`{{else}}` (returned) or the end of input (only allowed
    /// at the top level).
    fn list(&mut self, top: bool) -> Result<(Vec<Node>, ListEnd), ParseError> {
        let mut nodes = Vec::new();
        loop {
            let pos = self.pos();
            let Some(tok) = self.next() else {
                if top {
                    return Ok((nodes, None));
                }
                return Err((pos, "unexpected EOF".to_string()));
            };
            match tok.kind {
                Tok::Text(t) => nodes.push(Node::Text(t)),
                Tok::Left => {
                    let start = tok.pos;
                    self.skip_space();
                    let keyword = match self.peek() {
                        Some(Tok::Ident(w)) => Some(w.clone()),
                        _ => None,
                    };
                    match keyword.as_deref() {
                        Some("end") => {
                            self.i += 1;
                            self.expect_right("end")?;
                            return Ok((nodes, Some((start, "end"))));
                        }
                        Some("else") => {
                            self.i += 1;
                            return Ok((nodes, Some((start, "else"))));
                        }
                        Some(kw @ ("if" | "with" | "range")) => {
                            let kind = match kw {
                                "if" => BranchKind::If,
                                "with" => BranchKind::With,
                                _ => BranchKind::Range,
                            };
                            self.i += 1;
                            nodes.push(self.branch(kind)?);
                        }
                        Some("define") => {
                            self.i += 1;
                            if !top {
                                return Err((
                                    start,
                                    "define inside a control structure".to_string(),
                                ));
                            }
                            let name = self.template_name("define")?;
                            self.expect_right("define clause")?;
                            let (body, end) = self.list(false)?;
                            if end.map(|e| e.1) != Some("end") {
                                return Err((start, "unexpected {{else}} in define".to_string()));
                            }
                            self.defines.insert(name, body);
                        }
                        Some(kw @ ("template" | "block")) => {
                            let block = kw == "block";
                            self.i += 1;
                            let name = self.template_name(kw)?;
                            let pipe = if self.peek_non_space() == Some(&Tok::Right) {
                                None
                            } else {
                                Some(self.pipeline(false)?)
                            };
                            self.expect_right(kw)?;
                            if block {
                                let (body, end) = self.list(false)?;
                                if end.map(|e| e.1) != Some("end") {
                                    return Err((
                                        start,
                                        "unexpected {{else}} in block".to_string(),
                                    ));
                                }
                                self.defines.insert(name.clone(), body);
                            }
                            nodes.push(Node::Template {
                                pos: start,
                                name,
                                pipe,
                            });
                        }
                        Some(kw @ ("break" | "continue")) => {
                            self.i += 1;
                            if self.range_depth == 0 {
                                return Err((start, format!("{{{{{kw}}}}} outside {{{{range}}}}")));
                            }
                            self.expect_right(kw)?;
                            nodes.push(if kw == "break" {
                                Node::Break(start)
                            } else {
                                Node::Continue(start)
                            });
                        }
                        _ => {
                            let pipe = self.pipeline(true)?;
                            self.expect_right("command")?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
                other => return Err((tok.pos, format!("unexpected {}", describe(Some(&other))))),
            }
        }
    }

    fn template_name(&mut self, what: &str) -> Result<String, ParseError> {
        self.skip_space();
        let pos = self.pos();
        match self.next().map(|t| t.kind) {
            Some(Tok::Str(s)) => Ok(s),
            other => Err((
                pos,
                format!("unexpected {} in {what} clause", describe(other.as_ref())),
            )),
        }
    }

    /// `if`/`with`/`range` after the keyword: pipeline, body, optional else, end.
    fn branch(&mut self, kind: BranchKind) -> Result<Node, ParseError> {
        let pipe = self.pipeline(kind == BranchKind::Range)?;
        self.expect_right(branch_name(kind))?;
        if kind == BranchKind::Range {
            self.range_depth += 1;
        }
        let body = self.list(false);
        if kind == BranchKind::Range {
            self.range_depth -= 1;
        }
        let (list, end) = body?;
        let mut else_list = Vec::new();
        if let Some((else_pos, "else")) = end {
            self.skip_space();
            // `{{else if ...}}` / `{{else with ...}}`: a nested branch sharing the `{{end}}`.
            let chained = match self.peek() {
                Some(Tok::Ident(w)) if w == "if" && kind == BranchKind::If => Some(BranchKind::If),
                Some(Tok::Ident(w)) if w == "with" && kind == BranchKind::With => {
                    Some(BranchKind::With)
                }
                _ => None,
            };
            if let Some(inner) = chained {
                self.i += 1;
                else_list.push(self.branch(inner)?);
                return Ok(Node::Branch {
                    kind,
                    pipe,
                    list,
                    else_list,
                });
            }
            self.expect_right("else")?;
            let (els, end2) = self.list(false)?;
            if end2.map(|e| e.1) != Some("end") {
                return Err((else_pos, "expected end; found {{else}}".to_string()));
            }
            else_list = els;
        }
        Ok(Node::Branch {
            kind,
            pipe,
            list,
            else_list,
        })
    }

    /// A pipeline up to (not including) `}}` or `)`.
    fn pipeline(&mut self, allow_decl: bool) -> Result<Pipe, ParseError> {
        self.skip_space();
        let start = self.pos();
        let mut decl = Vec::new();
        let mut assign = false;
        if allow_decl && let Some(Tok::Var(_)) = self.peek() {
            let save = self.i;
            let mut names = Vec::new();
            while let Some(Tok::Var(v)) = self.peek().cloned() {
                self.i += 1;
                names.push(v);
                match self.peek_non_space() {
                    Some(Tok::Comma) if names.len() == 1 => {
                        self.i += 1;
                        self.skip_space();
                    }
                    Some(Tok::Declare) => {
                        self.i += 1;
                        decl = names;
                        break;
                    }
                    Some(Tok::Assign) => {
                        self.i += 1;
                        decl = names;
                        assign = true;
                        break;
                    }
                    _ => {
                        names.clear();
                        break;
                    }
                }
            }
            if decl.is_empty() {
                self.i = save;
            }
        }
        let mut cmds = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(Tok::Right) | Some(Tok::RParen) | None => break,
                _ => {}
            }
            cmds.push(self.command()?);
            if self.peek() == Some(&Tok::Pipe) {
                self.i += 1;
                continue;
            }
            break;
        }
        let end = self.pos();
        if cmds.is_empty() {
            return Err((start, "missing value for command".to_string()));
        }
        let text = self.src.get(start..end).unwrap_or("").trim().to_string();
        Ok(Pipe {
            pos: start,
            text,
            decl,
            assign,
            cmds,
        })
    }

    fn command(&mut self) -> Result<Cmd, ParseError> {
        let pos = self.pos();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some(Tok::Right) | Some(Tok::RParen) | Some(Tok::Pipe) | None => break,
                _ => {}
            }
            args.push(self.operand()?);
            match self.peek() {
                Some(Tok::Space) | Some(Tok::Right) | Some(Tok::RParen) | Some(Tok::Pipe) => {}
                other => {
                    let d = describe(other);
                    return Err((self.pos(), format!("unexpected {d} in operand")));
                }
            }
        }
        if args.is_empty() {
            return Err((pos, "empty command".to_string()));
        }
        Ok(Cmd { pos, args })
    }

    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(Tok::Field(f)) = self.peek() {
            out.push(f.clone());
            self.i += 1;
        }
        out
    }

    fn operand(&mut self) -> Result<Arg, ParseError> {
        let pos = self.pos();
        let Some(tok) = self.next() else {
            return Err((pos, "unexpected EOF".to_string()));
        };
        let arg = match tok.kind {
            Tok::Dot => {
                if let Some(Tok::Field(_)) = self.peek() {
                    return Err((pos, "unexpected . after term".to_string()));
                }
                Arg::Field(Vec::new())
            }
            Tok::Field(f) => {
                let mut chain = vec![f];
                chain.extend(self.fields());
                Arg::Field(chain)
            }
            Tok::Var(v) => Arg::Var(v, self.fields()),
            Tok::Ident(name) => {
                if !self.funcs.contains(&name) {
                    let hint = match self.funcs.suggest(&name) {
                        Some(s) => format!(" (did you mean {s:?}?)"),
                        None => String::new(),
                    };
                    return Err((pos, format!("function {name:?} not defined{hint}")));
                }
                if let Some(Tok::Field(_)) = self.peek() {
                    return Err((pos, format!("unexpected field after function {name:?}")));
                }
                Arg::Ident(name)
            }
            Tok::LParen => {
                let inner = self.pipeline(true)?;
                match self.next().map(|t| t.kind) {
                    Some(Tok::RParen) => {}
                    other => {
                        return Err((
                            pos,
                            format!("unclosed left paren, found {}", describe(other.as_ref())),
                        ));
                    }
                }
                Arg::Chain(Box::new(inner), self.fields())
            }
            Tok::Str(s) => Arg::Str(s),
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Nil => Arg::Nil,
            Tok::Number(n) => match number(&n) {
                Some(Number::Int(i)) => Arg::Int(i),
                Some(Number::Float(f)) => Arg::Float(f),
                None => return Err((pos, format!("bad number syntax: {n:?}"))),
            },
            other => {
                return Err((
                    pos,
                    format!("unexpected {} in operand", describe(Some(&other))),
                ));
            }
        };
        if matches!(
            arg,
            Arg::Str(_) | Arg::Bool(_) | Arg::Nil | Arg::Int(_) | Arg::Float(_)
        ) && let Some(Tok::Field(_)) = self.peek()
        {
            return Err((pos, "unexpected field after constant".to_string()));
        }
        Ok(arg)
    }
}

fn branch_name(kind: BranchKind) -> &'static str {
    match kind {
        BranchKind::If => "if",
        BranchKind::With => "with",
        BranchKind::Range => "range",
    }
}

fn describe(t: Option<&Tok>) -> String {
    match t {
        None => "EOF".to_string(),
        Some(Tok::Text(_)) => "text".to_string(),
        Some(Tok::Left) => "\"{{\"".to_string(),
        Some(Tok::Right) => "\"}}\"".to_string(),
        Some(Tok::Space) => "space".to_string(),
        Some(Tok::Ident(s)) => format!("<{s}>"),
        Some(Tok::Field(s)) => format!("<.{s}>"),
        Some(Tok::Dot) => "<.>".to_string(),
        Some(Tok::Var(s)) => format!("<{s}>"),
        Some(Tok::Str(s)) => format!("{s:?}"),
        Some(Tok::Number(s)) => format!("<{s}>"),
        Some(Tok::Bool(b)) => format!("<{b}>"),
        Some(Tok::Nil) => "<nil>".to_string(),
        Some(Tok::LParen) => "\"(\"".to_string(),
        Some(Tok::RParen) => "\")\"".to_string(),
        Some(Tok::Pipe) => "\"|\"".to_string(),
        Some(Tok::Declare) => "\":=\"".to_string(),
        Some(Tok::Assign) => "\"=\"".to_string(),
        Some(Tok::Comma) => "\",\"".to_string(),
    }
}
