//! Revocations: what the router took back from a session (UNREGISTERED and UNSUBSCRIBED
//! sent by the router), told by the driver to the session's readers and to its component.

use wamp_core::Id;

/// What the router revoked: a registration or a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationKind {
    /// A registration (`[UNREGISTERED, 0, {registration, reason}]`).
    Registration,
    /// A subscription (`[UNSUBSCRIBED, 0, {subscription, reason}]`).
    Subscription,
}

impl RevocationKind {
    /// `registration` or `subscription`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Registration => "registration",
            RevocationKind::Subscription => "subscription",
        }
    }
}

/// A registration or subscription the router revoked (a `force_reregister` by another
/// session, `wamp.registration.remove_callee`, `wamp.subscription.remove_subscriber`): its
/// handler gets nothing more. See [`Session::revocations`](crate::Session::revocations).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revocation {
    /// Registration or subscription.
    pub kind: RevocationKind,
    /// Its id.
    pub id: Id,
    /// The procedure or topic (URI or pattern).
    pub uri: String,
    /// The router's reason, if it gave one (`wamp.error.unregistered` for a
    /// `force_reregister` on Crossbar.io and our router).
    pub reason: Option<String>,
}

/// The revocations of a session, from [`Session::revocations`](crate::Session::revocations).
#[derive(Debug)]
pub struct Revocations {
    rx: tokio::sync::broadcast::Receiver<Revocation>,
    missed: u64,
}

impl Revocations {
    pub(crate) fn new(rx: tokio::sync::broadcast::Receiver<Revocation>) -> Self {
        Revocations { rx, missed: 0 }
    }

    /// The next revocation; `None` once the session has ended.
    pub async fn next(&mut self) -> Option<Revocation> {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match self.rx.recv().await {
                Ok(r) => return Some(r),
                Err(RecvError::Lagged(n)) => self.missed += n,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Revocations lost because this reader fell more than 64 behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
