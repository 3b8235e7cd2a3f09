//! `#[derive(ApplicationError)]`: an enum (or struct) of typed WAMP application errors.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr};
use wamp_uri::MatchPolicy;

use crate::attr::Errors;

/// What `#[wamp(...)]` on the type says.
#[derive(Default)]
struct TypeAttrs {
    uri: Option<LitStr>,
    message: bool,
    krate: Option<syn::Path>,
}

/// Reads the `#[wamp(...)]` attributes in `attrs`: `uri = "..."`, and where `on_type`,
/// `message` and `crate = "..."`.
fn wamp_attrs(attrs: &[Attribute], on_type: bool, errors: &mut Errors) -> TypeAttrs {
    let mut out = TypeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("wamp")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.unraw().to_string())
                .unwrap_or_default();
            match key.as_str() {
                "uri" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    if let Err(e) = wamp_uri::validate(&lit.value(), MatchPolicy::Exact, false) {
                        errors.at(lit.span(), e);
                    }
                    out.uri = Some(lit);
                }
                "message" if on_type => out.message = true,
                "crate" if on_type => {
                    let lit: LitStr = meta.value()?.parse()?;
                    out.krate = Some(lit.parse()?);
                }
                _ => {
                    let valid = if on_type {
                        "`uri` (on a struct), `message`, `crate`"
                    } else {
                        "`uri`"
                    };
                    return Err(meta.error(format!(
                        "unknown option of #[wamp] here; valid options: {valid}"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// The keyword of a named field: `#[wamp(name = "...")]`, else its identifier.
fn field_name(field: &syn::Field, errors: &mut Errors) -> String {
    let mut name = field
        .ident
        .as_ref()
        .map(|i| i.unraw().to_string())
        .unwrap_or_default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("wamp")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else {
                Err(meta.error("a field takes #[wamp(name = \"...\")]: its keyword argument"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    name
}

/// One variant (or the struct): its constructor path, URI and fields.
struct Case<'a> {
    path: TokenStream,
    uri: LitStr,
    fields: &'a Fields,
}

/// The expansion of `#[derive(ApplicationError)]`.
pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let type_attrs = wamp_attrs(&input.attrs, true, &mut errors);
    if !input.generics.params.is_empty() {
        errors.on(
            &input.generics,
            "an application error type cannot be generic: its fields are read from the wire",
        );
    }
    let name = &input.ident;
    let mut cases = Vec::new();
    match &input.data {
        Data::Enum(e) => {
            if let Some(uri) = &type_attrs.uri {
                errors.at(
                    uri.span(),
                    "on an enum, each variant has its #[wamp(uri = \"...\")]",
                );
            }
            if e.variants.is_empty() {
                errors.at(name.span(), "an application error enum needs variants");
            }
            for v in &e.variants {
                let attrs = wamp_attrs(&v.attrs, false, &mut errors);
                let Some(uri) = attrs.uri else {
                    errors.at(
                        v.ident.span(),
                        format!(
                            "variant `{}` needs its error URI: #[wamp(uri = \"com.example.error.{}\")]",
                            v.ident,
                            v.ident.to_string().to_lowercase()
                        ),
                    );
                    continue;
                };
                let ident = &v.ident;
                cases.push(Case {
                    path: quote!(#name::#ident),
                    uri,
                    fields: &v.fields,
                });
            }
        }
        Data::Struct(s) => match &type_attrs.uri {
            Some(uri) => cases.push(Case {
                path: quote!(#name),
                uri: uri.clone(),
                fields: &s.fields,
            }),
            None => errors.at(
                name.span(),
                "a struct that is an application error needs its URI: #[wamp(uri = \"...\")]",
            ),
        },
        Data::Union(_) => errors.at(
            name.span(),
            "#[derive(ApplicationError)] goes on an enum or a struct",
        ),
    }
    let mut seen: Vec<String> = Vec::new();
    for case in &cases {
        let uri = case.uri.value();
        if seen.contains(&uri) {
            errors.at(
                case.uri.span(),
                format!("`{uri}` is the URI of another variant too"),
            );
        }
        seen.push(uri);
    }
    let krate = crate::expand::crate_path(type_attrs.krate.as_ref());
    let handler = quote!(#krate::handler);
    let mut to_arms = Vec::new();
    let mut from_arms = Vec::new();
    for case in &cases {
        let (path, uri) = (&case.path, &case.uri);
        match case.fields {
            Fields::Named(named) => {
                let idents: Vec<_> = named
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref())
                    .collect();
                let keys: Vec<String> = named
                    .named
                    .iter()
                    .map(|f| field_name(f, &mut errors))
                    .collect();
                let puts = named.named.iter().zip(&keys).map(|(f, key)| {
                    let ident = &f.ident;
                    quote_spanned! {f.ty.span()=>
                        e.kwargs.insert(#key.into(), #handler::__field_to_value(#ident));
                    }
                });
                let message = message(type_attrs.message, &krate);
                to_arms.push(quote! {
                    #path { #(#idents),* } => {
                        let mut e = #krate::WampError::new(#uri);
                        #message
                        #(#puts)*
                        e
                    }
                });
                let gets = named.named.iter().zip(&keys).map(|(f, key)| {
                    let ident = &f.ident;
                    quote_spanned! {f.ty.span()=>
                        #ident: #handler::__field_from_value(error.kwargs.get(#key))?
                    }
                });
                from_arms.push(quote! { #uri => #path { #(#gets),* }, });
            }
            Fields::Unnamed(unnamed) => {
                let ids: Vec<_> = (0..unnamed.unnamed.len())
                    .map(|i| format_ident!("f{}", i))
                    .collect();
                let puts = unnamed.unnamed.iter().zip(&ids).map(|(f, id)| {
                    quote_spanned! {f.ty.span()=> e.args.push(#handler::__field_to_value(#id)); }
                });
                to_arms.push(quote! {
                    #path(#(#ids),*) => {
                        let mut e = #krate::WampError::new(#uri);
                        #(#puts)*
                        e
                    }
                });
                let gets = unnamed.unnamed.iter().enumerate().map(|(i, f)| {
                    quote_spanned! {f.ty.span()=> #handler::__field_from_value(error.args.get(#i))? }
                });
                from_arms.push(quote! { #uri => #path(#(#gets),*), });
            }
            Fields::Unit => {
                let message = message(type_attrs.message, &krate);
                to_arms.push(quote! {
                    #path => {
                        let mut e = #krate::WampError::new(#uri);
                        #message
                        e
                    }
                });
                from_arms.push(quote! { #uri => #path, });
            }
        }
    }
    if let Err(e) = errors.finish() {
        return e.to_compile_error();
    }
    let uris = cases.iter().map(|c| &c.uri);
    // A struct with no fields has no arms to bind anything: `match self` still works.
    let span = Span::call_site();
    quote_spanned! {span=>
        impl #handler::ApplicationError for #name {
            fn uris() -> &'static [&'static str] {
                &[#(#uris),*]
            }

            #[allow(unused_mut, unused_variables)]
            fn to_wamp(&self) -> #krate::WampError {
                match self {
                    #(#to_arms)*
                }
            }

            fn from_wamp(error: &#krate::WampError) -> ::core::option::Option<Self> {
                ::core::option::Option::Some(match error.uri.as_str() {
                    #(#from_arms)*
                    _ => return ::core::option::Option::None,
                })
            }
        }

        impl ::core::convert::From<#name> for #krate::WampError {
            fn from(e: #name) -> Self {
                #handler::ApplicationError::to_wamp(&e)
            }
        }

        impl ::core::convert::TryFrom<#krate::WampError> for #name {
            type Error = #krate::WampError;

            fn try_from(e: #krate::WampError) -> ::core::result::Result<Self, #krate::WampError> {
                match <#name as #handler::ApplicationError>::from_wamp(&e) {
                    ::core::option::Option::Some(typed) => ::core::result::Result::Ok(typed),
                    ::core::option::Option::None => ::core::result::Result::Err(e),
                }
            }
        }
    }
}

/// The statement that puts the `Display` text first, with `#[wamp(message)]`.
fn message(wanted: bool, krate: &TokenStream) -> TokenStream {
    if wanted {
        quote!(e.args.push(#krate::Value::from(::std::string::ToString::to_string(self)));)
    } else {
        TokenStream::new()
    }
}
