//! `#[service(proxy)]`: the typed caller proxy of a service's procedures.

use proc_macro2::TokenStream;
use syn::{ItemImpl, LitStr, Signature};

use crate::attr::Errors;

/// One procedure of the service, as the proxy calls it.
#[allow(dead_code)]
pub struct Procedure {
    /// The full URI (with the service's prefix).
    pub uri: LitStr,
    /// Whether it is registered with the exact match policy (only those can be called by
    /// their URI).
    pub exact: bool,
    /// The method's signature.
    pub sig: Signature,
    /// The parameters' names.
    pub names: Vec<String>,
    /// The method's doc attributes.
    pub doc: Vec<syn::Attribute>,
}

/// The proxy type and its methods.
pub fn expand(
    _block: &ItemImpl,
    _name: Option<&LitStr>,
    _procedures: &[Procedure],
    _krate: &TokenStream,
    _errors: &mut Errors,
) -> TokenStream {
    TokenStream::new()
}
