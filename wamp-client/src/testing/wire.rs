//! What the fake router says and the pipe under it: the WELCOME details it sends, and reading
//! and writing the pipe.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wamp_core::value::{Dict, Value};
use wamp_core::Id;

/// The session id [`FakePeer::welcome`](super::FakePeer::welcome) gives.
pub const SESSION_ID: Id = 1234;

/// The details of the WELCOME that [`FakePeer::welcome`](super::FakePeer::welcome) sends: the `broker` and `dealer`
/// roles, the dealer with `call_canceling`, `call_timeout`, `progressive_call_results` and
/// `caller_identification`.
///
/// ```
/// use wamp_client::testing::{role_features, router_details};
///
/// assert!(role_features(&router_details(), "dealer").contains(&"call_canceling".to_owned()));
/// ```
pub fn router_details() -> Dict {
    router_details_with(&[
        "call_canceling",
        "call_timeout",
        "progressive_call_results",
        "caller_identification",
    ])
}

/// WELCOME details announcing the `broker` role and the `dealer` role with `dealer_features`.
///
/// ```
/// use wamp_client::testing::{role_features, router_details_with};
///
/// // A dealer that cannot cancel calls.
/// let d = router_details_with(&["progressive_call_results"]);
/// assert_eq!(role_features(&d, "dealer"), ["progressive_call_results"]);
/// ```
pub fn router_details_with(dealer_features: &[&str]) -> Dict {
    let mut features = Dict::new();
    for f in dealer_features {
        features.insert((*f).into(), Value::Bool(true));
    }
    let mut dealer = Dict::new();
    dealer.insert("features".into(), Value::Dict(features));
    let mut broker = Dict::new();
    broker.insert("features".into(), Value::Dict(Dict::new()));
    let mut roles = Dict::new();
    roles.insert("broker".into(), Value::Dict(broker));
    roles.insert("dealer".into(), Value::Dict(dealer));
    let mut details = Dict::new();
    details.insert("roles".into(), Value::Dict(roles));
    details
}

/// The features set to `true` in `details.roles.<role>.features` (of a HELLO or a WELCOME),
/// in key order.
///
/// ```
/// use wamp_client::testing::role_features;
/// use wamp_core::session::default_roles;
/// use wamp_core::{Dict, Value};
///
/// let hello = Dict::from([("roles", Value::Dict(default_roles()))]);
/// assert!(role_features(&hello, "caller").contains(&"call_canceling".to_owned()));
/// assert!(role_features(&hello, "dealer").is_empty());
/// ```
pub fn role_features(details: &Dict, role: &str) -> Vec<String> {
    let features = details
        .get("roles")
        .and_then(Value::as_dict)
        .and_then(|r| r.get(role))
        .and_then(Value::as_dict)
        .and_then(|r| r.get("features"))
        .and_then(Value::as_dict);
    features
        .map(|f| {
            f.iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, _)| k.to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads into `buf` once; false at the end of the stream (or on an error).
pub(super) async fn fill(io: &mut DuplexStream, buf: &mut BytesMut) -> bool {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(16 * 1024);
    }
    matches!(io.read_buf(buf).await, Ok(n) if n > 0)
}

/// Writes all of `bytes`; false when the client is gone.
pub(super) async fn write_all(io: &mut DuplexStream, bytes: &[u8]) -> bool {
    io.write_all(bytes).await.is_ok()
}
