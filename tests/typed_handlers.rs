//! Async fns with typed parameters as procedures and event handlers, through Crossbar.io and
//! through our router (`crossbar::NAME`, `ours::NAME`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;
use wamp_client::handler::{event_handler, procedure, CallDetails, EventDetails, Kwargs};
use wamp_client::{
    register, service, CallError, CallOptions, Component, Dict, Payload, PublishOptions, Session,
    Value, WampError,
};

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

/// `com.typed.reserve(sku, count, note=None)`: parameters filled positionally or by name.
#[register("com.typed.reserve")]
async fn reserve(
    sku: String,
    count: usize,
    note: Option<String>,
) -> (String, usize, Option<String>) {
    (sku, count, note)
}

/// `com.typed.double(n: u8)`: a small integer, as argument and result.
#[register("com.typed.double")]
async fn double(n: u8, #[wamp(name = "by")] factor: Option<u8>) -> Result<u16, WampError> {
    Ok(u16::from(n) * u16::from(factor.unwrap_or(2)))
}

/// Records the events it gets.
struct Recorder {
    tx: mpsc::UnboundedSender<(String, usize)>,
}

#[service]
impl Recorder {
    #[wamp_client::subscribe("com.typed.restocked")]
    async fn restocked(&self, sku: String, count: usize) {
        let _ = self.tx.send((sku, count));
    }
}

/// Calls `procedure` with positional and keyword arguments; the future gives the result's
/// payload.
fn call_raw(
    session: &Session,
    procedure: &str,
    args: Vec<Value>,
    kwargs: &[(&str, Value)],
) -> impl std::future::Future<Output = Result<Payload, CallError>> {
    let kwargs: Dict = kwargs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let payload = Payload::from_parts(args, kwargs);
    let call = session.call_with(procedure, payload, CallOptions::default());
    async move { Ok(call.await?.payload) }
}

/// The message of an `invalid_argument` error (and that it is one).
fn invalid_argument(r: Result<Payload, CallError>) -> String {
    let err = r.unwrap_err();
    let CallError::Application(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.uri, "wamp.error.invalid_argument");
    e.args[0].as_str().unwrap().to_owned()
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn declared_handlers_take_keyword_arguments_by_parameter_name(router) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .attach([reserve::handler(), double::handler()])
            .attach(Recorder { tx })
            .build()
            .unwrap();
        let handle = comp.start();
        let session = tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();

        // Positionally, by name, and both.
        let r = call_raw(&caller, "com.typed.reserve", vec![], &[("sku", "a-1".into()), ("count", 3.into())]);
        assert_eq!(r.await.unwrap().args, vec!["a-1".into(), 3.into(), Value::Null]);
        let r = call_raw(&caller, "com.typed.reserve", vec!["a-1".into()], &[("note", "rush".into()), ("count", 2.into())]);
        assert_eq!(r.await.unwrap().args, vec!["a-1".into(), 2.into(), "rush".into()]);
        // A renamed parameter takes the keyword argument of its new name.
        let r = call_raw(&caller, "com.typed.double", vec![], &[("n", 200.into()), ("by", 3.into())]);
        assert_eq!(r.await.unwrap().args, vec![600.into()]);

        // Unknown keywords, named.
        let r = call_raw(&caller, "com.typed.reserve", vec!["a-1".into(), 1.into()], &[("colour", "red".into())]);
        let msg = invalid_argument(r.await);
        assert!(msg.starts_with("unexpected keyword argument `colour`"), "{msg}");
        // Errors name the parameter, not its position.
        let r = call_raw(&caller, "com.typed.reserve", vec!["a-1".into(), "three".into()], &[]);
        let msg = invalid_argument(r.await);
        assert!(msg.starts_with("parameter `count`: "), "{msg}");
        let r = call_raw(&caller, "com.typed.reserve", vec!["a-1".into()], &[]);
        let msg = invalid_argument(r.await);
        assert!(msg.starts_with("parameter `count`: missing"), "{msg}");
        // A usize out of range, and a u8 out of range.
        let r = call_raw(&caller, "com.typed.reserve", vec!["a-1".into(), (-1).into()], &[]);
        let msg = invalid_argument(r.await);
        assert!(msg.starts_with("parameter `count`: "), "{msg}");
        let r = call_raw(&caller, "com.typed.double", vec![300.into()], &[]);
        let msg = invalid_argument(r.await);
        assert!(msg.starts_with("parameter `n`: "), "{msg}");

        // Events with keyword arguments fill the parameters of their names too.
        let ack = PublishOptions::acknowledged();
        let p = Payload::args(&("b-2",)).unwrap().with_kwargs(&serde_json::json!({"count": 4})).unwrap();
        caller.publish_with("com.typed.restocked", p, ack.clone()).await.unwrap();
        let got = tokio::time::timeout(LIMIT, rx.recv()).await.unwrap().unwrap();
        assert_eq!(got, ("b-2".to_string(), 4));
        drop(session);
        handle.stop().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn usize_is_an_argument_and_a_result(router) {
        let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        async fn len(items: Vec<String>, extra: usize) -> usize {
            items.len() + extra
        }
        callee.register("com.typed.len", len).await.unwrap();
        let caller = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        let n: usize = caller.call("com.typed.len", (vec!["a", "b"], 40usize)).await.unwrap();
        assert_eq!(n, 42);
        let err = caller.call::<_, usize>("com.typed.len", (vec!["a"], -1)).await.unwrap_err();
        let CallError::Application(e) = &err else { panic!("{err:?}") };
        assert_eq!(e.uri, "wamp.error.invalid_argument");
        // Registered without the macro: no names, the parameter is counted.
        assert!(e.args[0].as_str().unwrap().starts_with("parameter 2: "), "{e:?}");
    }

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
