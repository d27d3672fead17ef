//! The function registry templates call into ([`Funcs`]), the error a function returns, and
//! the argument conversions Go applies to a function's parameters.

pub(crate) mod args;
pub(crate) mod builtins;
pub(crate) mod sprig;

use crate::print::sprint;
use crate::value::Val;
use args::{check_arity, int_arg, list_items, str_map, string_arg};
use mesh_core::Value;
use serde_json::Map;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A template function's failure, in Go's words. The executor reports it as
/// `error calling NAME: MESSAGE` at the call's position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FuncError {
    message: String,
}

impl FuncError {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
        }
    }
}

impl From<String> for FuncError {
    fn from(message: String) -> FuncError {
        FuncError { message }
    }
}

/// A function body: the evaluated arguments in, a value or an error out.
type FuncRef = Arc<dyn for<'d> Fn(Vec<Val<'d>>) -> Result<Val<'d>, FuncError> + Send + Sync>;

/// A function body from a closure (the bound makes the closure generic over the lifetime).
fn func_ref<F>(f: F) -> FuncRef
where
    F: for<'d> Fn(Vec<Val<'d>>) -> Result<Val<'d>, FuncError> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// What a registered name stands for.
#[derive(Clone)]
pub(crate) enum Entry {
    /// `and` (false) or `or` (true): evaluated by the executor, which stops at the first
    /// argument that decides the result.
    ShortCircuit(bool),
    /// A function; with `writes_back`, the result is also stored in the variable passed as
    /// the first argument (sprig's map mutators change that map in place in Go).
    Func {
        /// The body.
        f: FuncRef,
        /// Whether the result replaces a `$variable` first argument.
        writes_back: bool,
    },
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        match (self, other) {
            (Entry::ShortCircuit(a), Entry::ShortCircuit(b)) => a == b,
            (
                Entry::Func { f, writes_back },
                Entry::Func {
                    f: g,
                    writes_back: w,
                },
            ) => Arc::ptr_eq(f, g) && writes_back == w,
            _ => false,
        }
    }
}

/// The functions a template may call, by name. Parsing checks every called name against the
/// registry (an unknown name is an error with a "did you mean" from the registry) and
/// execution calls the registered bodies. Cloning is cheap (the table is shared).
///
/// Start from [`Funcs::go`] (Go's built-ins), add [`Funcs::with_sprig`] for sprig's text
/// functions, and [`Funcs::with`] your own; a later registration of a name replaces the
/// earlier one.
#[derive(Clone, PartialEq)]
pub struct Funcs {
    table: Arc<BTreeMap<String, Entry>>,
}

impl fmt::Debug for Funcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.table.keys()).finish()
    }
}

impl Funcs {
    /// Go's built-in template functions: `and`, `or`, `not`, `len`, `index`, `slice`,
    /// `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`,
    /// `urlquery` and `call` (which fails: functions are not values here).
    pub fn go() -> Funcs {
        let mut table = BTreeMap::new();
        table.insert("and".to_string(), Entry::ShortCircuit(false));
        table.insert("or".to_string(), Entry::ShortCircuit(true));
        let funcs = Funcs {
            table: Arc::new(table),
        };
        builtins::NAMES.iter().fold(funcs, |funcs, &name| {
            funcs.with(name, move |a| {
                builtins::call(name, a).map_err(FuncError::from)
            })
        })
    }

    /// These functions plus sprig's text functions (`default`, `dict`, `list`, `toJson`,
    /// `indent`, `quote`, `trim`, `add`, `until`, ...; see the crate docs for what is left out).
    pub fn with_sprig(self) -> Funcs {
        sprig::NAMES.iter().fold(self, |funcs, &name| {
            funcs.insert(
                name,
                Entry::Func {
                    f: func_ref(move |a| sprig::call(name, a).map_err(FuncError::from)),
                    writes_back: sprig::MUTATORS.contains(&name),
                },
            )
        })
    }

    /// These functions plus `f` under `name` (replacing a function of that name).
    pub fn with<F>(self, name: impl Into<String>, f: F) -> Funcs
    where
        F: for<'d> Fn(Vec<Val<'d>>) -> Result<Val<'d>, FuncError> + Send + Sync + 'static,
    {
        self.insert(
            name,
            Entry::Func {
                f: func_ref(f),
                writes_back: false,
            },
        )
    }

    fn insert(mut self, name: impl Into<String>, entry: Entry) -> Funcs {
        Arc::make_mut(&mut self.table).insert(name.into(), entry);
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.table.keys().map(String::as_str)
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// The entry registered under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Entry> {
        self.table.get(name)
    }

    /// The registered name closest to `name` (for "did you mean").
    pub(crate) fn suggest(&self, name: &str) -> Option<String> {
        mesh_core::suggest::closest(name, self.names()).map(str::to_string)
    }
}

/// Checks the number of arguments of function `name` as Go does:
/// `wrong number of args for NAME: want N got M` (or `at least N`, `N to M`).
pub fn arity(name: &str, args: &[Val<'_>], min: usize, max: usize) -> Result<(), FuncError> {
    check_arity(name, args, min, max).map_err(FuncError::from)
}

/// The parameter conversions Go applies when a template passes a value to a function, for
/// the functions registered with [`Funcs::with`].
impl<'d> Val<'d> {
    /// The value as a `string` parameter (a struct field's zero value is `""`; anything but
    /// a string is an error).
    pub fn expect_string(&self) -> Result<String, FuncError> {
        string_arg(self).map_err(FuncError::from)
    }

    /// The value as an `int` parameter (integers only; floats are an error as in Go).
    pub fn expect_int(&self) -> Result<i64, FuncError> {
        int_arg(self).map_err(FuncError::from)
    }

    /// The value as a `map[string]string` parameter of function `func` (string maps, or
    /// maps of strings the template built; nil is an empty map).
    pub fn expect_str_map(&self, func: &str) -> Result<Map<String, Value>, FuncError> {
        str_map(func, self).map_err(FuncError::from)
    }

    /// The elements of a list (none for nil); `None` when the value is not a list.
    pub fn list_items(&self) -> Option<Vec<Val<'d>>> {
        list_items(self)
    }

    /// `.name` on the value, as a template's field access evaluates it.
    pub fn field(self, name: &str) -> Result<Val<'d>, FuncError> {
        crate::value::fields(self, &[name.to_string()]).map_err(FuncError::from)
    }

    /// Go's truth of the value (as `if` decides).
    pub fn truthy(&self) -> bool {
        crate::value::truth(self)
    }

    /// `fmt.Sprint` of the value, as an action prints it (`<no value>` for a missing map key,
    /// `<nil>` for nil).
    pub fn sprint(&self) -> String {
        sprint(self)
    }
}
