//! The attributes' arguments: parsed, checked, and turned into the options' expression.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, LitStr, Token};
use wamp_uri::{self as uri, MatchPolicy};

/// Which attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Register,
    Subscribe,
    OnConnect,
    OnJoin,
    OnReady,
    OnLeave,
    OnDisconnect,
    OnConnectFailure,
}

impl Kind {
    /// The attribute's name, as written.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Register => "register",
            Kind::Subscribe => "subscribe",
            Kind::OnConnect => "on_connect",
            Kind::OnJoin => "on_join",
            Kind::OnReady => "on_ready",
            Kind::OnLeave => "on_leave",
            Kind::OnDisconnect => "on_disconnect",
            Kind::OnConnectFailure => "on_connect_failure",
        }
    }

    /// The attribute named `name`, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Register,
            Kind::Subscribe,
            Kind::OnConnect,
            Kind::OnJoin,
            Kind::OnReady,
            Kind::OnLeave,
            Kind::OnDisconnect,
            Kind::OnConnectFailure,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// The options the attribute takes, besides `crate`.
    fn options(self) -> &'static [&'static str] {
        match self {
            Kind::Register => &[
                "match",
                "invoke",
                "concurrency",
                "local_concurrency",
                "queue_capacity",
                "disclose_caller",
                "force_reregister",
            ],
            Kind::Subscribe => &["match", "get_retained", "queue_capacity", "overflow"],
            _ => &[],
        }
    }

    /// Whether the attribute declares a lifecycle listener.
    pub fn is_lifecycle(self) -> bool {
        !matches!(self, Kind::Register | Kind::Subscribe)
    }
}

/// A checked attribute: the URI, the options and the path of `wamp-client`.
pub struct Attr {
    pub kind: Kind,
    pub uri: Option<LitStr>,
    options: Vec<(Ident, Lit)>,
    match_policy: MatchPolicy,
    pub krate: Option<syn::Path>,
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// An error spanning all of `node`'s tokens.
    pub fn on(&mut self, node: &impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(node, message));
    }

    pub fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}

const INVOKE_POLICIES: [&str; 5] = ["single", "roundrobin", "random", "first", "last"];
/// The values of `#[subscribe(overflow = "...")]`.
const OVERFLOW_POLICIES: [&str; 3] = ["drop_newest", "drop_oldest", "pause"];

impl Attr {
    /// Parses and checks `args` of attribute `kind`; problems go to `errors`.
    pub fn parse(kind: Kind, args: TokenStream, errors: &mut Errors) -> Attr {
        let mut attr = Attr {
            kind,
            uri: None,
            options: Vec::new(),
            match_policy: MatchPolicy::Exact,
            krate: None,
        };
        let parsed = (|input: ParseStream| parse_args(kind, input)).parse2(args.clone());
        let (uri, options) = match parsed {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                return attr;
            }
        };
        let span = args
            .into_iter()
            .next()
            .map_or_else(Span::call_site, |t| t.span());
        match (&uri, kind.is_lifecycle()) {
            (None, false) => errors.at(
                span,
                format!(
                    "#[{}] needs the {} as its first argument, e.g. #[{}(\"com.example.{}\")]",
                    kind.name(),
                    if kind == Kind::Register {
                        "procedure URI"
                    } else {
                        "topic"
                    },
                    kind.name(),
                    if kind == Kind::Register {
                        "add2"
                    } else {
                        "topic"
                    },
                ),
            ),
            (Some(lit), true) => errors.at(
                lit.span(),
                format!(
                    "#[{}] takes no URI: lifecycle listeners are not bound to one",
                    kind.name()
                ),
            ),
            _ => {}
        }
        attr.uri = uri.filter(|_| !kind.is_lifecycle());
        for (key, value) in options {
            let name = key.unraw().to_string();
            if name == "crate" {
                match &value {
                    Lit::Str(s) => match s.parse::<syn::Path>() {
                        Ok(p) => attr.krate = Some(p),
                        Err(_) => {
                            errors.at(s.span(), "`crate` takes a path, e.g. crate = \"::wamp\"")
                        }
                    },
                    other => errors.at(
                        other.span(),
                        "`crate` takes a path in a string, e.g. crate = \"::wamp\"",
                    ),
                }
                continue;
            }
            if !kind.options().contains(&name.as_str()) {
                let valid: Vec<String> = kind
                    .options()
                    .iter()
                    .chain(&["crate"])
                    .map(|o| format!("`{o}`"))
                    .collect();
                errors.at(
                    key.span(),
                    format!(
                        "unknown option `{name}` of #[{}]; valid options: {}",
                        kind.name(),
                        valid.join(", ")
                    ),
                );
                continue;
            }
            if attr.options.iter().any(|(k, _)| k.unraw() == name) {
                errors.at(key.span(), format!("option `{name}` is given twice"));
                continue;
            }
            if let Err(e) = attr.check_option(&name, &value) {
                errors.push(e);
                continue;
            }
            attr.options.push((key, value));
        }
        if let Some(lit) = &attr.uri {
            if let Err(e) = uri::validate(&lit.value(), attr.match_policy, false) {
                errors.at(lit.span(), e);
            }
        }
        attr
    }

    /// Puts `prefix` (of `#[service(prefix = "...")]`) before the URI, and checks the
    /// result; problems go to `errors`, at the URI.
    pub fn add_prefix(&mut self, prefix: &str, errors: &mut Errors) {
        let Some(lit) = &self.uri else {
            return;
        };
        let full = format!("{prefix}{}", lit.value());
        if let Err(e) = uri::validate(&full, self.match_policy, false) {
            errors.at(
                lit.span(),
                format!("with the service's prefix, `{full}`: {e}"),
            );
        }
        self.uri = Some(LitStr::new(&full, lit.span()));
    }

    /// The match policy given (`exact` when none was).
    pub fn match_policy(&self) -> MatchPolicy {
        self.match_policy
    }

    fn check_option(&mut self, name: &str, value: &Lit) -> Result<(), syn::Error> {
        let wrong = |what: &str| syn::Error::new(value.span(), format!("`{name}` takes {what}"));
        match name {
            "match" => {
                let Lit::Str(s) = value else {
                    return Err(wrong("\"exact\", \"prefix\" or \"wildcard\""));
                };
                self.match_policy = MatchPolicy::from_name(&s.value())
                    .ok_or_else(|| wrong("\"exact\", \"prefix\" or \"wildcard\""))?;
            }
            "invoke" => {
                let ok =
                    matches!(value, Lit::Str(s) if INVOKE_POLICIES.contains(&s.value().as_str()));
                if !ok {
                    return Err(wrong(
                        "\"single\", \"roundrobin\", \"random\", \"first\" or \"last\"",
                    ));
                }
            }
            "concurrency" | "local_concurrency" | "queue_capacity" => {
                let ok =
                    matches!(value, Lit::Int(i) if i.base10_parse::<u32>().is_ok_and(|n| n >= 1));
                if !ok {
                    return Err(wrong("a whole number of at least 1"));
                }
            }
            "overflow" => {
                let ok =
                    matches!(value, Lit::Str(s) if OVERFLOW_POLICIES.contains(&s.value().as_str()));
                if !ok {
                    return Err(wrong("\"drop_newest\", \"drop_oldest\" or \"pause\""));
                }
            }
            "disclose_caller" | "get_retained" | "force_reregister" => {
                if !matches!(value, Lit::Bool(_)) {
                    return Err(wrong("`true` or `false`"));
                }
            }
            _ => unreachable!("only known options are checked"),
        }
        Ok(())
    }

    /// The options' expression (`RegisterOptions` or `SubscribeOptions`), under `private`
    /// (the path of `wamp_client::__private`).
    pub fn options_expr(&self, private: &TokenStream) -> TokenStream {
        let ty = match self.kind {
            Kind::Register => quote!(#private::RegisterOptions),
            _ => quote!(#private::SubscribeOptions),
        };
        let calls = self.options.iter().map(|(key, value)| {
            let span = key.span();
            match key.unraw().to_string().as_str() {
                "match" => {
                    let variant = match self.match_policy {
                        MatchPolicy::Exact => quote!(Exact),
                        MatchPolicy::Prefix => quote!(Prefix),
                        MatchPolicy::Wildcard => quote!(Wildcard),
                    };
                    quote_spanned!(span=> .match_policy(#private::MatchPolicy::#variant))
                }
                "invoke" => quote_spanned!(span=> .invoke(#value)),
                "concurrency" => quote_spanned!(span=> .concurrency(#value)),
                "local_concurrency" => quote_spanned!(span=> .local_concurrency(#value)),
                "force_reregister" => quote_spanned!(span=> .force_reregister(#value)),
                "queue_capacity" => quote_spanned!(span=> .queue_capacity(#value)),
                "disclose_caller" => quote_spanned!(span=> .disclose_caller(#value)),
                "get_retained" => quote_spanned!(span=> .get_retained(#value)),
                "overflow" => {
                    let policy = match value {
                        Lit::Str(s) if s.value() == "drop_oldest" => quote!(DropOldest),
                        Lit::Str(s) if s.value() == "pause" => quote!(Pause),
                        _ => quote!(DropNewest),
                    };
                    quote_spanned!(span=> .overflow(#private::Overflow::#policy))
                }
                _ => unreachable!("only known options are kept"),
            }
        });
        quote!(<#ty as ::core::default::Default>::default() #(#calls)*)
    }
}

type Parsed = (Option<LitStr>, Vec<(Ident, Lit)>);

/// `"uri", key = value, ...` (the URI is optional here; `Attr::parse` says when it is
/// missing or not wanted).
fn parse_args(kind: Kind, input: ParseStream) -> syn::Result<Parsed> {
    let mut uri = None;
    let mut options = Vec::new();
    if input.peek(LitStr) {
        uri = Some(input.parse()?);
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    while !input.is_empty() {
        let key = Ident::parse_any(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "expected an option of #[{}] written `name = value`",
                    kind.name()
                ),
            )
        })?;
        input.parse::<Token![=]>()?;
        let value: Lit = input.parse()?;
        options.push((key, value));
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok((uri, options))
}
