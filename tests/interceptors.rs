//! Message interceptors (`wamp_client::intercept`), through Crossbar.io 26.10.1 and through our
//! router (every test runs against both: `crossbar::NAME`, `ours::NAME`): a hook that adds
//! `authextra` to HELLO (a cryptosign join that needs it), one that stamps a correlation id into
//! every call's options, one that counts messages, one that refuses publications to a
//! forbidden topic; failing, dropping and deciding later on the way out and on the way in; a
//! hook that never decides, one that panics; a component whose every session gets the chain.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wamp_client::auth::{AuthMethod, Authentication, Authenticator};
use wamp_client::intercept::{Decided, Interceptor, Interceptors, Message, Verdict};
use wamp_client::{
    Component, Dict, EventStream, JoinError, JoinOptions, PublishError, Session, SubscribeOptions,
    TransportConfig, Value, WampError,
};
use wamp_core::auth::cryptosign::SigningKey;
use wamp_suite::auth::{CRYPTOSIGN_AUTHID, CRYPTOSIGN_SEED_HEX};
use wamp_suite::{within, AuthTransport, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

async fn join(router: &dyn TestRouter, chain: Interceptors) -> Session {
    let transport = TransportConfig::new(&router.rs_url()).unwrap();
    let options = JoinOptions::new("realm1").interceptors(chain);
    within(LIMIT, "the join", Session::join(&transport, options))
        .await
        .unwrap()
}

async fn plain(router: &dyn TestRouter) -> Session {
    join(router, Interceptors::new()).await
}

/// Answers a cryptosign CHALLENGE, but puts no public key into HELLO: a hook must.
struct SignOnly(SigningKey);

impl Authenticator for SignOnly {
    fn authenticate(&self, _method: &str, extra: &Dict) -> Result<(String, Dict), WampError> {
        let signature = self.0.answer(extra, None).map_err(|e| {
            WampError::with_message("wamp.error.cannot_authenticate", e.to_string())
        })?;
        Ok((signature, Dict::new()))
    }
}

async fn cryptosign_join(
    router: &dyn TestRouter,
    chain: Interceptors,
) -> Result<Session, JoinError> {
    let key = SigningKey::from_hex(CRYPTOSIGN_SEED_HEX).unwrap();
    let auth = Authentication::new()
        .authid(CRYPTOSIGN_AUTHID)
        .method(AuthMethod::custom("cryptosign", Arc::new(SignOnly(key))));
    let transport = TransportConfig::new(&router.auth_url(AuthTransport::Cryptosign)).unwrap();
    let options = JoinOptions::new("realm1")
        .authentication(auth)
        .interceptors(chain);
    within(LIMIT, "the join", Session::join(&transport, options)).await
}

/// Counts messages by name, in each direction.
#[derive(Default)]
struct Counter {
    seen: Mutex<Vec<(bool, &'static str)>>,
}

impl Counter {
    fn count(&self, outgoing: bool, name: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(o, n)| *o == outgoing && *n == name)
            .count()
    }
}

impl Interceptor for Counter {
    fn outgoing(&self, message: &mut Message) -> Verdict {
        self.seen.lock().unwrap().push((true, message.name()));
        Verdict::pass()
    }

    fn incoming(&self, message: &mut Message) -> Verdict {
        self.seen.lock().unwrap().push((false, message.name()));
        Verdict::pass()
    }
}

fn forbid_secret_topics(message: &mut Message) -> Verdict {
    match &*message {
        Message::Publish { topic, .. } if topic.starts_with("com.icpt.secret.") => {
            Verdict::fail(WampError::with_message(
                "wamp.error.not_authorized",
                "publications to com.icpt.secret.* are refused here",
            ))
        }
        _ => Verdict::pass(),
    }
}

async fn echo_callee(router: &dyn TestRouter, procedure: &str) -> Session {
    let callee = plain(router).await;
    callee
        .register(procedure, |x: i64| async move { Ok::<_, WampError>(x) })
        .await
        .unwrap();
    callee
}

/// A stream of the events `session` gets on `topic`.
async fn events_of(session: &Session, topic: &str) -> EventStream {
    session
        .subscribe_stream(topic, SubscribeOptions::default())
        .await
        .unwrap()
}

/// Publishes each of `numbers` to `topic` from a session of its own, acknowledged.
async fn publish_each(router: &dyn TestRouter, topic: &str, numbers: std::ops::Range<i64>) {
    let publisher = plain(router).await;
    for i in numbers {
        publisher.publish(topic, (i,)).acknowledged().await.unwrap();
    }
}

/// The first argument of each of the next `n` events.
async fn next_numbers(events: &mut EventStream, n: usize) -> Vec<i64> {
    let mut got = Vec::new();
    while got.len() < n {
        let event = within(LIMIT, "an event", events.next()).await.unwrap();
        got.push(event.payload.args[0].as_i64().unwrap());
    }
    got
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_hook_that_adds_authextra_to_hello_makes_a_cryptosign_join_succeed(router) {
        // Without the hook, the router does not know which key to check.
        let refused = cryptosign_join(router, Interceptors::new()).await;
        assert!(refused.is_err(), "joined without the public key: {refused:?}");

        let key = SigningKey::from_hex(CRYPTOSIGN_SEED_HEX).unwrap();
        let authextra = key.hello_extra(None);
        let chain = Interceptors::new().outgoing(move |message: &mut Message| {
            if let Message::Hello { details, .. } = message {
                details.insert("authextra".into(), Value::Dict(authextra.clone()));
            }
            Verdict::pass()
        });
        let session = cryptosign_join(router, chain).await.unwrap();
        assert_eq!(session.details().authid.as_deref(), Some(CRYPTOSIGN_AUTHID));
        assert_eq!(session.details().authmethod.as_deref(), Some("cryptosign"));
        session.leave().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_correlation_id_stamped_into_every_call_is_seen_by_the_next_hook_and_accepted_by_the_router(router) {
        let _callee = echo_callee(router, "com.icpt.echo").await;
        let stamped = Arc::new(Mutex::new(Vec::<(u64, String)>::new()));
        let answered = Arc::new(Mutex::new(Vec::<u64>::new()));
        let (seen, results) = (stamped.clone(), answered.clone());
        let chain = Interceptors::new()
            .outgoing(|message: &mut Message| {
                if let Message::Call { request, options, .. } = message {
                    options.insert("x_correlation_id".into(), format!("corr-{request}").into());
                }
                Verdict::pass()
            })
            // Runs after the first: sees its stamp.
            .outgoing(move |message: &mut Message| {
                if let Message::Call { request, options, .. } = &*message {
                    let id = options.get("x_correlation_id").and_then(Value::as_str).unwrap_or("");
                    seen.lock().unwrap().push((*request, id.to_owned()));
                }
                Verdict::pass()
            })
            .incoming(move |message: &mut Message| {
                if let Message::Result { request, .. } = &*message {
                    results.lock().unwrap().push(*request);
                }
                Verdict::pass()
            });
        let caller = join(router, chain).await;
        for i in 0..5i64 {
            let x: i64 = caller.call("com.icpt.echo", (i,)).await.unwrap();
            assert_eq!(x, i);
        }
        let stamped = stamped.lock().unwrap().clone();
        assert_eq!(stamped.len(), 5);
        for (request, id) in &stamped {
            assert_eq!(id, &format!("corr-{request}"));
        }
        let requests: Vec<u64> = stamped.iter().map(|(r, _)| *r).collect();
        assert_eq!(*answered.lock().unwrap(), requests, "each result correlates with its call");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_counting_hook_sees_every_message_in_and_out(router) {
        let _callee = echo_callee(router, "com.icpt.count").await;
        let counter = Arc::new(Counter::default());
        let caller = join(router, Interceptors::new().push(counter.clone())).await;
        for i in 0..3i64 {
            let _: i64 = caller.call("com.icpt.count", (i,)).await.unwrap();
        }
        let mut events = caller
            .subscribe_stream("com.icpt.count.topic", SubscribeOptions::default())
            .await
            .unwrap();
        caller
            .publish("com.icpt.count.topic", (1,))
            .exclude_me(false)
            .acknowledged()
            .await
            .unwrap();
        within(LIMIT, "the event", events.next()).await.unwrap();
        caller.leave().await.unwrap();
        assert_eq!(counter.count(true, "HELLO"), 1);
        assert_eq!(counter.count(false, "WELCOME"), 1);
        assert_eq!(counter.count(true, "CALL"), 3);
        assert_eq!(counter.count(false, "RESULT"), 3);
        assert_eq!(counter.count(true, "SUBSCRIBE"), 1);
        assert_eq!(counter.count(false, "SUBSCRIBED"), 1);
        assert_eq!(counter.count(true, "PUBLISH"), 1);
        assert_eq!(counter.count(false, "PUBLISHED"), 1);
        assert_eq!(counter.count(false, "EVENT"), 1);
        assert_eq!(counter.count(true, "GOODBYE"), 1);
        assert_eq!(counter.count(false, "GOODBYE"), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn publications_to_a_forbidden_topic_are_refused_with_the_hooks_error_and_never_reach_the_router(router) {
        let subscriber = plain(router).await;
        let mut secret = subscriber
            .subscribe_stream("com.icpt.secret.plans", SubscribeOptions::default())
            .await
            .unwrap();
        let mut public = subscriber
            .subscribe_stream("com.icpt.public", SubscribeOptions::default())
            .await
            .unwrap();
        let publisher = join(router, Interceptors::new().outgoing(forbid_secret_topics)).await;

        let refused = publisher
            .publish("com.icpt.secret.plans", (1,))
            .acknowledged()
            .await
            .unwrap_err();
        match &refused {
            PublishError::Application(e) => {
                assert_eq!(e.uri, "wamp.error.not_authorized");
                assert_eq!(e.message(), Some("publications to com.icpt.secret.* are refused here"));
            }
            other => panic!("expected the hook's error, got {other:?}"),
        }
        // Without acknowledgement: not sent either, and nothing to fail.
        publisher.publish("com.icpt.secret.plans", (2,)).await.unwrap();
        publisher.publish("com.icpt.public", (3,)).acknowledged().await.unwrap();

        let event = within(LIMIT, "the public event", public.next()).await.unwrap();
        assert_eq!(event.payload.args, vec![Value::from(3)]);
        let quiet = tokio::time::timeout(Duration::from_millis(300), secret.next()).await;
        assert!(quiet.is_err(), "a refused publication reached the router: {quiet:?}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_failed_or_dropped_on_its_way_out_fails_with_the_hooks_error_or_canceled(router) {
        let _callee = echo_callee(router, "com.icpt.out").await;
        let chain = Interceptors::new().outgoing(|message: &mut Message| match &*message {
            Message::Call { args, .. } if args.first() == Some(&Value::from(1)) => {
                Verdict::fail(WampError::new("com.icpt.error.refused"))
            }
            Message::Call { args, .. } if args.first() == Some(&Value::from(2)) => Verdict::discard(),
            _ => Verdict::pass(),
        });
        let caller = join(router, chain).await;
        let e = caller.call::<_, i64>("com.icpt.out", (1,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("com.icpt.error.refused"), "{e:?}");
        let e = within(LIMIT, "the dropped call", caller.call::<_, i64>("com.icpt.out", (2,)))
            .await
            .unwrap_err();
        assert_eq!(e.uri(), Some("wamp.error.canceled"), "{e:?}");
        let x: i64 = caller.call("com.icpt.out", (3,)).await.unwrap();
        assert_eq!(x, 3, "the session goes on");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_result_failed_on_its_way_in_fails_the_call_with_the_hooks_error(router) {
        let _callee = echo_callee(router, "com.icpt.in").await;
        let chain = Interceptors::new().incoming(|message: &mut Message| match &*message {
            Message::Result { args, .. } if args.first() == Some(&Value::from(13)) => {
                Verdict::fail(WampError::new("com.icpt.error.unlucky"))
            }
            _ => Verdict::pass(),
        });
        let caller = join(router, chain).await;
        let e = caller.call::<_, i64>("com.icpt.in", (13,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("com.icpt.error.unlucky"), "{e:?}");
        let x: i64 = caller.call("com.icpt.in", (14,)).await.unwrap();
        assert_eq!(x, 14);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_invocation_refused_by_the_callees_hook_is_answered_with_its_error(router) {
        let chain = Interceptors::new().incoming(|message: &mut Message| match &*message {
            Message::Invocation { args, .. } if args.first() == Some(&Value::from(0)) => {
                Verdict::fail(WampError::new("com.icpt.error.zero"))
            }
            _ => Verdict::pass(),
        });
        let callee = join(router, chain).await;
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = ran.clone();
        callee
            .register("com.icpt.guarded", move |x: i64| {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, WampError>(x) }
            })
            .await
            .unwrap();
        let caller = plain(router).await;
        let e = caller.call::<_, i64>("com.icpt.guarded", (0,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("com.icpt.error.zero"), "{e:?}");
        let x: i64 = caller.call("com.icpt.guarded", (5,)).await.unwrap();
        assert_eq!(x, 5);
        assert_eq!(ran.load(Ordering::SeqCst), 1, "the refused invocation never ran");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn events_dropped_by_a_hook_are_not_delivered_and_the_others_are(router) {
        let chain = Interceptors::new().incoming(|message: &mut Message| match &*message {
            Message::Event { args, .. } if args.first().and_then(Value::as_i64).is_some_and(|n| n % 2 == 1) => {
                Verdict::discard()
            }
            _ => Verdict::pass(),
        });
        let subscriber = join(router, chain).await;
        let mut events = events_of(&subscriber, "com.icpt.evens").await;
        publish_each(router, "com.icpt.evens", 0..10).await;
        assert_eq!(next_numbers(&mut events, 5).await, vec![0, 2, 4, 6, 8]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_hook_that_decides_later_keeps_the_messages_in_order(router) {
        let _callee = echo_callee(router, "com.icpt.later").await;
        let order = Arc::new(Mutex::new(Vec::<i64>::new()));
        let seen = order.clone();
        let chain = Interceptors::new()
            .outgoing(|message: &mut Message| {
                // Calls with a smaller argument wait longer: order must hold all the same.
                let delay = match &*message {
                    Message::Call { args, .. } => 50 - 10 * args[0].as_i64().unwrap_or(0),
                    _ => 0,
                };
                Verdict::later(move |message| async move {
                    tokio::time::sleep(Duration::from_millis(delay.max(0) as u64)).await;
                    Decided::Pass(message)
                })
            })
            .outgoing(move |message: &mut Message| {
                if let Message::Call { args, .. } = &*message {
                    seen.lock().unwrap().push(args[0].as_i64().unwrap());
                }
                Verdict::pass()
            });
        let caller = join(router, chain).await;
        let calls: Vec<_> = (0..5i64)
            .map(|i| caller.call::<_, i64>("com.icpt.later", (i,)).into_future())
            .collect();
        let results = within(LIMIT, "the calls", futures_util::future::join_all(calls)).await;
        let results: Vec<i64> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(results, vec![0, 1, 2, 3, 4]);
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_incoming_hook_that_decides_later_keeps_the_events_in_order(router) {
        let chain = Interceptors::new().incoming(|message: &mut Message| {
            let delay = match &*message {
                Message::Event { args, .. } => 40 - 10 * args[0].as_i64().unwrap_or(0),
                _ => 0,
            };
            Verdict::later(move |message| async move {
                tokio::time::sleep(Duration::from_millis(delay.max(0) as u64)).await;
                Decided::Pass(message)
            })
        });
        let subscriber = join(router, chain).await;
        let mut events = events_of(&subscriber, "com.icpt.slow_in").await;
        publish_each(router, "com.icpt.slow_in", 0..5).await;
        assert_eq!(next_numbers(&mut events, 5).await, vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn messages_waiting_behind_an_incoming_hook_are_not_taken_for_a_stalled_router(router) {
        // The first event's hook takes longer than the read timeout while the second waits,
        // read and complete, in the buffer: that is no frame in progress.
        let chain = Interceptors::new()
            .incoming(|message: &mut Message| match &*message {
                Message::Event { args, .. } if args.first() == Some(&Value::from(0)) => {
                    Verdict::later(|message| async move {
                        tokio::time::sleep(Duration::from_millis(800)).await;
                        Decided::Pass(message)
                    })
                }
                _ => Verdict::pass(),
            })
            .timeout(Duration::from_secs(5));
        let transport = TransportConfig::new(&router.rs_url())
            .unwrap()
            .read_timeout(Duration::from_millis(200));
        let options = JoinOptions::new("realm1").interceptors(chain);
        let subscriber = within(LIMIT, "the join", Session::join(&transport, options))
            .await
            .unwrap();
        let mut events = events_of(&subscriber, "com.icpt.behind").await;
        publish_each(router, "com.icpt.behind", 0..2).await;
        for want in 0..2i64 {
            let event = within(LIMIT, "an event", events.next()).await.unwrap();
            assert_eq!(event.payload.args, vec![Value::from(want)]);
        }
        assert!(subscriber.is_joined(), "the session was given up");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_hook_that_never_decides_fails_its_message_with_timeout_and_the_session_goes_on(router) {
        let _callee = echo_callee(router, "com.icpt.stuck").await;
        let chain = Interceptors::new()
            .outgoing(|message: &mut Message| match &*message {
                Message::Call { args, .. } if args.first() == Some(&Value::from(0)) => {
                    Verdict::later(|_message| std::future::pending())
                }
                _ => Verdict::pass(),
            })
            .timeout(Duration::from_millis(300));
        let caller = join(router, chain).await;
        let e = within(LIMIT, "the stuck call", caller.call::<_, i64>("com.icpt.stuck", (0,)))
            .await
            .unwrap_err();
        assert_eq!(e.uri(), Some("wamp.error.timeout"), "{e:?}");
        let x: i64 = caller.call("com.icpt.stuck", (1,)).await.unwrap();
        assert_eq!(x, 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_hook_that_panics_fails_its_message_with_runtime_error_and_the_session_goes_on(router) {
        let _callee = echo_callee(router, "com.icpt.panic").await;
        let chain = Interceptors::new().outgoing(|message: &mut Message| match &*message {
            Message::Call { args, .. } if args.first() == Some(&Value::from(0)) => {
                panic!("a hook bug")
            }
            _ => Verdict::pass(),
        });
        let caller = join(router, chain).await;
        let e = caller.call::<_, i64>("com.icpt.panic", (0,)).await.unwrap_err();
        assert_eq!(e.uri(), Some("wamp.error.runtime_error"), "{e:?}");
        let x: i64 = caller.call("com.icpt.panic", (1,)).await.unwrap();
        assert_eq!(x, 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_hello_failed_by_a_hook_fails_the_join_with_its_uri(router) {
        let chain = Interceptors::new().outgoing(|message: &mut Message| match &*message {
            Message::Hello { .. } => Verdict::fail(WampError::with_message(
                "com.icpt.error.not_today",
                "no sessions today",
            )),
            _ => Verdict::pass(),
        });
        let transport = TransportConfig::new(&router.rs_url()).unwrap();
        let options = JoinOptions::new("realm1").interceptors(chain);
        let e = within(LIMIT, "the join", Session::join(&transport, options))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("com.icpt.error.not_today"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_welcome_failed_by_a_hook_fails_the_join_with_its_uri(router) {
        let chain = Interceptors::new().incoming(|message: &mut Message| match &*message {
            Message::Welcome { .. } => Verdict::fail(WampError::new("com.icpt.error.unwelcome")),
            _ => Verdict::pass(),
        });
        let transport = TransportConfig::new(&router.rs_url()).unwrap();
        let options = JoinOptions::new("realm1").interceptors(chain);
        let e = within(LIMIT, "the join", Session::join(&transport, options))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("com.icpt.error.unwelcome"), "{e}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_subscribed_a_hook_fails_is_handled_as_received_because_the_router_holds_the_subscription(router) {
        let chain = Interceptors::new().incoming(|message: &mut Message| match &*message {
            Message::Subscribed { .. } => Verdict::fail(WampError::new("com.icpt.error.no")),
            _ => Verdict::pass(),
        });
        let subscriber = join(router, chain).await;
        let mut events = events_of(&subscriber, "com.icpt.held").await;
        publish_each(router, "com.icpt.held", 1..2).await;
        let event = within(LIMIT, "the event", events.next()).await.unwrap();
        assert_eq!(event.payload.args, vec![Value::from(1)]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_components_sessions_get_its_chain(router) {
        let counter = Arc::new(Counter::default());
        let (joined_tx, mut joined) = tokio::sync::mpsc::unbounded_channel();
        let comp = Component::builder()
            .transport(router.rs_url())
            .realm("realm1")
            .interceptor(counter.clone())
            .interceptors(Interceptors::new().outgoing(forbid_secret_topics))
            .on_join(move |session: Session, _details| {
                let joined_tx = joined_tx.clone();
                async move {
                    let refused = session.publish("com.icpt.secret.x", (1,)).acknowledged().await;
                    let _ = joined_tx.send(refused.err().and_then(|e| e.uri().map(str::to_owned)));
                }
            })
            .build()
            .unwrap();
        let handle = comp.start();
        let uri = within(LIMIT, "the session", joined.recv()).await.unwrap();
        assert_eq!(uri.as_deref(), Some("wamp.error.not_authorized"));
        within(LIMIT, "the stop", handle.stop()).await.unwrap();
        assert_eq!(counter.count(true, "HELLO"), 1, "the counting hook saw the session");
        assert_eq!(counter.count(true, "PUBLISH"), 1, "the refused publication passed the first hook");
    }
}
