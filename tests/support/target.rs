//! A test written once, run against each router: Crossbar.io (the reference) and ours.
//!
//! [`RouterKind`] names the router, [`TestRouter`] is what a test asks of it (URLs, peer
//! arguments, the CA, the valid tickets), and [`on_both_routers!`](crate::on_both_routers)
//! expands test functions into `mod crossbar { ... }` and `mod ours { ... }`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::{ours, router, AuthTransport, Endpoint, Ours, Router};

/// Which router a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouterKind {
    /// Crossbar.io 26.10.1, the reference: one node per test binary ([`router()`]).
    Crossbar,
    /// Our router, wamp-router, embedded in the test process ([`ours()`]).
    Ours,
}

impl RouterKind {
    /// Both routers, the reference first.
    pub const ALL: [RouterKind; 2] = [RouterKind::Crossbar, RouterKind::Ours];

    /// The shared router of this kind, started on first use.
    ///
    /// # Panics
    ///
    /// When it cannot start, with what to set up.
    pub fn router(self) -> &'static dyn TestRouter {
        match self {
            RouterKind::Crossbar => router(),
            RouterKind::Ours => ours(),
        }
    }

    /// A private router of this kind on fresh ports, which the test may
    /// [`kill`](TestRouter::kill), [`stop`](TestRouter::stop) and
    /// [`restart`](TestRouter::restart); dropping it ends it. Crossbar.io takes seconds to
    /// start, ours milliseconds.
    ///
    /// # Panics
    ///
    /// When it cannot start, with what to set up.
    pub fn start(self) -> Box<dyn TestRouter> {
        match self {
            RouterKind::Crossbar => Box::new(Router::start()),
            RouterKind::Ours => Box::new(Ours::start()),
        }
    }

    /// `crossbar` or `ours`.
    pub fn name(self) -> &'static str {
        match self {
            RouterKind::Crossbar => "crossbar",
            RouterKind::Ours => "ours",
        }
    }
}

impl fmt::Display for RouterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a test needs of a router, whichever it is: the same endpoints, realms, roles and
/// authenticated transports on both (see [`Router`] and [`Ours`]).
pub trait TestRouter: Send + Sync + fmt::Debug {
    /// Which router this is.
    fn kind(&self) -> RouterKind;
    /// The URL of `endpoint` (Autobahn's `rs://unix:/path` form for [`Endpoint::Unix`]).
    fn url(&self, endpoint: Endpoint) -> String;
    /// The TCP address of `endpoint`, `None` for [`Endpoint::Unix`].
    fn addr(&self, endpoint: Endpoint) -> Option<SocketAddr>;
    /// The Unix domain socket of the RawSocket endpoint.
    fn unix_path(&self) -> &Path;
    /// The WebSocket endpoint that authenticates as `transport` says.
    fn auth_url(&self, transport: AuthTransport) -> String;
    /// The TCP address of [`auth_url`](TestRouter::auth_url).
    fn auth_addr(&self, transport: AuthTransport) -> SocketAddr;
    /// `--url`, `--realm`, `--serializer` and `--ca` for a Python peer.
    fn peer_args(&self, endpoint: Endpoint, serializer: &str) -> Vec<String>;
    /// `--url`, `--realm` and `--serializer` of an authenticated transport for a Python peer.
    fn auth_peer_args(&self, transport: AuthTransport, serializer: &str) -> Vec<String>;
    /// Makes `tickets` the valid ones of [`AuthTransport::TicketRotating`].
    fn set_valid_tickets(&self, tickets: &[&str]);
    /// The file of the valid tickets of [`AuthTransport::TicketRotating`].
    fn valid_tickets_path(&self) -> PathBuf;
    /// The PEM of the CA of the TLS endpoints.
    fn ca_cert_pem(&self) -> &str;
    /// The same CA certificate, DER.
    fn ca_cert_der(&self) -> &[u8];
    /// A file holding [`ca_cert_pem`](TestRouter::ca_cert_pem).
    fn ca_cert_path(&self) -> &Path;
    /// The realm: `realm1`.
    fn realm(&self) -> &str;
    /// The router's temporary directory (the CA, the valid tickets, the Unix socket).
    fn dir(&self) -> &Path;
    /// The last `lines` lines of the router's log, for failure messages (our router logs
    /// through `tracing` in the test process: empty).
    fn log_tail(&self, lines: usize) -> String;
    /// Ends the router at once, like a crash (never on the shared routers).
    fn kill(&self);
    /// Stops the router gracefully (never on the shared routers).
    fn stop(&self);
    /// Starts the router again on the same ports, killing it first if it runs (never on the
    /// shared routers).
    fn restart(&self);
    /// Whether the router runs.
    fn is_running(&self) -> bool;

    /// `ws://127.0.0.1:P/ws`
    fn ws_url(&self) -> String {
        self.url(Endpoint::Ws)
    }
    /// `wss://127.0.0.1:P/ws`
    fn wss_url(&self) -> String {
        self.url(Endpoint::Wss)
    }
    /// `rs://127.0.0.1:P`
    fn rs_url(&self) -> String {
        self.url(Endpoint::Rs)
    }
    /// `rss://127.0.0.1:P`
    fn rss_url(&self) -> String {
        self.url(Endpoint::Rss)
    }
    /// `rs://unix:/path`
    fn unix_url(&self) -> String {
        self.url(Endpoint::Unix)
    }
}

macro_rules! forward {
    ($ty:ty, $kind:expr, $log:expr) => {
        impl TestRouter for $ty {
            fn kind(&self) -> RouterKind {
                $kind
            }
            fn url(&self, endpoint: Endpoint) -> String {
                <$ty>::url(self, endpoint)
            }
            fn addr(&self, endpoint: Endpoint) -> Option<SocketAddr> {
                <$ty>::addr(self, endpoint)
            }
            fn unix_path(&self) -> &Path {
                <$ty>::unix_path(self)
            }
            fn auth_url(&self, transport: AuthTransport) -> String {
                <$ty>::auth_url(self, transport)
            }
            fn auth_addr(&self, transport: AuthTransport) -> SocketAddr {
                <$ty>::auth_addr(self, transport)
            }
            fn peer_args(&self, endpoint: Endpoint, serializer: &str) -> Vec<String> {
                <$ty>::peer_args(self, endpoint, serializer)
            }
            fn auth_peer_args(&self, transport: AuthTransport, serializer: &str) -> Vec<String> {
                <$ty>::auth_peer_args(self, transport, serializer)
            }
            fn set_valid_tickets(&self, tickets: &[&str]) {
                <$ty>::set_valid_tickets(self, tickets)
            }
            fn valid_tickets_path(&self) -> PathBuf {
                <$ty>::valid_tickets_path(self)
            }
            fn ca_cert_pem(&self) -> &str {
                <$ty>::ca_cert_pem(self)
            }
            fn ca_cert_der(&self) -> &[u8] {
                <$ty>::ca_cert_der(self)
            }
            fn ca_cert_path(&self) -> &Path {
                <$ty>::ca_cert_path(self)
            }
            fn realm(&self) -> &str {
                <$ty>::realm(self)
            }
            fn dir(&self) -> &Path {
                <$ty>::dir(self)
            }
            fn kill(&self) {
                <$ty>::kill(self)
            }
            fn stop(&self) {
                <$ty>::stop(self)
            }
            fn restart(&self) {
                <$ty>::restart(self)
            }
            fn is_running(&self) -> bool {
                <$ty>::is_running(self)
            }
            fn log_tail(&self, lines: usize) -> String {
                let log: fn(&$ty, usize) -> String = $log;
                log(self, lines)
            }
        }
    };
}

forward!(Router, RouterKind::Crossbar, |r, lines| r.log_tail(lines));
forward!(Ours, RouterKind::Ours, |_, _| String::new());

/// Writes test functions once and runs each against both routers: expands into
/// `mod crossbar { ... }` and `mod ours { ... }` (so the tests are `crossbar::NAME` and
/// `ours::NAME`), each function with its attributes (`#[test]`, `#[tokio::test]`, ...) and its
/// one parameter bound to the shared router, a `&'static dyn` [`TestRouter`] (started on first
/// use), or, written `kind: RouterKind`, to the [`RouterKind`] only (for a test that starts
/// routers of its own).
///
/// Use it once per module. A case that must stay on one router is written outside, with a
/// comment saying why.
///
/// ```no_run
/// use wamp_suite::{on_both_routers, Endpoint, RouterKind, TestRouter};
///
/// async fn check(router: &dyn TestRouter, endpoint: Endpoint) {
///     let _url = router.url(endpoint);
/// }
///
/// on_both_routers! {
///     #[tokio::test]
///     async fn websocket_works(router) {
///         check(router, Endpoint::Ws).await;
///     }
///     #[test]
///     fn urls_are_loopback(router) {
///         assert!(router.ws_url().starts_with("ws://127.0.0.1:"));
///     }
///     #[test]
///     fn a_private_router_restarts(kind: RouterKind) {
///         let router = kind.start();
///         router.restart();
///     }
/// }
/// ```
#[macro_export]
macro_rules! on_both_routers {
    ($($items:tt)*) => {
        /// The tests against Crossbar.io.
        mod crossbar {
            #[allow(unused_imports)]
            use super::*;
            $crate::__with_router! { $crate::RouterKind::Crossbar; $($items)* }
        }
        /// The same tests against our router.
        mod ours {
            #[allow(unused_imports)]
            use super::*;
            $crate::__with_router! { $crate::RouterKind::Ours; $($items)* }
        }
    };
}

/// The body of [`on_both_routers!`] for one router kind.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_router {
    ($kind:expr;) => {};
    ($kind:expr; $(#[$m:meta])* async fn $name:ident($r:ident: RouterKind) $body:block $($rest:tt)*) => {
        $(#[$m])*
        async fn $name() {
            #[allow(unused_variables)]
            let $r: $crate::RouterKind = $kind;
            $body
        }
        $crate::__with_router! { $kind; $($rest)* }
    };
    ($kind:expr; $(#[$m:meta])* fn $name:ident($r:ident: RouterKind) $body:block $($rest:tt)*) => {
        $(#[$m])*
        fn $name() {
            #[allow(unused_variables)]
            let $r: $crate::RouterKind = $kind;
            $body
        }
        $crate::__with_router! { $kind; $($rest)* }
    };
    ($kind:expr; $(#[$m:meta])* async fn $name:ident($r:ident) $body:block $($rest:tt)*) => {
        $(#[$m])*
        async fn $name() {
            #[allow(unused_variables)]
            let $r: &'static dyn $crate::TestRouter = $kind.router();
            $body
        }
        $crate::__with_router! { $kind; $($rest)* }
    };
    ($kind:expr; $(#[$m:meta])* fn $name:ident($r:ident) $body:block $($rest:tt)*) => {
        $(#[$m])*
        fn $name() {
            #[allow(unused_variables)]
            let $r: &'static dyn $crate::TestRouter = $kind.router();
            $body
        }
        $crate::__with_router! { $kind; $($rest)* }
    };
}
