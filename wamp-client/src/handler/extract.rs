//! The parameters of a handler: [`FromParts`] and the wrappers that pick out of a call or an
//! event what is not a positional argument.

use std::any::{Any, TypeId};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use wamp_core::value::{from_value, Dict, Value};
use wamp_core::Id;

use super::invocation::{Invocation, Progress};
use crate::link::ProgressSink;
use crate::payload::{Event, Payload};
use crate::session::Session;

/// Shared state handed to a handler ([`Procedure::with_state`](super::Procedure::with_state)).
pub(crate) type SharedState = Arc<dyn Any + Send + Sync>;

/// A state type a handler's parameters need: checked when the component is built (or the
/// handler registered), never on an invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateNeed {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
}

/// What a handler's parameters are taken from: one invocation or one event, with the
/// session it came through and the handler's shared state.
#[derive(Debug)]
pub struct Parts {
    args: std::vec::IntoIter<Value>,
    position: usize,
    /// The keyword arguments not taken yet.
    kwargs: Dict,
    /// Whether a catch-all parameter (`Kwargs`, `Invocation`, `Event`) took the keyword
    /// arguments: the others are then not unexpected.
    kwargs_caught: bool,
    /// The handler's parameter names, in order (`""` for a parameter without one); empty
    /// when the handler was declared without them (a plain fn, not through the macros).
    names: &'static [&'static str],
    /// Bit `i`: parameter `i` takes an argument (positionally, else by name).
    takes_argument: u16,
    /// The parameter being taken.
    param: usize,
    details: Dict,
    source: Source,
    state: Option<SharedState>,
    session: Option<Session>,
}

#[derive(Debug)]
enum Source {
    Call {
        request: Id,
        registration: Id,
        procedure: String,
        progress: Option<ProgressSink>,
    },
    Event {
        subscription: Id,
        publication: Id,
        topic: String,
    },
}

impl Parts {
    pub(crate) fn from_invocation(inv: Invocation, state: Option<SharedState>) -> Parts {
        let (session, progress) = (inv.session, inv.progress.sink);
        Parts {
            state,
            args: inv.payload.args.into_iter(),
            position: 0,
            kwargs: inv.payload.kwargs,
            kwargs_caught: false,
            names: &[],
            takes_argument: 0,
            param: 0,
            details: inv.details,
            source: Source::Call {
                request: inv.request,
                registration: inv.registration,
                procedure: inv.procedure,
                progress,
            },
            session,
        }
    }

    pub(crate) fn from_event(
        event: Event,
        session: Option<Session>,
        state: Option<SharedState>,
    ) -> Parts {
        Parts {
            state,
            args: event.payload.args.into_iter(),
            position: 0,
            kwargs: event.payload.kwargs,
            kwargs_caught: false,
            names: &[],
            takes_argument: 0,
            param: 0,
            details: event.details,
            source: Source::Event {
                subscription: event.subscription,
                publication: event.publication,
                topic: event.topic,
            },
            session,
        }
    }

    /// Gives the handler's parameter names (see [`Procedure::with_names`]).
    ///
    /// [`Procedure::with_names`]: super::Procedure::with_names
    pub(crate) fn set_names(&mut self, names: &'static [&'static str]) {
        self.names = names;
    }

    /// Says which parameters take an argument (bit `i` for parameter `i`).
    pub(crate) fn set_takes_argument(&mut self, mask: u16) {
        self.takes_argument = mask;
    }

    /// Says which parameter is taken next.
    pub(crate) fn set_param(&mut self, index: usize) {
        self.param = index;
    }

    /// The name of parameter `index`, if the handler was given one.
    fn name_of(&self, index: usize) -> Option<&'static str> {
        self.names.get(index).copied().filter(|n| !n.is_empty())
    }

    /// The name of the parameter being taken, if the handler was given one.
    fn current_name(&self) -> Option<&'static str> {
        self.name_of(self.param)
    }

    /// The parameter being taken, as an error message names it: "parameter `b`", or
    /// "parameter 2" (counted from 1) when it has no name.
    pub(crate) fn describe_param(&self) -> String {
        match self.current_name() {
            Some(name) => format!("parameter `{name}`"),
            None => format!("parameter {}", self.param + 1),
        }
    }

    /// Whether `key` is the name of a parameter that takes an argument by that name.
    fn is_parameter_name(&self, key: &str) -> bool {
        (0..self.names.len().min(16))
            .any(|i| self.takes_argument & (1 << i) != 0 && self.names[i] == key)
    }

    /// What is left once every parameter is taken, as an error: more positional arguments
    /// than the parameters that took them, or keyword arguments that no parameter takes
    /// (unless a catch-all such as `Kwargs<T>` took them).
    pub(crate) fn leftovers(&self) -> Option<String> {
        let extra = self.args.len();
        if extra > 0 {
            return Some(format!(
                "{} positional arguments given, at most {} expected",
                self.position + extra,
                self.position
            ));
        }
        if self.kwargs_caught || self.kwargs.is_empty() {
            return None;
        }
        let unknown: Vec<String> = self.kwargs.keys().map(|k| format!("`{k}`")).collect();
        let s = if unknown.len() == 1 { "" } else { "s" };
        let known: Vec<String> = (0..self.names.len().min(16))
            .filter(|&i| self.takes_argument & (1 << i) != 0)
            .filter_map(|i| self.name_of(i))
            .map(|n| format!("`{n}`"))
            .collect();
        let hint = if !known.is_empty() {
            format!("; keyword arguments taken: {}", known.join(", "))
        } else if self.names.is_empty() && self.takes_argument != 0 {
            "; this handler was declared without parameter names (declare it with #[register] or #[subscribe], or give them with with_names), and takes no `Kwargs<T>`".to_owned()
        } else {
            "; this handler takes no keyword arguments".to_owned()
        };
        Some(format!(
            "unexpected keyword argument{s} {}{hint}",
            unknown.join(", ")
        ))
    }

    /// Everything not taken yet, as a payload (the parts are then empty).
    fn take_payload(&mut self) -> Payload {
        let args: Vec<Value> = self.args.by_ref().collect();
        self.position += args.len();
        self.kwargs_caught = true;
        Payload::from_parts(args, std::mem::take(&mut self.kwargs))
    }
}

/// One parameter of a handler, taken from the [`Parts`] of a call or an event.
///
/// Every serde type is a positional parameter; the wrappers of this module take the rest.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter",
    label = "not a serde type nor a wrapper of `wamp_client::handler`",
    note = "a positional parameter is any `serde::Deserialize` type; keyword arguments are `Kwargs<T>`; details are `CallDetails` or `EventDetails`; shared state is `State<T>`"
)]
pub trait FromParts: Sized {
    /// Takes the parameter; the error says why it cannot (without naming the parameter:
    /// the caller adds that).
    fn from_parts(parts: &mut Parts) -> Result<Self, String>;

    /// The state type this parameter needs, if any (see [`State`]).
    fn state_need() -> Option<StateNeed> {
        None
    }

    /// Whether the parameter takes an argument: the next positional one, else the keyword
    /// argument of its name. True for every serde type, false for the wrappers.
    fn takes_argument() -> bool {
        false
    }
}

/// A serde type takes the next positional argument, else the keyword argument of the
/// parameter's name (when the handler knows its parameters' names: see
/// [`Procedure::with_names`](super::Procedure::with_names)), else reads `null` (so an
/// `Option` is `None`).
impl<T: DeserializeOwned> FromParts for T {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let position = parts.position;
        parts.position += 1;
        let name = parts.current_name();
        if let Some(v) = parts.args.next() {
            if let Some(name) = name.filter(|n| parts.kwargs.contains_key(n)) {
                return Err(format!(
                    "given twice, as positional argument {position} and as keyword argument `{name}`"
                ));
            }
            return from_value(v).map_err(|e| format!("positional argument {position}: {e}"));
        }
        if let Some(v) = name.and_then(|n| parts.kwargs.remove(n)) {
            return from_value(v).map_err(|e| format!("keyword argument: {e}"));
        }
        from_value(Value::Null).map_err(|_| match name {
            Some(name) => format!(
                "missing: give it as positional argument {position} or as keyword argument `{name}`"
            ),
            None => format!("positional argument {position} is missing"),
        })
    }

    fn takes_argument() -> bool {
        true
    }
}

/// All the positional arguments not taken by an earlier parameter (Python's `*args`), as a
/// `Vec` (or any serde type that reads a list).
///
/// ```
/// use wamp_client::handler::{procedure, Args, Kwargs};
/// use wamp_client::{Dict, Value};
///
/// // Autobahn's `arglen(*args, **kwargs)`: how many of each.
/// async fn arglen(args: Args<Vec<Value>>, kwargs: Kwargs<Dict>) -> Vec<usize> {
///     vec![args.0.len(), kwargs.0.len()]
/// }
/// let p = procedure(arglen);
/// # drop(p);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Args<T>(pub T);

impl<T: DeserializeOwned> FromParts for Args<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let from = parts.position;
        let rest: Vec<Value> = parts.args.by_ref().collect();
        parts.position += rest.len();
        from_value(Value::List(rest))
            .map(Args)
            .map_err(|e| format!("positional arguments from {from} on: {e}"))
    }
}

/// The keyword arguments (Python's `**kwargs`), as a struct (fields by name; use
/// `#[serde(default)]` for optional ones) or a map: all of them but those named like a
/// parameter that takes an argument, which that parameter takes. A handler with a `Kwargs`
/// parameter accepts any keyword argument; one without refuses those that no parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Kwargs<T>(pub T);

impl<T: DeserializeOwned> FromParts for Kwargs<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        if parts.kwargs_caught {
            return Err("the keyword arguments are taken by an earlier parameter".into());
        }
        parts.kwargs_caught = true;
        let all = std::mem::take(&mut parts.kwargs);
        let kwargs = if parts.names.is_empty() {
            all
        } else {
            let mut kwargs = Dict::new();
            for (key, value) in all {
                if parts.is_parameter_name(&key) {
                    parts.kwargs.insert(key, value);
                } else {
                    kwargs.insert(key, value);
                }
            }
            kwargs
        };
        from_value(Value::Dict(kwargs))
            .map(Kwargs)
            .map_err(|e| format!("keyword arguments: {e}"))
    }
}

/// Shared application state, given with [`Procedure::with_state`](super::Procedure::with_state),
/// [`EventHandler::with_state`](super::EventHandler::with_state) or
/// [`Declaration::with_state`](crate::component::Declaration::with_state): a clone of the `Arc`
/// handed there. Its type is checked when the component is built (or the handler
/// registered), so a wiring mistake is a configuration error, never an error sent to a caller.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use wamp_client::handler::{procedure, State};
///
/// async fn next(counter: State<AtomicU64>) -> u64 {
///     counter.fetch_add(1, Ordering::Relaxed)
/// }
/// let counter = Arc::new(AtomicU64::new(0));
/// let p = procedure(next).with_state(counter.clone());
/// # drop(p);
/// ```
#[derive(Debug)]
pub struct State<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: ?Sized> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromParts for State<T> {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        // The state's type was checked against `state_need` before the handler could run.
        let state = parts.state.clone().ok_or_else(|| missing_state::<T>())?;
        state
            .downcast::<T>()
            .map(State)
            .map_err(|_| missing_state::<T>())
    }

    fn state_need() -> Option<StateNeed> {
        Some(StateNeed {
            type_id: TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
        })
    }
}

fn missing_state<T>() -> String {
    format!("no state of type {} was given", std::any::type_name::<T>())
}

/// Checks that `state` is what every parameter needing state needs.
pub(crate) fn check_state(
    needs: &[StateNeed],
    state: Option<&(TypeId, &'static str)>,
) -> Result<(), String> {
    for need in needs {
        match state {
            None => {
                return Err(format!(
                    "a State<{}> parameter needs state: give it with with_state(Arc<{}>)",
                    need.type_name, need.type_name
                ))
            }
            Some((id, name)) if *id != need.type_id => {
                return Err(format!(
                    "a State<{}> parameter cannot take the state given, an Arc<{}>",
                    need.type_name, name
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

impl FromParts for Progress {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        match &parts.source {
            Source::Call { progress, .. } => Ok(Progress {
                sink: progress.clone(),
            }),
            Source::Event { .. } => Err("progressive results exist in procedures only".into()),
        }
    }
}

/// The session the call or event came through (for calls and publications of its own).
impl FromParts for Session {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        parts
            .session
            .clone()
            .ok_or_else(|| "the session is gone (or the handler runs outside a session)".into())
    }
}

/// The whole call: what earlier parameters did not take. A procedure of one `Invocation`
/// parameter sees every argument (`inv.payload`), the details, the session and the progress
/// sender.
impl FromParts for Invocation {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let payload = parts.take_payload();
        let Source::Call {
            request,
            registration,
            procedure,
            progress,
        } = &parts.source
        else {
            return Err("an Invocation exists in procedures only; take an Event".into());
        };
        Ok(Invocation {
            request: *request,
            registration: *registration,
            procedure: procedure.clone(),
            payload,
            details: std::mem::take(&mut parts.details),
            session: parts.session.clone(),
            progress: Progress {
                sink: progress.clone(),
            },
        })
    }
}

/// The whole event: what earlier parameters did not take.
impl FromParts for Event {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let payload = parts.take_payload();
        let Source::Event {
            subscription,
            publication,
            topic,
        } = &parts.source
        else {
            return Err("an Event exists in event handlers only; take an Invocation".into());
        };
        Ok(Event {
            subscription: *subscription,
            publication: *publication,
            topic: topic.clone(),
            payload,
            details: std::mem::take(&mut parts.details),
        })
    }
}

/// Who called and how: from INVOCATION.Details.
#[derive(Debug, Clone, PartialEq)]
pub struct CallDetails {
    /// The procedure called (for a pattern-based registration, the concrete URI).
    pub procedure: String,
    /// The registration the call came through.
    pub registration: Id,
    /// The invocation's request id.
    pub request: Id,
    /// The caller's session id, when the router disclosed it.
    pub caller: Option<Id>,
    /// The caller's authid, when disclosed.
    pub caller_authid: Option<String>,
    /// The caller's authrole, when disclosed.
    pub caller_authrole: Option<String>,
    /// Whether the caller asked for progressive results.
    pub receive_progress: bool,
    /// All of INVOCATION.Details.
    pub details: Dict,
}

fn detail_str(details: &Dict, key: &str) -> Option<String> {
    details.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn detail_id(details: &Dict, key: &str) -> Option<Id> {
    details
        .get(key)
        .and_then(|v| from_value::<Id>(v.clone()).ok())
}

impl FromParts for CallDetails {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let Source::Call {
            request,
            registration,
            procedure,
            ..
        } = &parts.source
        else {
            return Err("call details exist in procedures only, not in event handlers".into());
        };
        let d = &parts.details;
        Ok(CallDetails {
            procedure: procedure.clone(),
            registration: *registration,
            request: *request,
            caller: detail_id(d, "caller"),
            caller_authid: detail_str(d, "caller_authid"),
            caller_authrole: detail_str(d, "caller_authrole"),
            receive_progress: d.get("receive_progress") == Some(&Value::Bool(true)),
            details: d.clone(),
        })
    }
}

/// Which publication an event is and who published it: from EVENT.Details.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDetails {
    /// The topic (for a pattern-based subscription, the concrete topic).
    pub topic: String,
    /// The subscription the event came through.
    pub subscription: Id,
    /// The publication id.
    pub publication: Id,
    /// The publisher's session id, when the broker disclosed it.
    pub publisher: Option<Id>,
    /// The publisher's authid, when disclosed.
    pub publisher_authid: Option<String>,
    /// The publisher's authrole, when disclosed.
    pub publisher_authrole: Option<String>,
    /// Whether the broker retained this event and gave it now because the subscription
    /// asked for retained events (`get_retained`).
    pub retained: bool,
    /// All of EVENT.Details.
    pub details: Dict,
}

impl FromParts for EventDetails {
    fn from_parts(parts: &mut Parts) -> Result<Self, String> {
        let Source::Event {
            subscription,
            publication,
            topic,
        } = &parts.source
        else {
            return Err("event details exist in event handlers only, not in procedures".into());
        };
        let d = &parts.details;
        Ok(EventDetails {
            topic: topic.clone(),
            subscription: *subscription,
            publication: *publication,
            publisher: detail_id(d, "publisher"),
            publisher_authid: detail_str(d, "publisher_authid"),
            publisher_authrole: detail_str(d, "publisher_authrole"),
            retained: matches!(d.get("retained"), Some(Value::Bool(true))),
            details: d.clone(),
        })
    }
}
