//! `main`-style components (Autobahn's `Component(main=...)`) and listener failures
//! (Autobahn's `onUserError`), through Crossbar.io 26.10.1 and through our router: a main
//! function runs once the session is ready and its return ends the component, its error
//! becoming the component's (and `run`'s); a failing listener fails its component when the
//! component is built with `fail_on_listener_error`, and is only logged otherwise.

use std::time::Duration;

use tokio::sync::mpsc;
use wamp_client::{
    CallError, Component, ComponentError, LifecycleEvent, ReadyDetails, RunError, Session,
    SessionDetails,
};
use wamp_suite::{within, Endpoint, FaultProxy, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct WrongSum(i64);

impl std::fmt::Display for WrongSum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the sum was {}, not 6", self.0)
    }
}

impl std::error::Error for WrongSum {}

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

fn builder(router: &dyn TestRouter) -> wamp_client::ComponentBuilder {
    Component::builder()
        .name("main-test")
        .transport(router.ws_url())
        .realm("realm1")
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn main_runs_once_ready_and_its_success_ends_the_component_with_a_clean_leave(router) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let comp = builder(router)
            .procedure("com.main.ok.add2", add2)
            .main(move |session: Session| {
                let tx = tx.clone();
                async move {
                    // Its own procedure is live already.
                    let sum: i64 = session.call("com.main.ok.add2", (2, 3)).await?;
                    let _ = tx.send(sum);
                    Ok::<_, CallError>(())
                }
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        within(LIMIT, "the component's end", handle.wait()).await.unwrap();
        assert_eq!(rx.recv().await, Some(5));
        let mut left_cleanly = false;
        while let Some(e) = events.next().await {
            if let LifecycleEvent::Leave { details, .. } = e {
                left_cleanly = details.is_clean();
            }
        }
        assert!(left_cleanly, "the session left cleanly");
        // No reconnect: a caller finds the procedure gone.
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let gone: Result<i64, _> = caller.call("com.main.ok.add2", (1, 1)).await;
        assert_eq!(gone.unwrap_err().uri(), Some("wamp.error.no_such_procedure"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn main_runs_again_on_the_next_session_when_its_session_is_lost_and_a_stop_ends_it(router) {
        let proxy = FaultProxy::start(router.addr(Endpoint::Ws).expect("a TCP endpoint"));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let comp = Component::builder()
            .transport(proxy.url(Endpoint::Ws))
            .realm("realm1")
            .main(move |session: Session| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(session.id());
                    std::future::pending::<()>().await;
                }
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let first = within(LIMIT, "main on the first session", rx.recv()).await.unwrap();
        proxy.drop_connections();
        let second = within(LIMIT, "main on the second session", rx.recv()).await.unwrap();
        assert_ne!(first, second);
        within(LIMIT, "the stop", handle.stop()).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_error_of_main_becomes_the_components_error(router) {
        let comp = builder(router)
            .procedure("com.main.err.add2", add2)
            .main(|session: Session| async move {
                let sum: i64 = session.call("com.main.err.add2", (2, 3)).await.map_err(|e| e.to_string())?;
                if sum != 6 {
                    return Err(Box::new(WrongSum(sum)) as wamp_client::component::BoxError);
                }
                Ok(())
            })
            .build()
            .unwrap();
        let e = within(LIMIT, "the component's end", comp.start().wait()).await.unwrap_err();
        assert!(matches!(e, ComponentError::Main { .. }), "{e:?}");
        let wrong = e.main_error().and_then(|e| e.downcast_ref::<WrongSum>());
        assert_eq!(wrong.map(|w| w.0), Some(5));
        assert_eq!(e.to_string(), "component main-test: main failed: the sum was 5, not 6");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_application_error_from_the_router_ends_main_through_the_question_mark(router) {
        let comp = builder(router)
            .main(|session: Session| async move {
                let _: i64 = session.call("com.main.nobody", ()).await?;
                Ok::<_, CallError>(())
            })
            .build()
            .unwrap();
        let results = within(LIMIT, "run", wamp_client::run_until_signal(vec![comp])).await;
        let Err(RunError::Components(errors)) = results else {
            panic!("expected the component's error, got {results:?}");
        };
        let call = errors[0].main_error().and_then(|e| e.downcast_ref::<CallError>());
        assert_eq!(call.and_then(CallError::uri), Some("wamp.error.no_such_procedure"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_panicking_main_fails_the_component(router) {
        let comp = builder(router)
            .main(|_session: Session| async move {
                if !_session.details().realm.is_empty() {
                    panic!("main gave up");
                }
            })
            .build()
            .unwrap();
        let e = within(LIMIT, "the component's end", comp.start().wait()).await.unwrap_err();
        assert!(e.to_string().contains("main panicked"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failing_join_listener_fails_a_component_built_to_fail_on_listener_errors(router) {
        let comp = builder(router)
            .on_join(|_s: Session, _d: SessionDetails| async { Err::<(), _>("no database") })
            .fail_on_listener_error(true)
            .build()
            .unwrap();
        let e = within(LIMIT, "the component's end", comp.start().wait()).await.unwrap_err();
        match &e {
            ComponentError::Listener { event, error, .. } => {
                assert_eq!(*event, "join");
                assert_eq!(error, "no database");
            }
            other => panic!("expected a listener failure, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_panicking_ready_listener_fails_a_component_built_to_fail_on_listener_errors(router) {
        let comp = builder(router)
            .on_ready(|_s: Session, _d: ReadyDetails| async move {
                if _s.is_joined() {
                    panic!("boom");
                }
            })
            .fail_on_listener_error(true)
            .build()
            .unwrap();
        let e = within(LIMIT, "the component's end", comp.start().wait()).await.unwrap_err();
        assert!(
            matches!(&e, ComponentError::Listener { event: "ready", error, .. } if error.contains("panicked")),
            "{e:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn by_default_a_failing_listener_is_only_logged(router) {
        let comp = builder(router)
            .on_join(|_s: Session, _d: SessionDetails| async { Err::<(), _>("no database") })
            .on_ready(|_s: Session, _d: ReadyDetails| async move {
                if _s.is_joined() {
                    panic!("boom");
                }
            })
            .build()
            .unwrap();
        let handle = comp.start();
        within(LIMIT, "ready", handle.ready()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(handle.is_ready());
        within(LIMIT, "the stop", handle.stop()).await.unwrap();
    }

    #[test]
    fn run_returns_the_error_of_main(router: RouterKind) {
        // `run` would otherwise install a logger for the whole test process.
        let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
        let comp = builder(router.router())
            .main(|_session: Session| async { Err::<(), _>("main says no") })
            .build()
            .unwrap();
        match wamp_client::run(vec![comp]) {
            Err(RunError::Components(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].main_error().map(ToString::to_string).as_deref(), Some("main says no"));
            }
            other => panic!("expected main's error, got {other:?}"),
        }
    }
}
