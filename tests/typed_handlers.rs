//! Async fns with typed parameters as procedures and event handlers, through Crossbar.io and
//! through our router (`crossbar::NAME`, `ours::NAME`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;
use wamp_client::handler::{event_handler, procedure, CallDetails, EventDetails, Kwargs};
use wamp_client::{CallError, Payload, PublishOptions, Session, WampError};

const LIMIT: Duration = Duration::from_secs(20);

async fn add2(a: i64, b: i64) -> Result<i64, WampError> {
    Ok(a + b)
}

#[derive(Deserialize)]
struct Style {
    #[serde(default)]
    shout: bool,
}

async fn greet(
    name: String,
    title: Option<String>,
    style: Kwargs<Style>,
    call: CallDetails,
) -> Result<String, WampError> {
    let who = match title {
        Some(t) => format!("{t} {name}"),
        None => name,
    };
    let text = format!("Hello, {who}! ({})", call.procedure);
    Ok(if style.0.shout {
        text.to_uppercase()
    } else {
        text
    })
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn typed_procedures_answer_and_refuse_arguments_that_do_not_fit(router) {
        let url = router.ws_url();
        let callee = Session::connect(&url, "realm1").await.unwrap();
        callee
            .register("com.typed.add2", procedure(add2))
            .await
            .unwrap();
        callee
            .register("com.typed.greet", procedure(greet))
            .await
            .unwrap();
        let caller = Session::connect(&url, "realm1").await.unwrap();
        let sum: i64 = caller.call("com.typed.add2", (2, 3)).await.unwrap();
        assert_eq!(sum, 5);
        let hello: String = caller.call("com.typed.greet", ("Ada",)).await.unwrap();
        assert_eq!(hello, "Hello, Ada! (com.typed.greet)");
        let mut kwargs = wamp_client::Dict::new();
        kwargs.insert("shout".into(), true.into());
        let r = caller
            .call_with(
                "com.typed.greet",
                Payload::from_parts(vec!["Ada".into(), "Dr".into()], kwargs),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            r.payload.args,
            vec!["HELLO, DR ADA! (COM.TYPED.GREET)".into()]
        );
        let err = caller
            .call::<_, i64>("com.typed.add2", ("two", 3))
            .await
            .unwrap_err();
        let CallError::Application(e) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(e.uri, "wamp.error.invalid_argument");
        assert!(format!("{:?}", e.args).contains("parameter 1"), "{e:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn typed_event_handlers_get_their_parameters_and_count_what_does_not_fit(router) {
        let url = router.rs_url();
        let subscriber = Session::connect(&url, "realm1").await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handler = event_handler(move |n: u64, label: String, details: EventDetails| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((n, label, details.topic));
            }
        });
        let rejected = handler.rejected();
        subscriber
            .subscribe("com.typed.ticks", handler)
            .await
            .unwrap();
        let publisher = Session::connect(&url, "realm1").await.unwrap();
        let ack = PublishOptions::acknowledged();
        for args in [
            Payload::args(&("bad",)).unwrap(),
            Payload::args(&(7, "seven")).unwrap(),
        ] {
            publisher
                .publish_with("com.typed.ticks", args, ack.clone())
                .await
                .unwrap();
        }
        let got = tokio::time::timeout(LIMIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, (7, "seven".to_string(), "com.typed.ticks".to_string()));
        assert_eq!(rejected.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn handlers_can_take_their_session(router) {
        let url = router.rs_url();
        let callee = Session::connect(&url, "realm1").await.unwrap();
        let callee_id = callee.id();
        async fn whoami(session: Session) -> Result<u64, WampError> {
            Ok(session.id())
        }
        callee
            .register("com.typed.whoami", procedure(whoami))
            .await
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        callee
            .subscribe(
                "com.typed.session",
                event_handler(move |session: Session| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(session.id());
                    }
                }),
            )
            .await
            .unwrap();
        let caller = Session::connect(&url, "realm1").await.unwrap();
        let id: u64 = caller.call("com.typed.whoami", ()).await.unwrap();
        assert_eq!(id, callee_id);
        caller
            .publish_with(
                "com.typed.session",
                Payload::new(),
                PublishOptions::acknowledged(),
            )
            .await
            .unwrap();
        let got = tokio::time::timeout(LIMIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, callee_id);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn progressive_results_reach_a_caller_that_asked_for_them(router) {
        use wamp_client::handler::Progress;
        let url = router.ws_url();
        let callee = Session::connect(&url, "realm1").await.unwrap();
        async fn longop(n: u64, progress: Progress) -> Result<(u64, bool), WampError> {
            let wanted = progress.is_wanted();
            for i in 0..n {
                progress.send(i);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok((n, wanted))
        }
        callee
            .register("com.typed.longop", procedure(longop))
            .await
            .unwrap();
        let caller = Session::connect(&url, "realm1").await.unwrap();
        let mut seen = Vec::new();
        let done = tokio::time::timeout(
            LIMIT,
            caller.call_with_progress(
                "com.typed.longop",
                Payload::args(&(3,)).unwrap(),
                Default::default(),
                |p| seen.push(p.payload.args),
            ),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(seen, vec![vec![0.into()], vec![1.into()], vec![2.into()]]);
        // A tuple result is several positional results.
        assert_eq!(done.payload.args.len(), 2);
        let (n, wanted): (u64, bool) = done.payload.args_as().unwrap();
        assert_eq!((n, wanted), (3, true));
        // A caller that did not ask gets the final result only.
        let (n, wanted): (u64, bool) = caller.call("com.typed.longop", (2,)).await.unwrap();
        assert_eq!((n, wanted), (2, false));
    }
}
