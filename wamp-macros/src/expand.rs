//! The expansions: the item as written, plus its declaration(s).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Ident, ImplItem, ItemFn, ItemImpl, Meta};

use crate::attr::{Attr, Errors, Kind};
use crate::signature::{self, Receiver};

/// Where the declared function is, seen from the expansion.
enum Target<'a> {
    /// A free fn, reached by its name from the added type's `impl`.
    Free(&'a Ident),
    /// A method of a `#[service]` type, inside `Service::declarations(self: Arc<Self>)`.
    Method(&'a Ident, Receiver),
}

/// The path of `wamp-client` in the user's crate: `crate = "..."` if given, else the name
/// the user's Cargo.toml gives it (renamed or not).
pub fn crate_path(krate: Option<&syn::Path>) -> TokenStream {
    if let Some(path) = krate {
        return quote!(#path);
    }
    match proc_macro_crate::crate_name("wamp-client") {
        Ok(proc_macro_crate::FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // In wamp-client itself (`extern crate self as wamp_client`), or when no Cargo.toml
        // names it (a build outside Cargo).
        _ => quote!(::wamp_client),
    }
}

/// The expression of one declaration of the function `target` with parameter types `params`.
fn declaration(
    attr: &Attr,
    krate: &TokenStream,
    private: &TokenStream,
    target: &Target,
    params: &[&syn::Type],
    names: &[String],
) -> TokenStream {
    let span = match target {
        Target::Free(name) | Target::Method(name, _) => name.span(),
    };
    let ids: Vec<Ident> = (0..params.len())
        .map(|i| format_ident!("__wamp_{}", i))
        .collect();
    // The call of the function with the parameters `ids`.
    let call = match target {
        Target::Free(name) => quote_spanned!(span=> #name(#(#ids),*)),
        Target::Method(name, Receiver::None) => quote_spanned!(span=> Self::#name(#(#ids),*)),
        Target::Method(name, Receiver::Ref) => quote_spanned! {span=>
            {
                let this = #private::Arc::clone(&this);
                async move { this.#name(#(#ids),*).await }
            }
        },
    };
    let decl = if attr.kind.is_lifecycle() {
        // Listeners get every parameter of their kind; the function takes a prefix of them.
        let method = format_ident!("{}", attr.kind.name());
        let takes = match attr.kind {
            Kind::OnConnect => 1,
            _ => 2,
        };
        let closure_params = (0..takes).map(|i| match ids.get(i) {
            Some(id) => quote!(#id),
            None => quote!(_),
        });
        quote!(#private::Declaration::#method(move |#(#closure_params),*| #call))
    } else {
        let uri = attr
            .uri
            .as_ref()
            .expect("checked: register and subscribe have a URI");
        let options = attr.options_expr(private);
        let (constructor, erase) = match attr.kind {
            Kind::Register => (quote!(procedure), quote!(procedure)),
            _ => (quote!(subscription), quote!(event_handler)),
        };
        let f = match target {
            // The function itself: its parameter types are named where it is declared.
            Target::Free(name) => quote_spanned!(span=> #name),
            Target::Method(name, Receiver::None) => quote_spanned!(span=> Self::#name),
            // A closure of the same parameter types, which the handler traits read.
            Target::Method(_, Receiver::Ref) => {
                quote_spanned!(span=> move |#(#ids: #params),*| #call)
            }
        };
        // The names let keyword arguments fill the parameters of their names.
        let f = quote!(#krate::handler::#erase(#f).with_names(&[#(#names),*]));
        quote!(#private::Declaration::#constructor(#uri, #options, #f))
    };
    match target {
        Target::Method(_, Receiver::Ref) => quote! {
            {
                let this = #private::Arc::clone(&self);
                #decl
            }
        },
        _ => decl,
    }
}

/// Statements that check each parameter and the result type of a handler, so that a type
/// that does not fit is reported at that type (with the advice of the trait it misses).
fn type_checks(
    kind: Kind,
    sig: &syn::Signature,
    params: &[&syn::Type],
    private: &TokenStream,
) -> TokenStream {
    let mut checks = TokenStream::new();
    if !kind.is_lifecycle() {
        for ty in params {
            if !matches!(ty, syn::Type::ImplTrait(_) | syn::Type::Reference(_)) {
                checks.extend(quote_spanned!(ty.span()=> #private::assert_param::<#ty>();));
            }
        }
    }
    let output = match &sig.output {
        syn::ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => Some(&**ty),
        _ => None,
    };
    if let Some(ty) = output {
        match kind {
            Kind::Register => {
                checks.extend(quote_spanned!(ty.span()=> #private::assert_result::<#ty>();))
            }
            Kind::Subscribe => {}
            _ => checks
                .extend(quote_spanned!(ty.span()=> #private::assert_listener_output::<#ty>();)),
        }
    }
    checks
}

/// `#[register]`, `#[subscribe]` and the lifecycle attributes on a free fn.
pub fn function(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let attr = Attr::parse(kind, args, &mut errors);
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let hint = if syn::parse2::<syn::ImplItemFn>(item.clone()).is_ok() {
                format!(
                    "#[{}] on a method needs #[service] on its impl block",
                    kind.name()
                )
            } else {
                format!("#[{}] goes on an async fn", kind.name())
            };
            let e = syn::Error::new(item.span(), hint).to_compile_error();
            return quote!(#item #e);
        }
    };
    let names = if kind.is_lifecycle() {
        Vec::new()
    } else {
        signature::take_names(&mut func.sig, &mut errors)
    };
    let (_, params) = signature::check(kind, &func.sig, false, &mut errors);
    let krate = crate_path(attr.krate.as_ref());
    let private = quote!(#krate::__private);
    if let Err(e) = errors.finish() {
        let e = e.to_compile_error();
        if func.sig.receiver().is_some() {
            // A method outside #[service]: we are inside an impl block, where no struct may go.
            return quote!(#func #e);
        }
        // The fallback: the declaring type still exists, so that call sites
        // (`name::handler()`) compile and the attribute's error is the only one reported.
        // The crate does not compile, so `handler()` never runs.
        let declaring = declaring_type(&attr, &func, &private, quote!(::core::unimplemented!()));
        return quote!(#func #e #declaring);
    }
    let decl = declaration(
        &attr,
        &krate,
        &private,
        &Target::Free(&func.sig.ident),
        &params,
        &names,
    );
    let checks = type_checks(kind, &func.sig, &params, &private);
    let declaring = declaring_type(&attr, &func, &private, decl);
    quote! {
        #func

        const _: () = {
            #[allow(dead_code)]
            fn check_types() {
                #checks
            }
        };

        #declaring
    }
}

/// The type of the same name as the free fn `func`, whose `handler()` returns `body`.
fn declaring_type(
    attr: &Attr,
    func: &ItemFn,
    private: &TokenStream,
    body: TokenStream,
) -> TokenStream {
    let name = &func.sig.ident;
    let vis = &func.vis;
    let kind = attr.kind.name();
    let what = match (&attr.uri, attr.kind.is_lifecycle()) {
        (Some(uri), _) => format!("`{}` ({kind})", uri.value()),
        (None, true) => format!("the `{kind}` listener"),
        (None, false) => format!("`#[{kind}]`"),
    };
    let type_doc = format!("The declaration of [`{name}`](fn@{name}): {what}.");
    quote! {
        // A braced struct lives in the type namespace only, beside the fn of the same name
        // in the value namespace: `name(..)` still calls the fn, `name::handler()` declares
        // it, at module level as inside a fn body.
        #[doc = #type_doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}

        impl #name {
            /// The declaration, for `ComponentBuilder::attach`.
            #[allow(dead_code)]
            pub fn handler() -> #private::Declaration {
                #body
            }
        }
    }
}

/// The arguments of `#[service]`.
#[derive(Default)]
struct ServiceArgs {
    krate: Option<syn::Path>,
    prefix: Option<syn::LitStr>,
    /// `proxy` (the proxy type is `<Name>Proxy`) or `proxy = "Name"`.
    proxy: Option<Option<syn::LitStr>>,
}

/// What the methods of a `#[service]` declare, gathered method by method.
struct Gathered {
    errors: Errors,
    krate: TokenStream,
    private: TokenStream,
    prefix: Option<String>,
    decls: Vec<TokenStream>,
    checks: TokenStream,
    procedures: Vec<crate::proxy::Procedure>,
}

/// What a `#[service]` expands to besides the item itself, from [`Gathered::finish`].
struct Finished {
    /// The attributes' errors (empty when there are none).
    errors: TokenStream,
    /// The body of `declarations(self: Arc<Self>)`.
    declarations: TokenStream,
    /// The caller proxy, if one was asked for.
    proxy: TokenStream,
}

impl Gathered {
    /// The declarations' body and the proxy (`proxy`: its name, if asked for) of the service
    /// type `self_ty`; with errors, those errors and no declarations, so that
    /// `.attach(MyService::..)` still compiles and the attributes' errors are the only ones
    /// reported.
    fn finish(
        self,
        proxy: Option<&Option<syn::LitStr>>,
        generics: &syn::Generics,
        self_ty: &syn::Type,
    ) -> Finished {
        let Gathered {
            mut errors,
            krate,
            private,
            decls,
            checks,
            procedures,
            ..
        } = self;
        let proxy = match proxy {
            Some(name) => crate::proxy::expand(
                generics,
                self_ty,
                name.as_ref(),
                &procedures,
                &krate,
                &mut errors,
            ),
            None => TokenStream::new(),
        };
        match errors.finish() {
            Ok(()) => Finished {
                errors: TokenStream::new(),
                declarations: quote! {
                    #checks
                    let mut declarations = #private::Vec::new();
                    #(declarations.push(#decls);)*
                    declarations
                },
                proxy,
            },
            Err(e) => Finished {
                errors: e.to_compile_error(),
                declarations: quote!(#private::Vec::new()),
                proxy: TokenStream::new(),
            },
        }
    }

    /// Takes our attributes off one method (`attrs`, `sig`) and gathers its declaration.
    /// Returns whether it had one.
    fn method(&mut self, attrs: &mut Vec<syn::Attribute>, sig: &mut syn::Signature) -> bool {
        let mut ours = Vec::new();
        attrs.retain(|a| {
            let kind = a
                .path()
                .segments
                .last()
                .and_then(|s| Kind::from_name(&s.ident.to_string()));
            match kind {
                Some(kind) => {
                    ours.push((kind, a.clone()));
                    false
                }
                None => true,
            }
        });
        let names = match ours.first() {
            Some((kind, _)) if !kind.is_lifecycle() => signature::take_names(sig, &mut self.errors),
            _ => Vec::new(),
        };
        let (krate, private) = (&self.krate, &self.private);
        let errors = &mut self.errors;
        for (i, (kind, a)) in ours.iter().enumerate() {
            if i > 0 {
                errors.at(
                    a.span(),
                    "one handler attribute per method: declare another method for another URI or event",
                );
                continue;
            }
            let args = match &a.meta {
                Meta::Path(_) => TokenStream::new(),
                Meta::List(list) => list.tokens.clone(),
                Meta::NameValue(nv) => {
                    errors.at(nv.span(), format!("write #[{}(...)]", kind.name()));
                    continue;
                }
            };
            let mut attr = Attr::parse(*kind, args, errors);
            if let Some(p) = &attr.krate {
                errors.at(p.span(), "give `crate` to #[service], for all its methods");
            }
            if let Some(prefix) = &self.prefix {
                attr.add_prefix(prefix, errors);
            }
            let (receiver, params) = signature::check(*kind, sig, true, errors);
            let name = &sig.ident;
            let target = Target::Method(name, receiver);
            self.checks
                .extend(type_checks(*kind, sig, &params, private));
            self.decls
                .push(declaration(&attr, krate, private, &target, &params, &names));
            if *kind == Kind::Register {
                if let Some(uri) = &attr.uri {
                    self.procedures.push(crate::proxy::Procedure {
                        uri: uri.clone(),
                        exact: attr.match_policy() == wamp_uri::MatchPolicy::Exact,
                        sig: sig.clone(),
                        doc: attrs
                            .iter()
                            .filter(|a| a.path().is_ident("doc"))
                            .cloned()
                            .collect(),
                    });
                }
            }
        }
        !ours.is_empty()
    }
}

/// `#[service]` on an inherent impl block, or on a trait.
pub fn service(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = match parse_service_args(args) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            ServiceArgs::default()
        }
    };
    let krate = crate_path(args.krate.as_ref());
    let private = quote!(#krate::__private);
    let mut gathered = Gathered {
        errors,
        krate,
        private,
        prefix: args.prefix.as_ref().map(|p| p.value()),
        decls: Vec::new(),
        checks: TokenStream::new(),
        procedures: Vec::new(),
    };
    if let Ok(tr) = syn::parse2::<syn::ItemTrait>(item.clone()) {
        return service_trait(tr, &args, gathered);
    }
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(_) => {
            let e = syn::Error::new(
                item.span(),
                "#[service] goes on an impl block or on a trait",
            )
            .to_compile_error();
            return quote!(#item #e);
        }
    };
    if let Some((_, path, _)) = &block.trait_ {
        gathered.errors.at(
            path.span(),
            "#[service] goes on an inherent impl block (`impl MyService { ... }`), not on a trait impl",
        );
    }
    for impl_item in &mut block.items {
        if let ImplItem::Fn(method) = impl_item {
            gathered.method(&mut method.attrs, &mut method.sig);
        }
    }
    let private = gathered.private.clone();
    let Finished {
        errors,
        declarations,
        proxy,
    } = gathered.finish(args.proxy.as_ref(), &block.generics, &block.self_ty);
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let self_ty = &block.self_ty;
    quote! {
        #block

        #errors

        impl #impl_generics #private::Service for #self_ty #where_clause {
            fn declarations(self: #private::Arc<Self>) -> #private::Vec<#private::Declaration> {
                #declarations
            }
        }

        impl #impl_generics #private::Attach for #self_ty #where_clause {
            fn into_declarations(self) -> #private::Vec<#private::Declaration> {
                #private::Service::declarations(#private::Arc::new(self))
            }
        }

        #proxy
    }
}

/// `#[service]` on a trait: the definition of a service that callers (through its proxy) and
/// callees (through its implementations) share, e.g. in a crate of its own. Each handler
/// method is declared `async fn` without a body and becomes
/// `fn(..) -> impl Future<Output = T> + Send` (an implementation writes `async fn`); the
/// trait gets the provided method `declarations(self: Arc<Self>)`.
fn service_trait(
    mut tr: syn::ItemTrait,
    args: &ServiceArgs,
    mut gathered: Gathered,
) -> TokenStream {
    if !tr.generics.params.is_empty() {
        gathered.errors.on(
            &tr.generics,
            "#[service] goes on a trait without generics: its handlers' types must be known",
        );
    }
    for item in &mut tr.items {
        let syn::TraitItem::Fn(method) = item else {
            continue;
        };
        if !gathered.method(&mut method.attrs, &mut method.sig) {
            continue;
        }
        if let Some(body) = method.default.take() {
            // Reported, and dropped: the rewritten signature would not fit it.
            gathered.errors.on(
                &body,
                "a handler of a #[service] trait has no body here: implementations give it",
            );
        }
        if method.sig.asyncness.take().is_some() {
            let output = match &method.sig.output {
                syn::ReturnType::Default => quote!(()),
                syn::ReturnType::Type(_, ty) => quote!(#ty),
            };
            method.sig.output = syn::parse_quote! {
                -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
            };
        }
    }
    let name = &tr.ident;
    let self_ty: syn::Type = syn::parse_quote!(#name);
    let private = gathered.private.clone();
    let Finished {
        errors,
        declarations: body,
        proxy,
    } = gathered.finish(args.proxy.as_ref(), &tr.generics, &self_ty);
    let doc = format!(
        "The declarations of this service's handlers, for `ComponentBuilder::attach`: \
         `builder.attach({name}::declarations(Arc::new(my_implementation)))`."
    );
    tr.items.push(syn::parse_quote! {
        #[doc = #doc]
        fn declarations(self: #private::Arc<Self>) -> #private::Vec<#private::Declaration>
        where
            Self: ::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync + 'static,
        {
            #body
        }
    });
    quote! {
        #tr

        #errors

        #proxy
    }
}

/// `#[service(crate = "path", prefix = "com.example.", proxy)]`, each optional.
fn parse_service_args(args: TokenStream) -> syn::Result<ServiceArgs> {
    let mut out = ServiceArgs::default();
    if args.is_empty() {
        return Ok(out);
    }
    let list = syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated
        .parse2(args.clone())
        .map_err(|_| {
            syn::Error::new(
                args.span(),
                "#[service] takes `crate = \"path\"`, `prefix = \"com.example.\"` and `proxy` (or `proxy = \"Name\"`)",
            )
        })?;
    let mut errors = Errors::default();
    for meta in list {
        let key = meta.path().get_ident().map(|i| i.unraw().to_string());
        let string = |meta: &Meta| match meta {
            Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                ..
            }) => Some(s.clone()),
            _ => None,
        };
        match key.as_deref() {
            Some("crate") => match string(&meta) {
                Some(s) => out.krate = Some(s.parse()?),
                None => errors.on(
                    &meta,
                    "`crate` takes a path in a string, e.g. crate = \"::wamp\"",
                ),
            },
            Some("prefix") => match string(&meta) {
                Some(s) => out.prefix = Some(s),
                None => errors.on(
                    &meta,
                    "`prefix` takes a string put before every URI, e.g. prefix = \"com.inventory.\"",
                ),
            },
            Some("proxy") => match &meta {
                Meta::Path(_) => out.proxy = Some(None),
                _ => match string(&meta) {
                    Some(s) if s.parse::<Ident>().is_ok() => out.proxy = Some(Some(s)),
                    _ => errors.on(
                        &meta,
                        "`proxy` takes the name of the proxy type, e.g. proxy = \"InventoryClient\" (or nothing: `<Name>Proxy`)",
                    ),
                },
            },
            _ => errors.on(
                meta.path(),
                "unknown option of #[service]; valid options: `crate`, `prefix`, `proxy`",
            ),
        }
    }
    errors.finish().map(|()| out)
}
