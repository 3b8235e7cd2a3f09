//! Shared by the authentication examples (`examples/auth_*.rs`): the settings come from the
//! environment, the component joins once, prints who it is, and leaves.
//!
//! - `WAMP_URL`: the router (default `ws://127.0.0.1:8080/ws`);
//! - `WAMP_REALM`: the realm (default `realm1`);
//! - `WAMP_AUTHID`: the authid;
//! - `WAMP_SECRET`: the ticket, secret, password or hex seed.

use wamp_client::{AuthMethod, Authentication, Component, Session, SessionDetails};

fn env(name: &str, default: Option<&str>) -> String {
    match (std::env::var(name), default) {
        (Ok(v), _) => v,
        (Err(_), Some(d)) => d.to_owned(),
        (Err(_), None) => {
            eprintln!("set {name} (see the example's header)");
            std::process::exit(2);
        }
    }
}

/// Joins with the method `method` makes of `WAMP_SECRET`, prints
/// `joined authid=.. authrole=.. authmethod=..`, leaves; exits 1 with the error on failure.
pub fn join_with(method: impl FnOnce(String) -> AuthMethod) {
    let url = env("WAMP_URL", Some("ws://127.0.0.1:8080/ws"));
    let realm = env("WAMP_REALM", Some("realm1"));
    let authid = env("WAMP_AUTHID", None);
    let secret = env("WAMP_SECRET", None);
    let comp = Component::builder()
        .name("auth")
        .transport(url.as_str())
        .realm(realm)
        .authentication(Authentication::new().authid(authid).method(method(secret)))
        // One attempt: a refusal is reported, not retried.
        .is_fatal(|_| Some(true))
        .on_join(|session: Session, details: SessionDetails| async move {
            let text = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            println!(
                "joined authid={} authrole={} authmethod={}",
                text(details.authid),
                text(details.authrole),
                text(details.authmethod)
            );
            let _ = session.leave().await;
        })
        .build();
    let result = comp
        .map_err(|e| e.to_string())
        .and_then(|c| wamp_client::run(vec![c]).map_err(|e| e.to_string()));
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
