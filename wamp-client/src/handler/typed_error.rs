//! Typed application errors, Autobahn's `session.define(Exception, uri)` in Rust: an enum
//! whose variants are error URIs ([`ApplicationError`], usually derived), raised by a
//! procedure returning `Result<T, MyError>` and matched by a caller on the enum
//! ([`CallErrorExt::application`], [`TypedCallError`]), not on URI strings.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wamp_core::value::{from_value, to_value, Value};
use wamp_core::WampError;

use crate::error::CallError;

/// An error type whose values travel as WAMP application errors: each variant is an error
/// URI with its fields as the payload. `#[derive(ApplicationError)]` writes it (and
/// `From<MyError> for WampError`, so a procedure may return `Result<T, MyError>`, and
/// `TryFrom<WampError>`): a variant's named fields are the keyword arguments, a tuple
/// variant's fields the positional arguments, a unit variant has no payload.
///
/// ```
/// use wamp_client::handler::{ApplicationError, CallErrorExt};
/// use wamp_client::{CallError, WampError};
///
/// #[derive(Debug, PartialEq, ApplicationError)]
/// enum InventoryError {
///     #[wamp(uri = "com.inventory.error.not_found")]
///     NotFound { sku: String },
///     #[wamp(uri = "com.inventory.error.out_of_stock")]
///     OutOfStock(String, u32),
///     #[wamp(uri = "com.inventory.error.closed")]
///     Closed,
/// }
///
/// // The callee's side: what a procedure returning Err(..) sends.
/// let wire: WampError = InventoryError::NotFound { sku: "a-1".into() }.into();
/// assert_eq!(wire.uri, "com.inventory.error.not_found");
/// assert_eq!(wire.kwargs.get("sku"), Some(&"a-1".into()));
///
/// // The caller's side: back to the enum.
/// let err = CallError::Application(wire);
/// assert_eq!(
///     err.application::<InventoryError>(),
///     Some(InventoryError::NotFound { sku: "a-1".into() })
/// );
/// let other = CallError::Application(WampError::new("com.other.error"));
/// assert_eq!(other.application::<InventoryError>(), None);
/// ```
///
/// The derive takes `#[wamp(uri = "...")]` on each variant (or on a struct, which is one
/// error), `#[wamp(name = "...")]` on a named field (the keyword), `#[wamp(message)]` on
/// the type (the `Display` text becomes the first positional argument of the variants with
/// named fields or none, as Autobahn puts a message there) and `#[wamp(crate = "path")]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a typed application error",
    label = "not an `ApplicationError`",
    note = "derive it: `#[derive(ApplicationError)]` with `#[wamp(uri = \"...\")]` on each variant (or use `WampError`)"
)]
pub trait ApplicationError: Sized {
    /// The error URIs, one per variant.
    fn uris() -> &'static [&'static str];

    /// The error as it goes on the wire.
    fn to_wamp(&self) -> WampError;

    /// The error read back from the wire: `None` when its URI is none of ours, or its
    /// payload does not fit the variant's fields.
    fn from_wamp(error: &WampError) -> Option<Self>;
}

/// Any error, untyped.
impl ApplicationError for WampError {
    fn uris() -> &'static [&'static str] {
        &[]
    }

    fn to_wamp(&self) -> WampError {
        self.clone()
    }

    fn from_wamp(error: &WampError) -> Option<Self> {
        Some(error.clone())
    }
}

/// Typed application errors of a failed call.
pub trait CallErrorExt {
    /// The application error as `E`, when the call failed with one of `E`'s URIs (and a
    /// payload that fits).
    fn application<E: ApplicationError>(&self) -> Option<E>;
}

impl CallErrorExt for CallError {
    fn application<E: ApplicationError>(&self) -> Option<E> {
        match self {
            CallError::Application(e) => E::from_wamp(e),
            _ => None,
        }
    }
}

/// A failed call whose application errors of type `E` are typed: what a typed proxy's
/// methods return (see `#[service(proxy)]`).
///
/// ```
/// use wamp_client::handler::{ApplicationError, TypedCallError};
/// use wamp_client::{CallError, WampError};
///
/// #[derive(Debug, ApplicationError)]
/// enum StockError {
///     #[wamp(uri = "com.example.error.empty")]
///     Empty,
/// }
///
/// let e: TypedCallError<StockError> =
///     CallError::Application(WampError::new("com.example.error.empty")).into();
/// assert!(matches!(e, TypedCallError::Application(StockError::Empty)));
/// let e: TypedCallError<StockError> = CallError::Canceled.into();
/// assert!(matches!(e, TypedCallError::Call(CallError::Canceled)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TypedCallError<E> {
    /// The callee answered with an error of type `E`.
    Application(E),
    /// Any other failure, including application errors that are not `E`'s.
    Call(CallError),
}

impl<E: ApplicationError> From<CallError> for TypedCallError<E> {
    fn from(e: CallError) -> Self {
        match e.application::<E>() {
            Some(typed) => TypedCallError::Application(typed),
            None => TypedCallError::Call(e),
        }
    }
}

impl<E: ApplicationError> TypedCallError<E> {
    /// The typed application error, if it is one.
    pub fn application(&self) -> Option<&E> {
        match self {
            TypedCallError::Application(e) => Some(e),
            TypedCallError::Call(_) => None,
        }
    }

    /// Back to an untyped [`CallError`].
    pub fn into_call_error(self) -> CallError {
        match self {
            TypedCallError::Application(e) => CallError::Application(e.to_wamp()),
            TypedCallError::Call(e) => e,
        }
    }
}

impl<E: ApplicationError> std::fmt::Display for TypedCallError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypedCallError::Application(e) => e.to_wamp().fmt(f),
            TypedCallError::Call(e) => e.fmt(f),
        }
    }
}

impl<E: ApplicationError + std::fmt::Debug> std::error::Error for TypedCallError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TypedCallError::Application(_) => None,
            TypedCallError::Call(e) => Some(e),
        }
    }
}

/// A field of a typed error, as it goes on the wire (for the derive; not a public API). A
/// field that does not serialize goes as its serializer's complaint, so the error still
/// carries its URI.
#[doc(hidden)]
pub fn __field_to_value<T: Serialize + ?Sized>(field: &T) -> Value {
    to_value(field).unwrap_or_else(|e| Value::from(format!("cannot serialize the field: {e}")))
}

/// A field of a typed error, read back (for the derive; not a public API): a missing one
/// reads as `null` (an `Option` field is `None`).
#[doc(hidden)]
pub fn __field_from_value<T: DeserializeOwned>(value: Option<&Value>) -> Option<T> {
    from_value(value.cloned().unwrap_or_default()).ok()
}
