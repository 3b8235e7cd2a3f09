//! Typed application errors (Autobahn's `session.define(Exception, uri)`) and errors built
//! from serde types, raised by our callees and read by our callers and by an
//! Autobahn|Python caller, through Crossbar.io and our router (`crossbar::NAME`,
//! `ours::NAME`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use wamp_client::handler::{ApplicationError, CallErrorExt, TypedCallError};
use wamp_client::{register, CallError, Component, Session, WampError};
use wamp_suite::{Endpoint, Peer, TestRouter};

const LIMIT: Duration = Duration::from_secs(30);

/// The errors of the inventory.
#[derive(Debug, Clone, PartialEq, ApplicationError)]
enum InventoryError {
    #[wamp(uri = "com.inventory.error.not_found")]
    NotFound { sku: String },
    #[wamp(uri = "com.inventory.error.out_of_stock")]
    OutOfStock(String, u32),
    #[wamp(uri = "com.inventory.error.closed")]
    Closed,
}

/// `com.typederr.take(sku, count)`: fails in each of the three ways.
#[register("com.typederr.take")]
async fn take(sku: String, count: u32) -> Result<u32, InventoryError> {
    match sku.as_str() {
        "apple" if count <= 2 => Ok(2 - count),
        "apple" => Err(InventoryError::OutOfStock(sku, 2)),
        "closed" => Err(InventoryError::Closed),
        _ => Err(InventoryError::NotFound { sku }),
    }
}

/// The keyword arguments of `com.typederr.length`'s error.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Limits {
    min: u32,
    max: u32,
}

/// `com.typederr.length(text)`: an error whose keyword arguments are a serde struct.
#[register("com.typederr.length")]
async fn length(text: String) -> Result<usize, WampError> {
    if (3..=10).contains(&text.len()) {
        return Ok(text.len());
    }
    Err(
        WampError::with_message("com.typederr.error.invalid_length", "wrong length")
            .with_kwargs_of(&Limits { min: 3, max: 10 })?,
    )
}

/// Calls `procedure` from an Autobahn|Python caller and returns its RESULT (or ERROR) line.
fn python_call(router: &dyn TestRouter, procedure: &str, args: serde_json::Value) -> String {
    let mut peer_args = router.peer_args(Endpoint::Ws, "json");
    peer_args.extend([
        "--procedure".into(),
        procedure.into(),
        "--args".into(),
        args.to_string(),
    ]);
    let lines = Peer::spawn("caller.py", &peer_args).finish(LIMIT);
    lines
        .into_iter()
        .find(|l| l.starts_with("RESULT ") || l.starts_with("ERROR "))
        .unwrap_or_else(|| panic!("{procedure}: no RESULT or ERROR line"))
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_caller_matches_the_callees_typed_errors_on_its_enum(router) {
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .attach([take::handler(), length::handler()])
            .build()
            .unwrap();
        let handle = comp.start();
        tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();

        let left: u32 = caller.call("com.typederr.take", ("apple", 1)).await.unwrap();
        assert_eq!(left, 1);
        let err = caller.call::<_, u32>("com.typederr.take", ("apple", 5)).await.unwrap_err();
        assert_eq!(
            err.application::<InventoryError>(),
            Some(InventoryError::OutOfStock("apple".into(), 2))
        );
        let err = caller.call::<_, u32>("com.typederr.take", ("pear", 1)).await.unwrap_err();
        match TypedCallError::<InventoryError>::from(err) {
            TypedCallError::Application(InventoryError::NotFound { sku }) => assert_eq!(sku, "pear"),
            other => panic!("{other:?}"),
        }
        let err = caller.call::<_, u32>("com.typederr.take", ("closed", 1)).await.unwrap_err();
        let CallError::Application(wire) = &err else { panic!("{err:?}") };
        assert_eq!(InventoryError::try_from(wire.clone()), Ok(InventoryError::Closed));
        // Errors of other URIs are not the enum's.
        let err = caller.call::<_, u32>("com.typederr.take", ("apple",)).await.unwrap_err();
        assert_eq!(err.uri(), Some("wamp.error.invalid_argument"));
        assert_eq!(err.application::<InventoryError>(), None);

        // An error's keyword arguments from a serde struct, read back into one.
        let err = caller.call::<_, usize>("com.typederr.length", ("ab",)).await.unwrap_err();
        let CallError::Application(wire) = &err else { panic!("{err:?}") };
        assert_eq!(wire.uri, "com.typederr.error.invalid_length");
        assert_eq!(wire.message(), Some("wrong length"));
        assert_eq!(wire.kwargs_as::<Limits>().unwrap(), Limits { min: 3, max: 10 });

        // Autobahn|Python sees the URI with the fields as keyword or positional arguments.
        let lines = tokio::task::spawn_blocking(move || {
            [
                python_call(router, "com.typederr.take", json!(["pear", 1])),
                python_call(router, "com.typederr.take", json!(["apple", 3])),
            ]
        })
        .await
        .unwrap();
        let error = |line: &str| -> serde_json::Value {
            let json = line.strip_prefix("ERROR ").unwrap_or_else(|| panic!("not an ERROR: {line}"));
            serde_json::from_str(json).unwrap()
        };
        let e = error(&lines[0]);
        assert_eq!(e["uri"], "com.inventory.error.not_found");
        assert_eq!(e["kwargs"], json!({"sku": "pear"}));
        let e = error(&lines[1]);
        assert_eq!(e["uri"], "com.inventory.error.out_of_stock");
        assert_eq!(e["args"], json!(["apple", 2]));
        handle.stop().await.unwrap();
    }
}
