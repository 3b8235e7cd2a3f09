//! Callees the tests of calls share: one that runs until it is interrupted, and tells when it
//! started and when its future was dropped.

use std::time::Duration;

use tokio::sync::mpsc;
use wamp_client::{Invocation, Payload, Session, WampError};

use crate::{within, TestRouter};

/// Reports `dropped` when it is dropped: an interrupted handler drops its future, and with it
/// this.
struct OnDrop(mpsc::UnboundedSender<&'static str>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send("dropped");
    }
}

/// A callee of `procedure` (over WebSocket) that reports `started`, then sleeps a minute (it
/// only ends by being interrupted), reporting `dropped` when its future goes.
pub async fn slow_callee(
    router: &dyn TestRouter,
    procedure: &str,
) -> (Session, mpsc::UnboundedReceiver<&'static str>) {
    let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    callee
        .register(procedure, move |_inv: Invocation| {
            let tx = tx.clone();
            async move {
                let _guard = OnDrop(tx.clone());
                let _ = tx.send("started");
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok::<_, WampError>(Payload::new())
            }
        })
        .await
        .unwrap();
    (callee, rx)
}

/// Waits (up to `limit`) for the slow callee's next report and checks it is `want`.
pub async fn next_report(
    rx: &mut mpsc::UnboundedReceiver<&'static str>,
    want: &str,
    limit: Duration,
) {
    let got = within(limit, want, rx.recv()).await;
    assert_eq!(got, Some(want));
}
