//! Execution of a parsed template over a value tree: pipelines, variables and their scopes,
//! field chains, control structures, template calls, with bounded depth and output size.

use crate::funcs::{Entry, Funcs};
use crate::parse::{Arg, BranchKind, Cmd, Node, Pipe, Tree};
use crate::print::sprint;
use crate::value::{Shape, Val, child, element, fields, truth};
use mesh_core::Value;
use std::borrow::Cow;

/// Deepest nesting of `template` calls (Go stops at 100000; a smaller bound keeps the native
/// stack safe and still allows any real recursion).
const MAX_DEPTH: usize = 200;
/// Largest output accepted (bytes).
pub(crate) const MAX_OUTPUT: usize = 16 << 20;
/// Most nodes and range iterations one execution may run: a custom template comes from a
/// ConfigMap, and `range 100000000000` or nested ranges must fail, not stall the injector.
/// Istio's own templates run a few thousand steps per pod.
pub(crate) const MAX_STEPS: u64 = 2_000_000;

/// An execution error: where (offset, the node's text) and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExecError {
    /// Offset in the body.
    pub pos: usize,
    /// The text of the node being executed.
    pub node: String,
    /// What went wrong.
    pub message: String,
}

/// What a list of nodes asks its enclosing `range` to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// One execution.
pub(crate) struct Exec<'t, 'd> {
    tree: &'t Tree,
    funcs: &'t Funcs,
    vars: Vec<(String, Val<'d>)>,
    out: String,
    depth: usize,
    steps: u64,
}

type Res<T> = Result<T, ExecError>;

fn err(pos: usize, node: &str, message: impl Into<String>) -> ExecError {
    ExecError {
        pos,
        node: node.to_string(),
        message: message.into(),
    }
}

impl<'t, 'd> Exec<'t, 'd> {
    /// Runs the main body of `tree` with `data` as dot and `$`, calling `funcs`.
    pub fn run(tree: &'t Tree, funcs: &'t Funcs, data: &'d Value) -> Res<String> {
        let dot = Val::Json(Cow::Borrowed(data), Shape::Struct);
        let mut ex = Exec {
            tree,
            funcs,
            vars: vec![("$".to_string(), dot.clone())],
            out: String::new(),
            depth: 0,
            steps: 0,
        };
        ex.walk_list(&dot, &tree.root)?;
        Ok(ex.out)
    }

    fn write(&mut self, text: &str, pos: usize, node: &str) -> Res<()> {
        if self.out.len() + text.len() > MAX_OUTPUT {
            return Err(err(
                pos,
                node,
                format!("output exceeds {} bytes", MAX_OUTPUT),
            ));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn walk_list(&mut self, dot: &Val<'d>, list: &'t [Node]) -> Res<Flow> {
        for node in list {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    /// Counts one step of work; past [`MAX_STEPS`] the execution fails.
    fn step(&mut self, pos: usize, node: &str) -> Res<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(err(
                pos,
                node,
                format!("execution exceeds {MAX_STEPS} steps"),
            ));
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Val<'d>, node: &'t Node) -> Res<Flow> {
        self.step(0, "")?;
        match node {
            Node::Text(t) => self.write(t, 0, "")?,
            Node::Action(pipe) => {
                let v = self.pipeline(dot, pipe, true)?;
                if pipe.decl.is_empty() {
                    let text = printable(&v).map_err(|m| err(pipe.pos, &pipe.text, m))?;
                    self.write(&text, pipe.pos, &pipe.text)?;
                }
            }
            Node::Branch {
                kind,
                pipe,
                list,
                else_list,
            } => {
                let mark = self.vars.len();
                let flow = match kind {
                    BranchKind::If | BranchKind::With => {
                        let v = self.pipeline(dot, pipe, true)?;
                        if truth(&v) {
                            if *kind == BranchKind::With {
                                self.walk_list(&v, list)?
                            } else {
                                self.walk_list(dot, list)?
                            }
                        } else {
                            self.walk_list(dot, else_list)?
                        }
                    }
                    BranchKind::Range => self.range(dot, pipe, list, else_list)?,
                };
                self.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Template { pos, name, pipe } => {
                let Some(body) = self.tree.defines.get(name) else {
                    return Err(err(
                        *pos,
                        &format!("template {name:?}"),
                        format!("no such template {name:?}"),
                    ));
                };
                if self.depth >= MAX_DEPTH {
                    return Err(err(
                        *pos,
                        &format!("template {name:?}"),
                        format!("exceeded maximum template depth ({MAX_DEPTH})"),
                    ));
                }
                let new_dot = match pipe {
                    Some(p) => self.pipeline(dot, p, true)?,
                    None => Val::Nil,
                };
                let saved =
                    std::mem::replace(&mut self.vars, vec![("$".to_string(), new_dot.clone())]);
                self.depth += 1;
                let result = self.walk_list(&new_dot, body);
                self.depth -= 1;
                self.vars = saved;
                result?;
            }
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        dot: &Val<'d>,
        pipe: &'t Pipe,
        list: &'t [Node],
        else_list: &'t [Node],
    ) -> Res<Flow> {
        let v = self.pipeline(dot, pipe, false)?;
        let items: Vec<(Val<'d>, Val<'d>)> = match v {
            Val::NoValue | Val::Nil | Val::Zero => Vec::new(),
            Val::Json(j, shape) => match j {
                Cow::Borrowed(Value::Array(a)) => a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (Val::int(i as i64), element(Cow::Borrowed(x), shape)))
                    .collect(),
                Cow::Borrowed(Value::Object(m)) if shape != Shape::Struct => m
                    .iter()
                    .map(|(k, x)| (Val::str(k.clone()), child(Cow::Borrowed(x), shape, k)))
                    .collect(),
                Cow::Owned(Value::Array(a)) => a
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| (Val::int(i as i64), element(Cow::Owned(x), shape)))
                    .collect(),
                Cow::Owned(Value::Object(m)) if shape != Shape::Struct => m
                    .into_iter()
                    .map(|(k, x)| {
                        let c = child(Cow::Owned(x), shape, &k);
                        (Val::str(k), c)
                    })
                    .collect(),
                other => {
                    let n = other.as_number().and_then(|n| {
                        if n.is_f64() || shape == Shape::JsonMap {
                            None
                        } else {
                            n.as_i64()
                        }
                    });
                    match n {
                        // Go 1.22: ranging over an integer n yields 0..n-1.
                        Some(n) if n > MAX_STEPS as i64 => {
                            return Err(err(
                                pipe.pos,
                                &pipe.text,
                                format!("range over {n} exceeds {MAX_STEPS} steps"),
                            ));
                        }
                        Some(n) => (0..n.max(0)).map(|i| (Val::int(i), Val::int(i))).collect(),
                        None => {
                            let shown = sprint(&Val::Json(other, shape));
                            return Err(err(
                                pipe.pos,
                                &pipe.text,
                                format!("range can't iterate over {shown}"),
                            ));
                        }
                    }
                }
            },
        };
        if items.is_empty() {
            return self.walk_list(dot, else_list);
        }
        let mark = self.vars.len();
        for (key, elem) in items {
            self.step(pipe.pos, &pipe.text)?;
            match pipe.decl.as_slice() {
                [] => {}
                [v] => self.declare(v, elem.clone()),
                [k, v, ..] => {
                    self.declare(k, key);
                    self.declare(v, elem.clone());
                }
            }
            let flow = self.walk_list(&elem, list)?;
            self.vars.truncate(mark);
            if flow == Flow::Break {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn declare(&mut self, name: &str, v: Val<'d>) {
        self.vars.push((name.to_string(), v));
    }

    fn var(&self, name: &str, pos: usize, node: &str) -> Res<Val<'d>> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| err(pos, node, format!("undefined variable: {name}")))
    }

    /// Evaluates a pipeline; with `bind`, declares or assigns its variables.
    fn pipeline(&mut self, dot: &Val<'d>, pipe: &'t Pipe, bind: bool) -> Res<Val<'d>> {
        let mut value: Option<Val<'d>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(dot, cmd, value, pipe)?);
        }
        let v = value.unwrap_or(Val::NoValue);
        if bind {
            for name in &pipe.decl {
                if pipe.assign {
                    let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) else {
                        return Err(err(
                            pipe.pos,
                            &pipe.text,
                            format!("undefined variable: {name}"),
                        ));
                    };
                    slot.1 = v.clone();
                } else {
                    self.declare(name, v.clone());
                }
            }
        }
        Ok(v)
    }

    fn command(
        &mut self,
        dot: &Val<'d>,
        cmd: &'t Cmd,
        last: Option<Val<'d>>,
        pipe: &'t Pipe,
    ) -> Res<Val<'d>> {
        let Some(first) = cmd.args.first() else {
            return Err(err(cmd.pos, &pipe.text, "empty command"));
        };
        if let Arg::Ident(name) = first {
            return self.call(dot, name, &cmd.args[1..], last, cmd.pos, &pipe.text);
        }
        if cmd.args.len() > 1 || last.is_some() {
            return Err(err(
                cmd.pos,
                &pipe.text,
                format!("can't give argument to non-function {}", arg_text(first)),
            ));
        }
        self.arg(dot, first, cmd.pos, &pipe.text)
    }

    fn call(
        &mut self,
        dot: &Val<'d>,
        name: &str,
        args: &'t [Arg],
        last: Option<Val<'d>>,
        pos: usize,
        node: &str,
    ) -> Res<Val<'d>> {
        // The registry outlives this call: its entries are not borrowed from `self`.
        let funcs: &'t Funcs = self.funcs;
        let entry = funcs.get(name);
        // `and` and `or` stop evaluating at the first argument that decides the result.
        if let Some(&Entry::ShortCircuit(is_or)) = entry {
            let total = args.len() + usize::from(last.is_some());
            if total == 0 {
                return Err(err(
                    pos,
                    node,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut result = Val::NoValue;
            for a in args {
                result = self.arg(dot, a, pos, node)?;
                if truth(&result) == is_or {
                    return Ok(result);
                }
            }
            if let Some(l) = last {
                result = l;
            }
            return Ok(result);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.arg(dot, a, pos, node)?);
        }
        if let Some(l) = last {
            values.push(l);
        }
        let Some(Entry::Func { f, writes_back }) = entry else {
            return Err(err(pos, name, format!("function {name:?} not defined")));
        };
        let result = f(values).map_err(|m| err(pos, name, format!("error calling {name}: {m}")))?;
        // sprig's map mutators change the map a variable holds; write the result back.
        if *writes_back
            && let Some(Arg::Var(var, chain)) = args.first()
            && chain.is_empty()
            && let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == var)
        {
            slot.1 = result.clone();
        }
        Ok(result)
    }

    fn arg(&mut self, dot: &Val<'d>, a: &'t Arg, pos: usize, node: &str) -> Res<Val<'d>> {
        match a {
            Arg::Field(chain) => fields(dot.clone(), chain).map_err(|m| err(pos, &arg_text(a), m)),
            Arg::Var(name, chain) => {
                let v = self.var(name, pos, node)?;
                fields(v, chain).map_err(|m| err(pos, &arg_text(a), m))
            }
            Arg::Chain(inner, chain) => {
                let v = self.pipeline(dot, inner, true)?;
                fields(v, chain).map_err(|m| err(pos, &arg_text(a), m))
            }
            Arg::Ident(name) => self.call(dot, name, &[], None, pos, node),
            Arg::Str(s) => Ok(Val::str(s.clone())),
            Arg::Int(i) => Ok(Val::int(*i)),
            Arg::Float(f) => Ok(Val::float(*f)),
            Arg::Bool(b) => Ok(Val::bool(*b)),
            Arg::Nil => Ok(Val::Nil),
        }
    }
}

/// What an action prints; Go refuses to print functions only, so everything prints.
fn printable(v: &Val<'_>) -> Result<String, String> {
    Ok(sprint(v))
}

fn arg_text(a: &Arg) -> String {
    match a {
        Arg::Field(c) if c.is_empty() => ".".to_string(),
        Arg::Field(c) => c.iter().map(|f| format!(".{f}")).collect(),
        Arg::Var(v, c) => format!(
            "{v}{}",
            c.iter().map(|f| format!(".{f}")).collect::<String>()
        ),
        Arg::Ident(n) => n.clone(),
        Arg::Chain(p, _) => format!("({})", p.text),
        Arg::Str(s) => format!("{s:?}"),
        Arg::Int(i) => i.to_string(),
        Arg::Float(f) => f.to_string(),
        Arg::Bool(b) => b.to_string(),
        Arg::Nil => "nil".to_string(),
    }
}
