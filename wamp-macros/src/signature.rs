//! What a handler's signature may be, checked before expansion so that each mistake gets a
//! message at the offending token.

use syn::spanned::Spanned;
use syn::{FnArg, ReturnType, Signature, Type};

use crate::attr::{Errors, Kind};

/// How a method receives its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    /// A free fn, or an associated fn without `self`.
    None,
    /// `&self`.
    Ref,
}

/// The parameters a lifecycle listener may take, in order (a prefix of them is fine).
fn lifecycle_params(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::OnConnect => &[("url", "String")],
        Kind::OnJoin => &[("session", "Session"), ("details", "SessionDetails")],
        Kind::OnReady => &[("session", "Session"), ("details", "ReadyDetails")],
        Kind::OnLeave => &[("session", "Session"), ("details", "CloseDetails")],
        Kind::OnDisconnect => &[("url", "String"), ("was_clean", "bool")],
        Kind::OnConnectFailure => &[("url", "String"), ("failure", "Arc")],
        Kind::Register | Kind::Subscribe => &[],
    }
}

fn lifecycle_signature(kind: Kind) -> String {
    let params: Vec<String> = lifecycle_params(kind)
        .iter()
        .map(|(name, ty)| {
            let ty = if *ty == "Arc" { "Arc<Failure>" } else { ty };
            format!("{name}: {ty}")
        })
        .collect();
    format!("async fn({})", params.join(", "))
}

/// The last segment of a type's path (`Kwargs` for `wamp_client::handler::Kwargs<T>`).
fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// Checks `sig` for attribute `kind` (`in_service`: a method of a `#[service]` impl block)
/// and returns the receiver and the parameter types.
pub fn check<'a>(
    kind: Kind,
    sig: &'a Signature,
    in_service: bool,
    errors: &mut Errors,
) -> (Receiver, Vec<&'a Type>) {
    let what = if kind.is_lifecycle() {
        "a lifecycle listener"
    } else {
        "a WAMP handler"
    };
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token.span,
            format!("{what} is an async fn: write `async fn {}`", sig.ident),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.on(
            &sig.generics,
            format!("{what} cannot be generic: its parameter types decide how its inputs are read"),
        );
    }
    if let Some(v) = &sig.variadic {
        errors.at(v.span(), format!("{what} cannot be variadic"));
    }
    let mut receiver = Receiver::None;
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                if !in_service {
                    errors.on(
                        r,
                        format!(
                            "a method with #[{}] needs #[service] on its impl block",
                            kind.name()
                        ),
                    );
                } else if r.reference.is_none() || r.mutability.is_some() {
                    errors.on(
                        r,
                        "handler methods take `&self`: all handlers of a service share it (put what changes behind a Mutex or an atomic)",
                    );
                }
                receiver = Receiver::Ref;
            }
            FnArg::Typed(t) => params.push(&*t.ty),
        }
    }
    if kind.is_lifecycle() {
        check_lifecycle(kind, &params, errors);
    } else {
        check_handler(kind, &params, errors);
        if kind == Kind::Subscribe {
            if let ReturnType::Type(_, ty) = &sig.output {
                let unit = matches!(&**ty, Type::Tuple(t) if t.elems.is_empty());
                if !unit {
                    errors.on(
                        ty,
                        "an event handler returns nothing: nobody receives its result",
                    );
                }
            }
        }
    }
    (receiver, params)
}

fn check_lifecycle(kind: Kind, params: &[&Type], errors: &mut Errors) {
    let expected = lifecycle_params(kind);
    let signature = lifecycle_signature(kind);
    for (i, ty) in params.iter().enumerate() {
        let Some((_, want)) = expected.get(i) else {
            errors.on(
                ty,
                format!(
                    "too many parameters: #[{}] listeners are `{signature}` (or take only the first of them)",
                    kind.name()
                ),
            );
            return;
        };
        if last_segment(ty).as_deref() != Some(*want) {
            errors.on(
                ty,
                format!(
                    "#[{}] listeners are `{signature}` (or take only the first of them): this parameter should be `{}`",
                    kind.name(),
                    if *want == "Arc" { "Arc<Failure>" } else { want }
                ),
            );
        }
    }
}

fn check_handler(kind: Kind, params: &[&Type], errors: &mut Errors) {
    let mut kwargs_seen = false;
    for ty in params {
        match ty {
            Type::Reference(r) => {
                let owned = match last_segment(&r.elem).as_deref() {
                    Some("str") => "String".to_owned(),
                    Some(name) => name.to_owned(),
                    None => "an owned type".to_owned(),
                };
                errors.on(
                    ty,
                    format!("handlers own their parameters: take `{owned}` instead of a reference"),
                );
                continue;
            }
            Type::ImplTrait(_) => {
                errors.on(
                    ty,
                    "a handler parameter needs a concrete type: the argument is deserialized into it",
                );
                continue;
            }
            _ => {}
        }
        let advice = match (kind, last_segment(ty).as_deref()) {
            (Kind::Register, Some("EventDetails")) => {
                Some("`EventDetails` exist in event handlers: a procedure takes `CallDetails`")
            }
            (Kind::Subscribe, Some("CallDetails")) => {
                Some("`CallDetails` exist in procedures: an event handler takes `EventDetails`")
            }
            (Kind::Subscribe, Some("Progress")) => Some(
                "`Progress` sends progressive results of a call: an event handler has none",
            ),
            (_, Some("Invocation" | "Event" | "Payload")) => Some(
                "take the parts instead: positional parameters for the arguments, `Kwargs<T>` for the keyword arguments, `CallDetails` or `EventDetails` for the details",
            ),
            (_, Some("SessionDetails" | "CloseDetails")) => Some(
                "lifecycle listeners (#[on_join], #[on_leave]) receive these: a handler takes `Session`",
            ),
            (_, Some("Kwargs")) if kwargs_seen => Some(
                "only one `Kwargs<T>` parameter: it takes all the keyword arguments",
            ),
            _ => None,
        };
        if last_segment(ty).as_deref() == Some("Kwargs") {
            kwargs_seen = true;
        }
        if let Some(advice) = advice {
            errors.on(ty, advice);
        }
    }
}

/// Takes the `#[wamp(name = "...")]` attributes off `sig`'s parameters and returns each
/// parameter's name, the key of the keyword argument it takes: the attribute's name, else
/// the parameter's identifier (`r#type` is `type`), else `""` (a pattern such as `(a, b)`
/// has no name: it is filled positionally only).
pub fn take_names(sig: &mut Signature, errors: &mut Errors) -> Vec<String> {
    let mut names = Vec::new();
    for input in &mut sig.inputs {
        let FnArg::Typed(t) = input else {
            continue;
        };
        let mut renamed = None;
        t.attrs.retain(|a| {
            if !a.path().is_ident("wamp") {
                return true;
            }
            match a.parse_args::<syn::MetaNameValue>() {
                Ok(nv) if nv.path.is_ident("name") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) if !s.value().is_empty() => {
                        if renamed.is_some() {
                            errors.on(a, "the parameter is renamed twice");
                        }
                        renamed = Some(s.value());
                    }
                    other => errors.on(other, "`name` takes a non-empty string, e.g. #[wamp(name = \"type\")]"),
                },
                _ => errors.on(
                    a,
                    "a handler parameter takes #[wamp(name = \"...\")]: the keyword argument it takes",
                ),
            }
            false
        });
        let name = renamed.unwrap_or_else(|| match &*t.pat {
            syn::Pat::Ident(p) => syn::ext::IdentExt::unraw(&p.ident).to_string(),
            _ => String::new(),
        });
        if !name.is_empty() && names.contains(&name) {
            errors.on(
                &t.pat,
                format!("two parameters take the keyword argument `{name}`: rename one with #[wamp(name = \"...\")]"),
            );
        }
        names.push(name);
    }
    names
}
