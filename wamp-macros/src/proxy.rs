//! `#[service(proxy)]`: the typed caller proxy of a service's procedures, generated from the
//! same methods that declare them, so that callers and callees cannot drift apart.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, LitStr, Pat, PathArguments, ReturnType, Signature, Type};

use crate::attr::Errors;

/// One procedure of the service, as the proxy calls it.
pub struct Procedure {
    /// The full URI (with the service's prefix).
    pub uri: LitStr,
    /// Whether it is registered with the exact match policy (only those can be called by
    /// their URI).
    pub exact: bool,
    /// The method's signature.
    pub sig: Signature,
    /// The method's doc attributes.
    pub doc: Vec<syn::Attribute>,
}

/// The last segment of a type's path, and its generic arguments.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// The type arguments of `segment` (`T, E` of `Result<T, E>`).
fn type_args(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// How the proxy passes one parameter of the procedure.
enum Pass<'a> {
    /// A positional argument of this type.
    Positional(&'a Type),
    /// `Args<T>`: the rest of the positional arguments.
    Rest(&'a Type),
    /// `Kwargs<T>`: the keyword arguments.
    Keywords(&'a Type),
    /// Given by the callee's side (details, the session, state, progress): not passed.
    Injected,
    /// The whole call (`Invocation`): the procedure has no typed proxy method.
    Whole,
}

fn pass(ty: &Type) -> Pass<'_> {
    let Some(segment) = last_segment(ty) else {
        return Pass::Positional(ty);
    };
    let inner = type_args(segment).first().copied();
    match (segment.ident.to_string().as_str(), inner) {
        ("Session" | "CallDetails" | "Progress" | "State" | "EventDetails", _) => Pass::Injected,
        ("Invocation", _) => Pass::Whole,
        ("Args", Some(t)) => Pass::Rest(t),
        ("Kwargs", Some(t)) => Pass::Keywords(t),
        _ => Pass::Positional(ty),
    }
}

/// The proxy type and its methods.
pub fn expand(
    generics: &syn::Generics,
    self_ty: &Type,
    name: Option<&LitStr>,
    procedures: &[Procedure],
    krate: &TokenStream,
    errors: &mut Errors,
) -> TokenStream {
    if !generics.params.is_empty() {
        errors.on(
            generics,
            "#[service(proxy)] needs a service type without generics: the proxy names its procedures' types",
        );
        return TokenStream::new();
    }
    let service = match last_segment(self_ty) {
        Some(s) => s.ident.clone(),
        None => {
            errors.on(self_ty, "#[service(proxy)] needs a named service type");
            return TokenStream::new();
        }
    };
    let proxy = match name {
        Some(lit) => match lit.parse::<syn::Ident>() {
            Ok(i) => i,
            Err(e) => {
                errors.push(e);
                return TokenStream::new();
            }
        },
        None => format_ident!("{}Proxy", service),
    };
    let handler = quote!(#krate::handler);
    let methods: Vec<TokenStream> = procedures
        .iter()
        .filter(|p| p.exact)
        .filter_map(|p| method(p, &handler, krate))
        .collect();
    let doc = format!(
        "Calls the procedures of [`{service}`] on a router, one typed async method per \
         procedure it registers (`#[register]` with an exact URI): the same parameters, less \
         those the callee's side gives (details, session, state, progress), and the same \
         result, with its typed error in [`TypedCallError`]({krate}::handler::TypedCallError) \
         when the procedure returns `Result<T, E>`.",
        krate = krate.to_string().replace(' ', "")
    );
    quote! {
        #[doc = #doc]
        #[derive(Clone)]
        #[allow(dead_code)]
        pub struct #proxy<C = #krate::Session> {
            caller: C,
            options: #krate::CallOptions,
        }

        #[allow(dead_code, private_interfaces, clippy::too_many_arguments)]
        impl<C: #handler::Caller> #proxy<C> {
            /// A proxy calling through `caller` (a `Session` or a `ComponentHandle`).
            pub fn new(caller: C) -> Self {
                #proxy {
                    caller,
                    options: ::core::default::Default::default(),
                }
            }

            /// The same proxy, making its calls with `options` (e.g. a timeout).
            pub fn with_options(mut self, options: #krate::CallOptions) -> Self {
                self.options = options;
                self
            }

            /// What the proxy calls through.
            pub fn caller(&self) -> &C {
                &self.caller
            }

            #(#methods)*
        }
    }
}

/// The proxy's method for procedure `p`, or `None` when it has none (a procedure of the
/// whole `Invocation`, or a result type the proxy cannot name).
fn method(p: &Procedure, handler: &TokenStream, krate: &TokenStream) -> Option<TokenStream> {
    let mut params = Vec::new();
    let mut puts = Vec::new();
    let typed = p.sig.inputs.iter().filter_map(|i| match i {
        FnArg::Typed(t) => Some(t),
        FnArg::Receiver(_) => None,
    });
    for (i, t) in typed.enumerate() {
        let ident = match &*t.pat {
            Pat::Ident(id) => id.ident.clone(),
            _ => format_ident!("arg{}", i),
        };
        match pass(&t.ty) {
            Pass::Positional(ty) => {
                params.push(quote!(#ident: #ty));
                puts.push(quote!(#handler::__proxy_arg(&#ident, &mut args)));
            }
            Pass::Rest(ty) => {
                params.push(quote!(#ident: #ty));
                puts.push(quote!(#handler::__proxy_args(&#ident, &mut args)));
            }
            Pass::Keywords(ty) => {
                params.push(quote!(#ident: #ty));
                puts.push(quote!(#handler::__proxy_kwargs(&#ident, &mut kwargs)));
            }
            Pass::Injected => {}
            Pass::Whole => return None,
        }
    }
    let unit: Type = syn::parse_quote!(());
    let (ok, err) = match &p.sig.output {
        ReturnType::Default => (&unit, None),
        ReturnType::Type(_, ty) => match last_segment(ty) {
            Some(s) if s.ident == "Result" => match type_args(s)[..] {
                [ok, err] => (ok, Some(err)),
                _ => return None,
            },
            _ if matches!(**ty, Type::ImplTrait(_)) => return None,
            _ => (&**ty, None),
        },
    };
    let is_payload = last_segment(ok).is_some_and(|s| s.ident == "Payload");
    let decode = if is_payload {
        quote!(result.map(|r| r.payload))
    } else {
        quote!(#handler::__proxy_decode::<#ok>(result))
    };
    let (output, body_end) = match err {
        Some(err) => (
            quote!(::core::result::Result<#ok, #handler::TypedCallError<#err>>),
            // At the error type: the place to fix when it is not an ApplicationError.
            quote::quote_spanned!(err.span()=>
                #decode.map_err(<#handler::TypedCallError<#err> as ::core::convert::From<#krate::CallError>>::from)
            ),
        ),
        None => (
            quote!(::core::result::Result<#ok, #krate::CallError>),
            decode,
        ),
    };
    let name = &p.sig.ident;
    let uri = &p.uri;
    let doc = &p.doc;
    let calls = format!("Calls `{}`.", uri.value());
    let span = p.sig.ident.span();
    Some(quote::quote_spanned! {span=>
        #(#doc)*
        #[doc = ""]
        #[doc = #calls]
        pub async fn #name(&self, #(#params),*) -> #output {
            #[allow(unused_labels)]
            let result = 'call: {
                #[allow(unused_mut)]
                let mut args = ::std::vec::Vec::new();
                #[allow(unused_mut)]
                let mut kwargs = #krate::Dict::new();
                #(
                    if let ::core::result::Result::Err(e) = #puts {
                        break 'call ::core::result::Result::Err(e);
                    }
                )*
                let payload = #krate::Payload::from_parts(args, kwargs);
                let options = ::core::clone::Clone::clone(&self.options);
                #handler::Caller::call_payload(&self.caller, #uri, payload, options).await
            };
            #body_end
        }
    })
}
