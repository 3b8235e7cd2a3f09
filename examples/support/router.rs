//! Shared by the examples that embed our router when no URL is given (`component`, `hello`,
//! `web_publisher`): `wamp-router` on a tokio runtime of its own, so that it serves while
//! the example's own code (`wamp_client::run`, or its own runtime) runs.

use std::error::Error;
use std::io::Write;

/// Our router, embedded: realm `realm` open to anonymous clients, WebSocket on a free port.
pub struct EmbeddedRouter {
    runtime: tokio::runtime::Runtime,
    router: wamp_router::Router,
    /// The router's WebSocket URL, with its port.
    pub url: String,
}

impl EmbeddedRouter {
    /// Starts the router: realm `realm` open to anonymous clients, WebSocket on a free port
    /// of 127.0.0.1; prints `router listening on URL, realm REALM`.
    pub fn start(realm: &str) -> Result<Self, Box<dyn Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("router")
            .enable_all()
            .build()?;
        let router = runtime.block_on(
            wamp_router::Router::builder()
                .realm(realm)
                .listen("ws://127.0.0.1:0/ws")?
                .start(),
        )?;
        let url = router
            .urls()
            .into_iter()
            .next()
            .ok_or("the router has no listener")?;
        println!("router listening on {url}, realm {realm}");
        let _ = std::io::stdout().flush();
        Ok(EmbeddedRouter {
            runtime,
            router,
            url,
        })
    }

    /// Says GOODBYE to the sessions left and closes.
    pub fn stop(self) {
        self.runtime.block_on(self.router.stop());
    }
}
