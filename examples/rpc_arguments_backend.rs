//! Autobahn's "rpc arguments" example, backend: procedures taking no arguments
//! (`com.arguments.ping`), positional ones (`add2(a, b)`), ones with defaults given by
//! position or by keyword (`stars(nick = "somebody", stars = 0)`,
//! `orders(product, limit = 5)`), and any number of both (`arglen(*args, **kwargs)`).
//!
//! ```sh
//! AUTOBAHN_DEMO_ROUTER=ws://127.0.0.1:8080/ws cargo run --example rpc_arguments_backend
//! ```
//!
//! It joins the realm `crossbardemo` on the router given by `AUTOBAHN_DEMO_ROUTER` (default
//! `ws://127.0.0.1:8080/ws`), prints `backend ready` once the procedures are registered, and
//! serves until it is stopped. Run `rpc_arguments_frontend` (or Autobahn|Python's) next.
//!
//! `cargo run --example bench -- --role router` starts a local Crossbar.io with that realm
//! and prints its URLs.
//!
//! A parameter that may come by position or by keyword, as in Python, is an `Option`
//! positional parameter plus a field of the `Kwargs` struct; `bind` picks the one given.

#[path = "support/demo.rs"]
mod demo;

use serde::Deserialize;
use wamp_client::error_uri::INVALID_ARGUMENT;
use wamp_client::handler::{Args, Kwargs};
use wamp_client::{on_ready, register, Dict, Payload, Value, WampError};

/// A parameter given by position or by keyword, not both (Python's binding rule).
fn bind<T>(name: &str, positional: Option<T>, keyword: Option<T>) -> Result<Option<T>, WampError> {
    match (positional, keyword) {
        (Some(_), Some(_)) => Err(WampError::with_message(
            INVALID_ARGUMENT,
            format!("got multiple values for argument '{name}'"),
        )),
        (positional, keyword) => Ok(positional.or(keyword)),
    }
}

/// A parameter without a default that was given neither way.
fn missing(name: &str) -> WampError {
    WampError::with_message(
        INVALID_ARGUMENT,
        format!("missing required argument: '{name}'"),
    )
}

/// Returns nothing: Autobahn answers a Python `None` with one positional `null`.
#[register("com.arguments.ping")]
async fn ping() -> Payload {
    Payload::from_parts(vec![Value::Null], Dict::new())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Add2Kwargs {
    a: Option<i64>,
    b: Option<i64>,
}

#[register("com.arguments.add2")]
async fn add2(a: Option<i64>, b: Option<i64>, kw: Kwargs<Add2Kwargs>) -> Result<i64, WampError> {
    let a = bind("a", a, kw.0.a)?.ok_or_else(|| missing("a"))?;
    let b = bind("b", b, kw.0.b)?.ok_or_else(|| missing("b"))?;
    Ok(a + b)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StarsKwargs {
    nick: Option<String>,
    stars: Option<i64>,
}

#[register("com.arguments.stars")]
async fn stars(
    nick: Option<String>,
    stars: Option<i64>,
    kw: Kwargs<StarsKwargs>,
) -> Result<String, WampError> {
    let nick = bind("nick", nick, kw.0.nick)?.unwrap_or_else(|| "somebody".into());
    let stars = bind("stars", stars, kw.0.stars)?.unwrap_or(0);
    Ok(format!("{nick} starred {stars}x"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersKwargs {
    product: Option<Value>,
    limit: Option<i64>,
}

/// The first `limit` of 50 products, as one list (the product is not looked at).
#[register("com.arguments.orders")]
async fn orders(
    product: Option<Value>,
    limit: Option<i64>,
    kw: Kwargs<OrdersKwargs>,
) -> Result<Vec<String>, WampError> {
    bind("product", product, kw.0.product)?.ok_or_else(|| missing("product"))?;
    let limit = bind("limit", limit, kw.0.limit)?.unwrap_or(5);
    // Python's `products[:limit]`: a negative limit counts from the end.
    let end = if limit < 0 { 50 + limit } else { limit.min(50) };
    Ok((0..end).map(|i| format!("Product {i}")).collect())
}

/// Any arguments at all (Python's `*args, **kwargs`): answers one list,
/// `[number of args, number of kwargs]`.
#[register("com.arguments.arglen")]
async fn arglen(args: Args<Vec<Value>>, kwargs: Kwargs<Dict>) -> Vec<usize> {
    vec![args.0.len(), kwargs.0.len()]
}

#[on_ready]
async fn ready() {
    println!("Registered methods; ready for frontend.");
    println!("backend ready");
}

fn main() {
    demo::backend();
    demo::run(demo::component("rpc_arguments_backend").attach([
        ping::handler(),
        add2::handler(),
        stars::handler(),
        orders::handler(),
        arglen::handler(),
        ready::handler(),
    ]));
}
