//! Our router does what Crossbar.io does: each scenario runs against both, and what the
//! clients saw (results, errors, INVOCATION and EVENT details, meta API answers and events)
//! is written down with the ids and random authids replaced by names, so that the two
//! transcripts must be equal. Crossbar.io 26.10.1 is the reference: a difference is a bug of
//! ours unless a comment says otherwise. `WAMP_SUITE_SHOW_TRANSCRIPTS=1` prints them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value as Json};
use tokio::sync::mpsc;
use wamp_client::{
    CallError, Event, Invocation, JoinOptions, MatchPolicy, Payload, PublishOptions, RegisterError,
    RegisterOptions, Session, SubscribeOptions, TransportConfig, WampError,
};
use wamp_core::{Dict, Value};
use wamp_suite::{within, RouterKind};

const LIMIT: Duration = Duration::from_secs(20);

/// What the clients of a scenario saw, with ids and authids replaced by names.
#[derive(Default)]
struct Transcript {
    names: BTreeMap<u64, String>,
    texts: BTreeMap<String, String>,
    lines: Vec<(String, Json)>,
}

impl Transcript {
    /// Names the session, and its authid.
    fn session(&mut self, name: &str, session: &Session) {
        self.names.insert(session.id(), name.to_owned());
        if let Some(authid) = &session.details().authid {
            self.texts
                .insert(authid.clone(), format!("<authid of {name}>"));
        }
    }

    /// Names an id (a registration, a subscription).
    fn id(&mut self, name: &str, id: u64) {
        self.names.insert(id, name.to_owned());
    }

    fn value(&self, v: &Value, key: Option<&str>) -> Json {
        if matches!(key, Some("created" | "timestamp")) {
            return json!("<time>");
        }
        match v {
            Value::Int(i) => match u64::try_from(*i).ok().and_then(|u| self.names.get(&u)) {
                Some(name) => json!(name),
                None => json!(i),
            },
            Value::UInt(u) => match self.names.get(u) {
                Some(name) => json!(name),
                None => json!(u),
            },
            Value::String(s) => match self.texts.get(s.as_str()) {
                Some(name) => json!(name),
                None => json!(s.as_str()),
            },
            Value::List(l) => Json::Array(l.iter().map(|v| self.value(v, None)).collect()),
            Value::Dict(d) => self.dict(d),
            other => json!(format!("{other:?}")),
        }
    }

    fn dict(&self, d: &Dict) -> Json {
        Json::Object(
            d.iter()
                .map(|(k, v)| (k.to_string(), self.value(v, Some(k))))
                .collect(),
        )
    }

    /// Writes down `what` happened.
    fn log(&mut self, what: &str, v: Json) {
        self.lines.push((what.to_owned(), v));
    }

    /// Writes down a call's outcome: its args and kwargs, or its error.
    fn log_call(&mut self, what: &str, r: &Result<wamp_client::CallResult, CallError>) {
        let j = match r {
            Ok(r) => json!({
                "args": self.value(&Value::List(r.payload.args.clone()), None),
                "kwargs": self.dict(&r.payload.kwargs),
            }),
            Err(e) => json!({"error": e.uri().map_or_else(|| e.to_string(), str::to_owned)}),
        };
        self.log(what, j);
    }

    fn render(&self) -> String {
        let mut text = self
            .lines
            .iter()
            .map(|(what, v)| format!("{what}: {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        // Ids and authids quoted inside error messages.
        for (authid, name) in &self.texts {
            text = text.replace(authid.as_str(), name);
        }
        for (id, name) in &self.names {
            text = text.replace(&format!("session_id={id}"), &format!("session_id={name}"));
        }
        text
    }
}

async fn join(kind: RouterKind) -> Session {
    let config = TransportConfig::new(&kind.router().rs_url())
        .unwrap()
        .serializer_names(&["msgpack"])
        .unwrap();
    within(
        LIMIT,
        "join",
        Session::join(&config, JoinOptions::new("realm1")),
    )
    .await
    .expect("join")
}

async fn call(
    s: &Session,
    procedure: &str,
    args: Vec<Value>,
) -> Result<wamp_client::CallResult, CallError> {
    within(
        LIMIT,
        procedure,
        s.call_with(
            procedure,
            Payload::from_parts(args, Dict::new()),
            Default::default(),
        ),
    )
    .await
}

/// Runs `scenario` on both routers and checks that our transcript is Crossbar.io's.
async fn same_on_both<F, Fut>(scenario: F)
where
    F: Fn(RouterKind) -> Fut,
    Fut: std::future::Future<Output = Transcript>,
{
    let crossbar = scenario(RouterKind::Crossbar).await.render();
    let ours = scenario(RouterKind::Ours).await.render();
    if std::env::var_os("WAMP_SUITE_SHOW_TRANSCRIPTS").is_some() {
        eprintln!("--- crossbar:\n{crossbar}\n--- ours:\n{ours}");
    }
    if crossbar != ours {
        let diff: Vec<String> = crossbar
            .lines()
            .zip(ours.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("crossbar: {a}\n    ours: {b}"))
            .collect();
        panic!(
            "our router differs from Crossbar.io:\n{}\n\n--- crossbar:\n{crossbar}\n--- ours:\n{ours}",
            diff.join("\n")
        );
    }
}

/// An echo of the invocation's details, as a procedure.
fn details_echo() -> impl Fn(Invocation) -> std::future::Ready<Result<Payload, WampError>> + Clone {
    |inv: Invocation| {
        std::future::ready(Ok(Payload::from_parts(
            vec![Value::Dict(inv.details.clone())],
            Dict::new(),
        )))
    }
}

async fn disclosure(kind: RouterKind) -> Transcript {
    let p = "com.parity.disclose";
    let mut t = Transcript::default();
    let callee = join(kind).await;
    let caller = join(kind).await;
    t.session("callee", &callee);
    t.session("caller", &caller);
    let reg = callee
        .register(&format!("{p}.who"), details_echo())
        .await
        .unwrap();
    t.id("registration", reg.id());
    let r = call(&caller, &format!("{p}.who"), vec![]).await;
    t.log_call("invocation details (the realm discloses callers)", &r);

    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let sub = callee
        .subscribe(&format!("{p}.topic"), move |e: Event| {
            let _ = tx.send(e);
            async {}
        })
        .await
        .unwrap();
    t.id("subscription", sub.id());
    let publication = caller
        .publish_with(
            &format!("{p}.topic"),
            Payload::new(),
            PublishOptions::acknowledged(),
        )
        .await
        .unwrap()
        .unwrap();
    t.id("publication", publication);
    let e = within(LIMIT, "event", rx.recv()).await.unwrap();
    t.log("event topic", json!(e.topic));
    t.log(
        "event details (the realm discloses publishers)",
        t.dict(&e.details),
    );
    caller.leave().await.unwrap();
    callee.leave().await.unwrap();
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn callers_and_publishers_are_disclosed_as_on_crossbar() {
    same_on_both(disclosure).await;
}

async fn patterns(kind: RouterKind) -> Transcript {
    let p = "com.parity.patterns";
    let mut t = Transcript::default();
    let callee = join(kind).await;
    let caller = join(kind).await;
    t.session("callee", &callee);
    t.session("caller", &caller);
    let register = |uri: String, policy: MatchPolicy| {
        let callee = callee.clone();
        async move {
            callee
                .register_with(
                    &uri,
                    RegisterOptions::default().match_policy(policy),
                    details_echo(),
                )
                .await
                .unwrap()
        }
    };
    let exact = register(format!("{p}.a.b"), MatchPolicy::Exact).await;
    let prefix = register(format!("{p}.a"), MatchPolicy::Prefix).await;
    let longer = register(format!("{p}.a.b.c"), MatchPolicy::Prefix).await;
    let wildcard = register(format!("{p}..w"), MatchPolicy::Wildcard).await;
    t.id("exact", exact.id());
    t.id("prefix", prefix.id());
    t.id("longer prefix", longer.id());
    t.id("wildcard", wildcard.id());
    for uri in ["a.b", "a.x", "a.b.c.d", "a.b.c", "x.w", "a.w", "nothing"] {
        let r = call(&caller, &format!("{p}.{uri}"), vec![]).await;
        t.log_call(&format!("call {uri}"), &r);
    }
    // The same pattern twice, and the same URI with another policy.
    let again = callee
        .register_with(
            &format!("{p}.a"),
            RegisterOptions::default().match_policy(MatchPolicy::Prefix),
            details_echo(),
        )
        .await;
    t.log("prefix registered twice", json!(register_outcome(&again)));
    let other = callee
        .register_with(
            &format!("{p}.a.b"),
            RegisterOptions::default().match_policy(MatchPolicy::Prefix),
            details_echo(),
        )
        .await;
    t.log(
        "an exact URI registered again as a prefix",
        json!(register_outcome(&other)),
    );
    // Subscriptions by pattern: the event names the topic published to.
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Event)>();
    for (name, topic, policy) in [
        ("exact", format!("{p}.t.x"), MatchPolicy::Exact),
        ("prefix", format!("{p}.t"), MatchPolicy::Prefix),
        ("wildcard", format!("{p}..x"), MatchPolicy::Wildcard),
    ] {
        let tx = tx.clone();
        let sub = callee
            .subscribe_with(
                &topic,
                SubscribeOptions::default().match_policy(policy),
                move |e: Event| {
                    let _ = tx.send((name.to_owned(), e));
                    async {}
                },
            )
            .await
            .unwrap();
        t.id(&format!("{name} subscription"), sub.id());
    }
    caller
        .publish_with(
            &format!("{p}.t.x"),
            Payload::new(),
            PublishOptions::acknowledged(),
        )
        .await
        .unwrap();
    let mut events = Vec::new();
    for _ in 0..3 {
        let (name, e) = within(LIMIT, "event", rx.recv()).await.unwrap();
        let mut details = e.details.clone();
        details.remove("publication");
        events.push(json!({"handler": name, "topic": e.topic, "details": t.dict(&details)}));
    }
    events.sort_by_key(|e| e["handler"].as_str().unwrap_or("").to_owned());
    t.log("events of one publication to t.x", Json::Array(events));
    caller.leave().await.unwrap();
    callee.leave().await.unwrap();
    t
}

/// The keys of a session's meta API description both routers give (Crossbar.io adds its own:
/// `authextra.x_cb_*`, `resumable`, `serializer`, `transport.own*`, ...; ours
/// `transport.type`, `protocol` and `tls`), and whether the transport names the peer.
fn session_core(t: &Transcript, args: &[Value]) -> Json {
    let Some(Value::Dict(d)) = args.first() else {
        return json!({"not a session": t.value(&Value::List(args.to_vec()), None)});
    };
    let mut core = serde_json::Map::new();
    for key in [
        "session",
        "realm",
        "authid",
        "authrole",
        "authmethod",
        "authprovider",
    ] {
        core.insert(
            key.into(),
            d.get(key).map_or(Json::Null, |v| t.value(v, None)),
        );
    }
    let peer = d
        .get("transport")
        .and_then(Value::as_dict)
        .and_then(|tr| tr.get("peer"))
        .and_then(Value::as_str)
        .is_some_and(|p| p.starts_with("tcp4:127.0.0.1:"));
    core.insert("transport.peer is tcp4:127.0.0.1:PORT".into(), json!(peer));
    let transport = d.get("transport").and_then(Value::as_dict);
    for key in [
        "channel_type",
        "channel_framing",
        "channel_serializer",
        "websocket_protocol",
        "is_server",
        "is_secure",
    ] {
        core.insert(
            format!("transport.{key}"),
            transport
                .and_then(|tr| tr.get(key))
                .map_or(Json::Null, |v| t.value(v, None)),
        );
    }
    Json::Object(core)
}

fn register_outcome<T>(r: &Result<T, RegisterError>) -> String {
    match r {
        Ok(_) => "registered".into(),
        Err(RegisterError::Application(e)) => e.uri.to_string(),
        Err(e) => format!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pattern_registrations_and_subscriptions_match_as_on_crossbar() {
    same_on_both(patterns).await;
}

async fn shared(kind: RouterKind) -> Transcript {
    let p = "com.parity.shared";
    let mut t = Transcript::default();
    let caller = join(kind).await;
    t.session("caller", &caller);
    let mut callees = Vec::new();
    for i in 0..3 {
        let s = join(kind).await;
        t.session(&format!("callee{i}"), &s);
        callees.push(s);
    }
    for policy in ["roundrobin", "first", "last"] {
        let uri = format!("{p}.{policy}");
        for (i, s) in callees.iter().enumerate() {
            let r = s
                .register_with(
                    &uri,
                    RegisterOptions::default().invoke(policy),
                    move |_inv: Invocation| async move { Ok::<_, WampError>(i as i64) },
                )
                .await;
            t.log(
                &format!("callee{i} registers {policy}"),
                json!(register_outcome(&r)),
            );
        }
        let mut answered = Vec::new();
        for _ in 0..5 {
            let n: i64 = within(LIMIT, "call", caller.call(&uri, ())).await.unwrap();
            answered.push(n);
        }
        t.log(&format!("{policy}: who answered 5 calls"), json!(answered));
        let mismatch = callees[0]
            .register_with(
                &uri,
                RegisterOptions::default().invoke("single"),
                |_inv: Invocation| async move { Ok::<_, WampError>(Payload::new()) },
            )
            .await;
        t.log(
            &format!("{policy} registered again with single"),
            json!(register_outcome(&mismatch)),
        );
    }
    let r = call(
        &caller,
        "wamp.registration.lookup",
        vec![Value::from(format!("{p}.first"))],
    )
    .await;
    if let Ok(r) = &r {
        if let Some(id) = r.payload.args.first().and_then(|v| v.as_u64()) {
            t.id("the first registration", id);
        }
    }
    t.log_call("wamp.registration.lookup first", &r);
    let lookup = Value::from(format!("{p}.first"));
    let details = Dict::from([("invoke", Value::from("first"))]);
    let r = call(
        &caller,
        "wamp.registration.lookup",
        vec![lookup, Value::Dict(details)],
    )
    .await;
    t.log_call("wamp.registration.lookup first, invoke first", &r);
    for s in callees.iter().chain([&caller]) {
        s.leave().await.unwrap();
    }
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_registrations_are_invoked_as_on_crossbar() {
    same_on_both(shared).await;
}

async fn receivers(kind: RouterKind) -> Transcript {
    let p = "com.parity.receivers";
    let topic = format!("{p}.topic");
    let mut t = Transcript::default();
    let publisher = join(kind).await;
    t.session("publisher", &publisher);
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Event)>();
    let mut subscribers = Vec::new();
    for i in 0..3 {
        let s = join(kind).await;
        t.session(&format!("subscriber{i}"), &s);
        let tx = tx.clone();
        s.subscribe(&topic, move |e: Event| {
            let _ = tx.send((i, e));
            async {}
        })
        .await
        .unwrap();
        subscribers.push(s);
    }
    let ids: Vec<u64> = subscribers.iter().map(Session::id).collect();
    let cases = [
        ("everyone", PublishOptions::acknowledged()),
        (
            "exclude subscriber1",
            PublishOptions {
                exclude: vec![ids[1]],
                ..PublishOptions::acknowledged()
            },
        ),
        (
            "eligible subscriber0 and subscriber2",
            PublishOptions {
                eligible: vec![ids[0], ids[2]],
                ..PublishOptions::acknowledged()
            },
        ),
        (
            "eligible subscriber0 and 1, exclude 1",
            PublishOptions {
                eligible: vec![ids[0], ids[1]],
                exclude: vec![ids[1]],
                ..PublishOptions::acknowledged()
            },
        ),
        (
            "exclude_me false, the publisher not subscribed",
            PublishOptions::acknowledged().exclude_me(false),
        ),
    ];
    for (case, options) in cases {
        publisher
            .publish_with(&topic, Payload::args(&(case,)).unwrap(), options)
            .await
            .unwrap();
        // A marker only subscriber0 and subscriber2 get, after the case's events.
        publisher
            .publish_with(
                &topic,
                Payload::args(&("marker",)).unwrap(),
                PublishOptions {
                    eligible: vec![ids[0], ids[2]],
                    ..PublishOptions::acknowledged()
                },
            )
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut markers = 0;
        while markers < 2 {
            let (i, e) = within(LIMIT, "event", rx.recv()).await.unwrap();
            match e.payload.args.first().and_then(Value::as_str) {
                Some("marker") => markers += 1,
                _ => got.push(i),
            }
        }
        // subscriber1 gets no marker: wait a moment for a late event of the case.
        tokio::time::sleep(Duration::from_millis(100)).await;
        while let Ok((i, _)) = rx.try_recv() {
            got.push(i);
        }
        got.sort_unstable();
        t.log(&format!("{case}: receivers"), json!(got));
    }
    // Retained events.
    let retained = format!("{p}.retained");
    publisher
        .publish_with(
            &retained,
            Payload::args(&("kept",)).unwrap(),
            PublishOptions {
                retain: Some(true),
                ..PublishOptions::acknowledged()
            },
        )
        .await
        .unwrap();
    let mut late = subscribers[0]
        .subscribe_stream(&retained, SubscribeOptions::default().get_retained(true))
        .await
        .unwrap();
    let e = within(LIMIT, "the retained event", late.next())
        .await
        .unwrap();
    let mut details = e.details.clone();
    details.remove("publication");
    t.log(
        "retained event to a late subscriber",
        json!({"args": t.value(&Value::List(e.payload.args.clone()), None), "details": t.dict(&details)}),
    );
    let mut later = subscribers[1]
        .subscribe_stream(&retained, SubscribeOptions::default())
        .await
        .unwrap();
    publisher
        .publish_with(
            &retained,
            Payload::args(&("fresh",)).unwrap(),
            PublishOptions::acknowledged(),
        )
        .await
        .unwrap();
    let e = within(LIMIT, "the fresh event", later.next())
        .await
        .unwrap();
    t.log(
        "a late subscriber that does not ask for the retained event gets the next one first",
        t.value(&Value::List(e.payload.args.clone()), None),
    );
    for s in subscribers.iter().chain([&publisher]) {
        s.leave().await.unwrap();
    }
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn exclude_eligible_and_retained_events_reach_whom_they_reach_on_crossbar() {
    same_on_both(receivers).await;
}

async fn meta(kind: RouterKind) -> Transcript {
    let p = "com.parity.meta";
    let mut t = Transcript::default();
    let watcher = join(kind).await;
    t.session("watcher", &watcher);
    // One subscription to every meta event, so that they come in the order they were sent.
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    watcher
        .subscribe_with(
            "wamp.",
            SubscribeOptions::default().match_policy(MatchPolicy::Prefix),
            move |e: Event| {
                let _ = tx.send(e);
                async {}
            },
        )
        .await
        .unwrap();
    let member = join(kind).await;
    t.session("member", &member);
    let reg = member
        .register(&format!("{p}.proc"), details_echo())
        .await
        .unwrap();
    t.id("registration", reg.id());
    let sub = member
        .subscribe(&format!("{p}.topic"), |_e: Event| async {})
        .await
        .unwrap();
    t.id("subscription", sub.id());

    let calls: Vec<(&str, Vec<Value>)> = vec![
        ("wamp.session.get", vec![Value::from(member.id())]),
        ("wamp.session.get", vec![Value::from(1u64)]),
        (
            "wamp.registration.lookup",
            vec![Value::from(format!("{p}.proc"))],
        ),
        (
            "wamp.registration.lookup",
            vec![Value::from(format!("{p}.none"))],
        ),
        (
            "wamp.registration.match",
            vec![Value::from(format!("{p}.proc"))],
        ),
        ("wamp.registration.get", vec![Value::from(reg.id())]),
        (
            "wamp.registration.list_callees",
            vec![Value::from(reg.id())],
        ),
        (
            "wamp.registration.count_callees",
            vec![Value::from(reg.id())],
        ),
        ("wamp.registration.get", vec![Value::from(1u64)]),
        (
            "wamp.subscription.lookup",
            vec![Value::from(format!("{p}.topic"))],
        ),
        (
            "wamp.subscription.match",
            vec![Value::from(format!("{p}.topic"))],
        ),
        ("wamp.subscription.get", vec![Value::from(sub.id())]),
        (
            "wamp.subscription.list_subscribers",
            vec![Value::from(sub.id())],
        ),
        (
            "wamp.subscription.count_subscribers",
            vec![Value::from(sub.id())],
        ),
        ("wamp.subscription.get", vec![Value::from(1u64)]),
    ];
    for (procedure, args) in calls {
        let what = format!("{procedure} {}", t.value(&Value::List(args.clone()), None));
        let r = call(&watcher, procedure, args).await;
        match r {
            Ok(r) if procedure == "wamp.session.get" => {
                t.log(&what, session_core(&t, &r.payload.args))
            }
            r => t.log_call(&what, &r),
        }
    }
    let r = call(&watcher, "wamp.session.list", vec![]).await;
    let listed = r
        .as_ref()
        .map(|r| match r.payload.args.first() {
            Some(Value::List(l)) => l.iter().any(|v| v.as_u64() == Some(member.id())),
            _ => false,
        })
        .unwrap_or(false);
    t.log("wamp.session.list holds the member", json!(listed));
    let r = call(&watcher, "wamp.session.count", vec![]).await;
    t.log(
        "wamp.session.count is a number",
        json!(r
            .map(|r| r.payload.args.first().and_then(|v| v.as_u64()).is_some())
            .unwrap_or(false)),
    );

    sub.unsubscribe().await.unwrap();
    reg.unregister().await.unwrap();
    member.leave().await.unwrap();
    // The meta events about the member, in the order they came, until its leave and a moment
    // after (Crossbar.io sends them from a service session, after the answers). Their details
    // are left out: Crossbar.io discloses its service session as the publisher, ours nothing.
    let mut left = false;
    loop {
        let wait = if left {
            Duration::from_millis(500)
        } else {
            LIMIT
        };
        let Ok(Some(e)) = tokio::time::timeout(wait, rx.recv()).await else {
            assert!(left, "no wamp.session.on_leave for the member");
            break;
        };
        let args = t.value(&Value::List(e.payload.args.clone()), None);
        // Other tests' sessions come and go on the shared router: only the member's events.
        if !args.to_string().contains("\"member\"") {
            continue;
        }
        if e.topic == "wamp.session.on_join" {
            t.log(&e.topic, session_core(&t, &e.payload.args));
        } else {
            t.log(
                &e.topic,
                json!({"args": args, "kwargs": t.dict(&e.payload.kwargs)}),
            );
        }
        left |= e.topic == "wamp.session.on_leave";
    }
    watcher.leave().await.unwrap();
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn the_meta_api_answers_as_on_crossbar() {
    same_on_both(meta).await;
}

async fn errors(kind: RouterKind) -> Transcript {
    let p = "com.parity.errors";
    let mut t = Transcript::default();
    let s = join(kind).await;
    let other = join(kind).await;
    t.session("session", &s);
    t.session("other", &other);
    let r = call(&s, &format!("{p}.none"), vec![]).await;
    t.log_call("a call to nothing", &r);
    let r = s
        .register("wamp.parity.reserved", |_inv: Invocation| async move {
            Ok::<_, WampError>(Payload::new())
        })
        .await;
    t.log("registering a wamp. procedure", json!(register_outcome(&r)));
    let r = s
        .publish_with(
            "wamp.parity.reserved",
            Payload::new(),
            PublishOptions::acknowledged(),
        )
        .await;
    t.log(
        "publishing to a wamp. topic",
        json!(r
            .map(|_| "published".to_owned())
            .unwrap_or_else(|e| e.to_string())),
    );
    // A callee that leaves during a call.
    let (started_tx, mut started) = mpsc::unbounded_channel::<()>();
    other
        .register(&format!("{p}.hang"), move |_inv: Invocation| {
            let _ = started_tx.send(());
            async move {
                std::future::pending::<()>().await;
                Ok::<_, WampError>(Payload::new())
            }
        })
        .await
        .unwrap();
    let pending = tokio::spawn({
        let s = s.clone();
        let uri = format!("{p}.hang");
        async move { s.call::<_, ()>(&uri, ()).await }
    });
    within(LIMIT, "the invocation", started.recv()).await;
    // Killed by the other session through the meta API.
    let r = call(&s, "wamp.session.kill", vec![Value::from(other.id())]).await;
    t.log_call("wamp.session.kill other", &r);
    let closed = within(LIMIT, "the killed session's end", other.closed()).await;
    // The two routers differ here on purpose: the spec's default reason is
    // `wamp.close.killed` (ours); Crossbar.io's `session.leave()` sends `wamp.close.normal`.
    let killed = match kind {
        RouterKind::Crossbar => "wamp.close.normal",
        RouterKind::Ours => "wamp.close.killed",
    };
    t.log(
        "the killed session's goodbye has the router's reason",
        json!(closed.reason == killed),
    );
    let r = within(LIMIT, "the pending call", pending).await.unwrap();
    t.log(
        "a call pending at the killed callee",
        json!(r
            .map(|()| "result".to_owned())
            .unwrap_or_else(|e| e.uri().map_or_else(|| e.to_string(), str::to_owned))),
    );
    // Killing oneself: the spec says `wamp.error.no_such_session` (ours); Crossbar.io kills
    // the caller.
    let r = call(&s, "wamp.session.kill", vec![Value::from(s.id())]).await;
    let as_the_router_does = match kind {
        // The answer (null) and the GOODBYE race: either may come first.
        RouterKind::Crossbar => {
            within(LIMIT, "the session's end", s.closed()).await;
            matches!(r, Ok(_) | Err(CallError::Session(_)))
        }
        RouterKind::Ours => {
            r.as_ref().err().and_then(CallError::uri) == Some("wamp.error.no_such_session")
                && s.is_joined()
        }
    };
    t.log(
        "wamp.session.kill of oneself does what the router does",
        json!(as_the_router_does),
    );
    let _ = s.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_and_killed_sessions_are_as_on_crossbar() {
    same_on_both(errors).await;
}

/// A node config of the test's own: realm `realm1` whose role `anonymous` has permissions of
/// every match policy, overlapping, with disclosure on and off; one WebSocket transport on
/// `port`.
fn authorization_config(port: u16) -> Json {
    let allow = |call: bool, register: bool, publish: bool, subscribe: bool| json!({"call": call, "register": register, "publish": publish, "subscribe": subscribe});
    let permission = |uri: &str, policy: &str, allow: Json, disclose: bool| {
        json!({
            "uri": uri,
            "match": policy,
            "allow": allow,
            "disclose": {"caller": disclose, "publisher": disclose},
        })
    };
    json!({
        "version": 2,
        "controller": {},
        "workers": [{
            "type": "router",
            "realms": [{
                "name": "realm1",
                "roles": [{
                    "name": "anonymous",
                    "permissions": [
                        permission("com.authz.", "prefix", allow(true, false, false, true), false),
                        permission("com.authz.open", "exact", allow(true, true, true, true), true),
                        permission("com.authz..w", "wildcard", allow(true, true, true, true), true),
                        permission("com.authz.reg.", "prefix", allow(true, true, false, false), false),
                        permission("com.authz.reg.pub", "exact", allow(false, false, true, true), true),
                    ],
                }],
            }],
            "transports": [{
                "type": "websocket",
                "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": port},
                "serializers": ["json", "msgpack", "cbor"],
            }],
        }],
    })
}

/// The URIs [`authorization`] tries, each registered, called, subscribed and published to.
const AUTHZ_URIS: [&str; 7] = [
    "com.authz.open",
    "com.authz.x",
    "com.authz.a.w",
    "com.authz.x.w",
    "com.authz.reg.p",
    "com.authz.reg.pub",
    "org.elsewhere",
];

/// The URIs where a matching wildcard permission and a matching prefix permission compete:
/// Crossbar.io's `RouterRoleStaticAuth.authorize` takes the wildcard (exact, then wildcard,
/// then the longest prefix), and so does ours.
const AUTHZ_WILDCARD_OVER_PREFIX: [&str; 2] = ["com.authz.a.w", "com.authz.x.w"];

async fn authorization(url: &str, uris: &[&str]) -> Transcript {
    let mut t = Transcript::default();
    let connect = || async {
        within(LIMIT, "join", Session::connect(url, "realm1"))
            .await
            .expect("join")
    };
    let a = connect().await;
    let b = connect().await;
    t.session("a", &a);
    t.session("b", &b);
    for &uri in uris {
        let r = a.register(uri, details_echo()).await;
        t.log(&format!("register {uri}"), json!(register_outcome(&r)));
        let r = call(&b, uri, vec![]).await;
        t.log_call(&format!("call {uri}"), &r);
        let r = b
            .subscribe(uri, |_e: Event| async {})
            .await
            .map(|_| "subscribed".to_owned())
            .unwrap_or_else(|e| e.to_string());
        t.log(&format!("subscribe {uri}"), json!(r));
        let r = a
            .publish_with(uri, Payload::new(), PublishOptions::acknowledged())
            .await
            .map(|_| "published".to_owned())
            .unwrap_or_else(|e| e.to_string());
        t.log(&format!("publish {uri}"), json!(r));
    }
    // Disclosure follows the permission of the publication's topic.
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    for uri in ["com.authz.open", "com.authz.reg.pub"] {
        let tx = tx.clone();
        b.subscribe(uri, move |e: Event| {
            let _ = tx.send(e);
            async {}
        })
        .await
        .unwrap();
        a.publish_with(uri, Payload::new(), PublishOptions::acknowledged())
            .await
            .unwrap();
        let e = within(LIMIT, "event", rx.recv()).await.unwrap();
        let mut details = e.details.clone();
        details.remove("publication");
        t.log(&format!("event details on {uri}"), t.dict(&details));
    }
    let _ = a.leave().await;
    let _ = b.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn permissions_of_every_match_policy_authorize_as_on_crossbar() {
    let port = wamp_suite::free_port();
    let node = tokio::task::spawn_blocking(move || {
        wamp_suite::CrossbarNode::start(&authorization_config(port), port)
    })
    .await
    .unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    let crossbar = authorization(&url, &AUTHZ_URIS).await.render();
    drop(node);
    // What Crossbar.io does where a wildcard and a prefix permission both match.
    for uri in AUTHZ_WILDCARD_OVER_PREFIX {
        assert!(
            crossbar.contains(&format!("register {uri}: \"registered\""))
                && crossbar.contains(&format!("publish {uri}: \"published\"")),
            "{crossbar}"
        );
    }

    let text = authorization_config(0).to_string();
    let (config, warnings) =
        wamp_router::crossbar::read_crossbar_config(&text, std::path::Path::new(".")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let node = wamp_suite::OursNode::start(wamp_router::Router::builder().config(config));
    let ours = authorization(&node.urls()[0], &AUTHZ_URIS).await.render();
    if std::env::var_os("WAMP_SUITE_SHOW_TRANSCRIPTS").is_some() {
        eprintln!("--- crossbar:\n{crossbar}\n--- ours:\n{ours}");
    }
    let diff: Vec<String> = crossbar
        .lines()
        .zip(ours.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("crossbar: {a}\n    ours: {b}"))
        .collect();
    assert!(
        diff.is_empty() && crossbar.lines().count() == ours.lines().count(),
        "our router differs from Crossbar.io:\n{}\n\n--- crossbar:\n{crossbar}\n--- ours:\n{ours}",
        diff.join("\n")
    );
}

async fn features_testaments_and_filters(kind: RouterKind) -> Transcript {
    let p = "com.parity.more";
    let mut t = Transcript::default();
    let watcher = join(kind).await;
    t.session("watcher", &watcher);

    // The advanced features each role announces in WELCOME, but for the known differences:
    // Crossbar.io also announces `payload_transparency`, `payload_encryption_cryptobox` and
    // `subscription_revocation` / `registration_revocation`, which ours does not implement;
    // ours also announces `call_timeout` (Crossbar.io has it, in seconds, unannounced) and
    // `testament_meta_api` for the broker too (Crossbar.io: the dealer only).
    let differ = |role: &str, feature: &str| {
        feature.starts_with("payload_")
            || feature.ends_with("_revocation")
            || feature == "call_timeout"
            || (role == "broker" && feature == "testament_meta_api")
    };
    for role in ["broker", "dealer"] {
        let mut features: Vec<String> = watcher
            .details()
            .router_roles
            .get(role)
            .and_then(Value::as_dict)
            .and_then(|r| r.get("features"))
            .and_then(Value::as_dict)
            .map(|f| {
                f.iter()
                    .filter(|(k, v)| v.as_bool() == Some(true) && !differ(role, k))
                    .map(|(k, _)| k.to_string())
                    .collect()
            })
            .unwrap_or_default();
        features.sort();
        t.log(&format!("{role} features"), json!(features));
    }

    // Testaments: published when their session goes, cleanly or not.
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    watcher
        .subscribe_with(
            &format!("{p}.testament"),
            SubscribeOptions::default().match_policy(MatchPolicy::Prefix),
            move |e: Event| {
                let _ = tx.send(e);
                async {}
            },
        )
        .await
        .unwrap();
    let proxy =
        wamp_suite::FaultProxy::start(kind.router().addr(wamp_suite::Endpoint::Rs).unwrap());
    for (how, url) in [
        ("leaves", kind.router().rs_url()),
        ("loses its connection", proxy.url(wamp_suite::Endpoint::Rs)),
    ] {
        let s = within(LIMIT, "join", Session::connect(&url, "realm1"))
            .await
            .unwrap();
        for scope in ["detached", "destroyed"] {
            let r = call(
                &s,
                "wamp.session.add_testament",
                vec![
                    Value::from(format!("{p}.testament.{scope}")),
                    Value::List(vec![Value::from(how), Value::from(scope)]),
                    Value::Dict(Dict::new()),
                    Value::Dict(Dict::new()),
                    Value::from(scope),
                ],
            )
            .await;
            t.log(
                &format!("add_testament {scope}"),
                json!(r.map(|r| r.payload.args.len()).map_err(|e| e.to_string())),
            );
        }
        if how == "leaves" {
            s.leave().await.unwrap();
        } else {
            proxy.drop_connections();
        }
        let mut got = Vec::new();
        while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(700), rx.recv()).await {
            got.push(format!(
                "{} {}",
                e.topic,
                t.value(&Value::List(e.payload.args), None)
            ));
        }
        got.sort();
        t.log(&format!("testaments when a session {how}"), json!(got));
    }

    // Publications filtered by authid and authrole.
    let topic = format!("{p}.filtered");
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Event)>();
    let mut subscribers = Vec::new();
    for i in 0..2 {
        let s = join(kind).await;
        t.session(&format!("subscriber{i}"), &s);
        let tx = tx.clone();
        s.subscribe(&topic, move |e: Event| {
            let _ = tx.send((i, e));
            async {}
        })
        .await
        .unwrap();
        subscribers.push(s);
    }
    let authid =
        |i: usize| Value::from(subscribers[i].details().authid.clone().unwrap_or_default());
    let cases = [
        (
            "exclude_authid subscriber0",
            "exclude_authid",
            Value::List(vec![authid(0)]),
        ),
        (
            "eligible_authid subscriber1",
            "eligible_authid",
            Value::List(vec![authid(1)]),
        ),
        (
            "exclude_authrole anonymous",
            "exclude_authrole",
            Value::List(vec!["anonymous".into()]),
        ),
        (
            "eligible_authrole anonymous",
            "eligible_authrole",
            Value::List(vec!["anonymous".into()]),
        ),
        (
            "eligible_authrole other",
            "eligible_authrole",
            Value::List(vec!["other".into()]),
        ),
    ];
    for (case, key, value) in cases {
        let mut options = PublishOptions::acknowledged();
        options.extra.insert(key.into(), value);
        let r = watcher
            .publish_with(&topic, Payload::args(&(case,)).unwrap(), options)
            .await;
        let mut got = Vec::new();
        while let Ok(Some((i, _))) =
            tokio::time::timeout(Duration::from_millis(300), rx.recv()).await
        {
            got.push(i);
        }
        got.sort_unstable();
        t.log(
            &format!("{case}: receivers"),
            json!({"receivers": got, "published": r.is_ok()}),
        );
    }

    // Killing by authid (a random anonymous authid: nobody else has it).
    let r = call(&watcher, "wamp.session.kill_by_authid", vec![authid(1)]).await;
    t.log_call("wamp.session.kill_by_authid subscriber1", &r);
    let closed = within(LIMIT, "the killed session's end", subscribers[1].closed()).await;
    // The spec's default reason (ours) against Crossbar.io's, as for wamp.session.kill.
    let killed = match kind {
        RouterKind::Crossbar => "wamp.close.normal",
        RouterKind::Ours => "wamp.close.killed",
    };
    t.log(
        "its goodbye has the router's reason",
        json!(closed.reason == killed),
    );
    let _ = subscribers[0].leave().await;
    let _ = watcher.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn features_testaments_and_authid_filters_are_as_on_crossbar() {
    same_on_both(features_testaments_and_filters).await;
}

async fn welcomes(kind: RouterKind) -> Transcript {
    use wamp_client::{AuthMethod, Authentication, CryptosignKey, JoinError};
    use wamp_suite::auth::*;
    use wamp_suite::AuthTransport;

    let mut t = Transcript::default();
    let router = kind.router();
    let cases: Vec<(&str, AuthTransport, Option<&str>, AuthMethod)> = vec![
        (
            "ticket",
            AuthTransport::Ticket,
            Some(TICKET_AUTHID),
            AuthMethod::ticket(TICKET_SECRET),
        ),
        (
            "ticket, wrong",
            AuthTransport::Ticket,
            Some(TICKET_AUTHID),
            AuthMethod::ticket("x"),
        ),
        (
            "ticket, nobody",
            AuthTransport::Ticket,
            Some("nobody"),
            AuthMethod::ticket("x"),
        ),
        (
            "dynamic ticket",
            AuthTransport::TicketRotating,
            Some(TICKET_ROTATING_AUTHID),
            AuthMethod::ticket(TICKET_ROTATING_INITIAL),
        ),
        (
            "dynamic ticket, wrong",
            AuthTransport::TicketRotating,
            Some(TICKET_ROTATING_AUTHID),
            AuthMethod::ticket("x"),
        ),
        (
            "wampcra",
            AuthTransport::Wampcra,
            Some(CRA_AUTHID),
            AuthMethod::wampcra(CRA_SECRET),
        ),
        (
            "wampcra salted",
            AuthTransport::Wampcra,
            Some(CRA_SALTED_AUTHID),
            AuthMethod::wampcra(CRA_SALTED_SECRET),
        ),
        (
            "wampcra, wrong",
            AuthTransport::Wampcra,
            Some(CRA_AUTHID),
            AuthMethod::wampcra("x"),
        ),
        (
            "wampcra, nobody",
            AuthTransport::Wampcra,
            Some("nobody"),
            AuthMethod::wampcra("x"),
        ),
        (
            "cryptosign",
            AuthTransport::Cryptosign,
            Some(CRYPTOSIGN_AUTHID),
            AuthMethod::cryptosign(CryptosignKey::hex(CRYPTOSIGN_SEED_HEX)),
        ),
        (
            "cryptosign without authid",
            AuthTransport::Cryptosign,
            None,
            AuthMethod::cryptosign(CryptosignKey::hex(CRYPTOSIGN_SEED_HEX)),
        ),
        (
            "cryptosign, another key",
            AuthTransport::Cryptosign,
            Some(CRYPTOSIGN_AUTHID),
            AuthMethod::cryptosign(CryptosignKey::hex("44".repeat(32))),
        ),
        (
            "scram",
            AuthTransport::Scram,
            Some(SCRAM_AUTHID),
            AuthMethod::scram(SCRAM_PASSWORD),
        ),
        (
            "scram, wrong",
            AuthTransport::Scram,
            Some(SCRAM_AUTHID),
            AuthMethod::scram("x"),
        ),
        (
            "scram pbkdf2",
            AuthTransport::ScramPbkdf2,
            Some(SCRAM_AUTHID),
            AuthMethod::scram(SCRAM_PASSWORD),
        ),
        (
            "anonymous",
            AuthTransport::AnonymousOrTicket,
            None,
            AuthMethod::Anonymous,
        ),
        (
            "anonymous transport, ticket",
            AuthTransport::AnonymousOrTicket,
            Some(TICKET_AUTHID),
            AuthMethod::ticket(TICKET_SECRET),
        ),
        (
            "no method the transport has",
            AuthTransport::Ticket,
            None,
            AuthMethod::Anonymous,
        ),
    ];
    for (case, transport, authid, method) in cases {
        let mut auth = Authentication::new().method(method);
        if let Some(authid) = authid {
            auth = auth.authid(authid);
        }
        let config = TransportConfig::new(&router.auth_url(transport)).unwrap();
        let joined = within(
            LIMIT,
            case,
            Session::join(&config, JoinOptions::new("realm1").authentication(auth)),
        )
        .await;
        let line = match joined {
            Ok(s) => {
                let d = s.details();
                // Random authids (anonymous) are named; the rest is compared as is.
                let authid = match (case, &d.authid) {
                    ("anonymous", Some(_)) => "<random>".to_owned(),
                    (_, a) => a.clone().unwrap_or_default(),
                };
                // Crossbar.io adds `x_cb_node`, `x_cb_peer`, `x_cb_pid`, `x_cb_worker` of its own.
                let mut extra: Vec<String> = d
                    .authextra
                    .keys()
                    .map(|k| k.to_string())
                    .filter(|k| !k.starts_with("x_cb_"))
                    .collect();
                extra.sort();
                let line = json!({
                    "authid": authid,
                    "authrole": d.authrole,
                    "authmethod": d.authmethod,
                    "authprovider": d.authprovider,
                    "authextra keys": extra,
                });
                let _ = s.leave().await;
                line
            }
            Err(JoinError::Authentication { method, reason, .. }) => {
                json!({"refused": reason, "method": method})
            }
            Err(JoinError::Refused(d)) => json!({"aborted": d.reason}),
            Err(e) => json!({"error": e.to_string()}),
        };
        t.log(case, line);
    }
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn every_authentication_method_welcomes_and_refuses_as_on_crossbar() {
    same_on_both(welcomes).await;
}

async fn edges(kind: RouterKind) -> Transcript {
    let p = "com.parity.edges";
    let mut t = Transcript::default();
    let a = join(kind).await;
    let b = join(kind).await;
    t.session("a", &a);
    t.session("b", &b);

    // The same topic subscribed twice by one session: one subscription.
    let first = a
        .subscribe(&format!("{p}.twice"), |_e: Event| async {})
        .await
        .unwrap();
    let second = a
        .subscribe(&format!("{p}.twice"), |_e: Event| async {})
        .await
        .unwrap();
    t.id("the subscription", first.id());
    t.log("the second subscription", json!(second.id() == first.id()));

    // URIs of every shape, registered and published to.
    for uri in [
        "com.parity.edges.UPPER",
        "com.parity.edges.a-b",
        "com.parity.edges.1abc",
        "com.parity.edges.ünïcode",
        "com.parity.edges.with space",
        "com.parity.edges.a#b",
        "com.parity.edges.",
        "com.parity..edges",
    ] {
        let r = a.register(uri, details_echo()).await;
        t.log(&format!("register {uri:?}"), json!(register_outcome(&r)));
        let r = b
            .publish_with(uri, Payload::new(), PublishOptions::acknowledged())
            .await
            .map(|_| "published".to_owned())
            .unwrap_or_else(|e| e.to_string());
        t.log(&format!("publish {uri:?}"), json!(r));
    }

    // Meta procedures with arguments of the wrong type or number: an error on both, but not
    // the same one. Ours answers `wamp.error.invalid_argument` (the spec's URI for it);
    // Crossbar.io's Python raises: `no_such_session` / `no_such_subscription` for an id that
    // is a string, `wamp.error.runtime_error` for a missing or mistyped argument.
    for (procedure, args) in [
        ("wamp.session.get", vec![Value::from("x")]),
        ("wamp.session.get", vec![]),
        ("wamp.registration.lookup", vec![Value::from(3)]),
        ("wamp.subscription.get", vec![Value::from("x")]),
        (
            "wamp.session.count",
            vec![Value::List(vec!["nothing".into()])],
        ),
        ("wamp.no.such.meta", vec![]),
    ] {
        let what = format!("{procedure} {}", t.value(&Value::List(args.clone()), None));
        let r = call(&b, procedure, args).await;
        let line = match r {
            Ok(r) if procedure == "wamp.session.count" => {
                json!({"a count": r.payload.args.first().and_then(Value::as_u64).is_some()})
            }
            r => match &r {
                Ok(_) => {
                    t.log_call(&what, &r);
                    continue;
                }
                Err(e) if procedure == "wamp.no.such.meta" => {
                    json!({"error": e.uri().map_or_else(|| e.to_string(), str::to_owned)})
                }
                Err(e) => json!({"an application error": e.uri().is_some()}),
            },
        };
        t.log(&what, line);
    }

    // A caller that leaves during a call: the callee is interrupted.
    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    struct OnDrop(mpsc::UnboundedSender<&'static str>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            let _ = self.0.send("interrupted");
        }
    }
    a.register(&format!("{p}.slow"), move |_inv: Invocation| {
        let tx = tx.clone();
        async move {
            let _guard = OnDrop(tx.clone());
            let _ = tx.send("started");
            tokio::time::sleep(Duration::from_secs(30)).await;
            let _ = tx.send("finished");
            Ok::<_, WampError>(Payload::new())
        }
    })
    .await
    .unwrap();
    let leaver = join(kind).await;
    let pending = tokio::spawn({
        let leaver = leaver.clone();
        async move { leaver.call::<_, ()>("com.parity.edges.slow", ()).await }
    });
    t.log(
        "the callee",
        json!(within(LIMIT, "started", rx.recv()).await),
    );
    leaver.leave().await.unwrap();
    let interrupted = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await;
    t.log(
        "when its caller leaves, the callee is",
        json!(interrupted.ok().flatten().unwrap_or("left running")),
    );
    let r = within(LIMIT, "the left call", pending).await.unwrap();
    t.log(
        "the left caller's call",
        json!(r.map(|()| "result".to_owned()).unwrap_or_else(|e| match e {
            CallError::Session(_) => "session lost".to_owned(),
            e => e.to_string(),
        })),
    );
    let _ = a.leave().await;
    let _ = b.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn uris_meta_arguments_and_left_callers_are_handled_as_on_crossbar() {
    same_on_both(edges).await;
}

/// A raw RawSocket (JSON) connection: sends `messages` (JSON texts, or raw bytes for
/// garbage), then reads what the router answers until it closes or is silent for a moment.
/// Returns each answer as `TYPE reason-or-error` (ids and texts left out) and how it ended.
fn raw_exchange(addr: std::net::SocketAddr, messages: &[&[u8]]) -> Vec<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    stream.write_all(&[0x7f, 0xf1, 0, 0]).unwrap();
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).expect("the handshake reply");
    let mut out = Vec::new();
    for m in messages {
        let mut frame = vec![0u8; 4];
        frame[1..].copy_from_slice(&(m.len() as u32).to_be_bytes()[1..]);
        frame.extend_from_slice(m);
        if stream.write_all(&frame).is_err() {
            out.push("closed before all was sent".to_owned());
            return out;
        }
        // Let the router answer each message before the next.
        std::thread::sleep(Duration::from_millis(100));
    }
    loop {
        let mut header = [0u8; 4];
        match stream.read_exact(&mut header) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                out.push("open".to_owned());
                return out;
            }
            Err(_) => {
                out.push("closed".to_owned());
                return out;
            }
        }
        let len = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
        let mut payload = vec![0u8; len];
        if stream.read_exact(&mut payload).is_err() {
            out.push("closed in a frame".to_owned());
            return out;
        }
        if header[0] & 0x07 != 0 {
            out.push(format!("frame type {}", header[0] & 0x07));
            continue;
        }
        let m: Json = serde_json::from_slice(&payload).unwrap_or(Json::Null);
        let line = match m[0].as_u64() {
            Some(2) => "WELCOME".to_owned(),
            Some(3) => format!("ABORT {}", m[2].as_str().unwrap_or("?")),
            Some(6) => format!("GOODBYE {}", m[2].as_str().unwrap_or("?")),
            Some(8) => format!("ERROR {} {}", m[1], m[4].as_str().unwrap_or("?")),
            Some(50) => "RESULT".to_owned(),
            Some(33) => "SUBSCRIBED".to_owned(),
            Some(65) => "REGISTERED".to_owned(),
            other => format!("message type {other:?}"),
        };
        out.push(line);
    }
}

/// A case of [`violation_cases`]: its name, the messages sent, Crossbar.io's answers, ours.
type ViolationCase = (
    &'static str,
    Vec<&'static [u8]>,
    Vec<&'static str>,
    Vec<&'static str>,
);

/// Raw messages over RawSocket (JSON) and what each router answers: `(case, messages,
/// Crossbar.io's answers, ours)`. Where they differ, ours does what the spec says and
/// Crossbar.io is lenient; the spec allows both where it says "may":
///
/// - After GOODBYE (or ABORT) ours closes the transport; Crossbar.io keeps it open for a new
///   HELLO (the spec: the transport "may be closed or reused"). Crossbar.io replies GOODBYE
///   `wamp.close.normal`, ours `wamp.close.goodbye_and_out` (the spec's reply).
/// - A message before HELLO, a second HELLO, and a request id of 0 are protocol violations
///   (spec: ABORT `wamp.error.protocol_violation`); Crossbar.io ignores the first two and
///   answers the third.
/// - Where Crossbar.io drops the connection without a word (bad HELLO, unknown or malformed
///   message), ours sends ABORT first, as the spec asks.
/// - A CALL to an invalid URI: ERROR `wamp.error.invalid_uri` (ours, the spec's answer);
///   Crossbar.io drops the connection.
fn violation_cases() -> Vec<ViolationCase> {
    let hello: &[u8] =
        br#"[1, "realm1", {"roles": {"caller": {}, "callee": {}, "subscriber": {}}}]"#;
    let violation = "ABORT wamp.error.protocol_violation";
    vec![
        (
            "hello, goodbye",
            vec![hello, br#"[6, {}, "wamp.close.normal"]"#],
            vec!["WELCOME", "GOODBYE wamp.close.normal", "open"],
            vec!["WELCOME", "GOODBYE wamp.close.goodbye_and_out", "closed"],
        ),
        (
            "hello for no realm",
            vec![br#"[1, "no.such.realm", {"roles": {"caller": {}}}]"#],
            vec!["ABORT wamp.error.no_such_realm", "open"],
            vec!["ABORT wamp.error.no_such_realm", "closed"],
        ),
        (
            "hello for an invalid realm",
            vec![br#"[1, "a..b", {"roles": {"caller": {}}}]"#],
            vec!["closed"],
            vec!["ABORT wamp.error.no_such_realm", "closed"],
        ),
        (
            "hello without roles",
            vec![br#"[1, "realm1", {}]"#],
            vec!["closed"],
            vec![violation, "closed"],
        ),
        (
            "hello with a realm of the wrong type",
            vec![br#"[1, 7, {"roles": {"caller": {}}}]"#],
            vec!["closed"],
            vec![violation, "closed"],
        ),
        (
            "a call before hello",
            vec![br#"[48, 1, {}, "com.x"]"#],
            vec!["open"],
            vec![violation, "closed"],
        ),
        (
            "garbage before hello",
            vec![b"\xff\x00not json"],
            vec!["closed"],
            vec![violation, "closed"],
        ),
        (
            "hello twice",
            vec![hello, hello],
            vec!["WELCOME", "open"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then welcome from the client",
            vec![hello, br#"[2, 1, {}]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then an unknown message type",
            vec![hello, br#"[999, 1]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then a call too short",
            vec![hello, br#"[48, 1]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then a call to an invalid uri",
            vec![hello, br#"[48, 1, {}, "a..b"]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", "ERROR 48 wamp.error.invalid_uri", "open"],
        ),
        (
            "hello, then a call with request id 0",
            vec![hello, br#"[48, 0, {}, "com.x"]"#],
            vec!["WELCOME", "ERROR 48 wamp.error.no_such_procedure", "open"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then a subscribe with a string id",
            vec![hello, br#"[32, "x", {}, "com.x"]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then garbage",
            vec![hello, b"\xff\x00not json"],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", violation, "closed"],
        ),
        (
            "hello, then a yield for no invocation",
            vec![hello, br#"[70, 12345, {}]"#],
            vec!["WELCOME", "open"],
            vec!["WELCOME", "open"],
        ),
        (
            "hello, then an abort",
            vec![hello, br#"[3, {}, "wamp.close.normal"]"#],
            vec!["WELCOME", "closed"],
            vec!["WELCOME", "closed"],
        ),
        (
            "hello, then a goodbye that is a reply",
            vec![hello, br#"[6, {}, "wamp.close.goodbye_and_out"]"#],
            vec!["WELCOME", "GOODBYE wamp.close.normal", "open"],
            vec!["WELCOME", "GOODBYE wamp.close.goodbye_and_out", "closed"],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn protocol_violations_end_sessions_as_each_router_says() {
    // Every case on its own connection, all at once: a case that leaves the connection open
    // waits out a read timeout.
    let mut runs = Vec::new();
    for kind in RouterKind::ALL {
        let addr = kind.router().addr(wamp_suite::Endpoint::Rs).unwrap();
        for (case, messages, crossbar, ours) in violation_cases() {
            let expected = match kind {
                RouterKind::Crossbar => crossbar,
                RouterKind::Ours => ours,
            };
            let run = tokio::task::spawn_blocking(move || raw_exchange(addr, &messages));
            runs.push((kind, case, expected, run));
        }
    }
    let mut wrong = Vec::new();
    for (kind, case, expected, run) in runs {
        let answers = within(LIMIT, case, run).await.unwrap();
        if answers != expected {
            wrong.push(format!(
                "{kind}, {case}: expected {expected:?}, got {answers:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Sends `request` (raw bytes) to `addr` and returns the router's first reply line (the HTTP
/// status line), or how the connection ended.
fn http_status(addr: std::net::SocketAddr, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_millis(2000)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !reply.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => return "closed".to_owned(),
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(_) => return "silent".to_owned(),
        }
    }
    let line = String::from_utf8_lossy(&reply);
    let status = line.lines().next().unwrap_or("").to_owned();
    // The status code only: the reason phrases differ.
    status.split(' ').nth(1).unwrap_or(&status).to_owned()
}

/// Sends a RawSocket handshake `hs` and returns the router's reply octets, or how the
/// connection ended.
fn rawsocket_reply(addr: std::net::SocketAddr, hs: [u8; 4]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_millis(2000)))
        .unwrap();
    stream.write_all(&hs).unwrap();
    let mut reply = [0u8; 4];
    match stream.read_exact(&mut reply) {
        Ok(()) => format!("{reply:02x?}"),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => "closed".to_owned(),
        Err(_) => "silent".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_and_rawsocket_handshakes_are_answered_as_on_crossbar_but_by_the_specs() {
    let upgrade = |path: &str, protocol: Option<&str>, version: u8| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: {version}\r\n{}\r\n",
            protocol.map_or_else(String::new, |p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
        )
    };
    let http_cases: Vec<(&str, String)> = vec![
        (
            "wamp.2.json on /ws",
            upgrade("/ws", Some("wamp.2.json"), 13),
        ),
        (
            "wamp.2.cbor, wamp.2.json on /ws",
            upgrade("/ws", Some("wamp.2.cbor, wamp.2.json"), 13),
        ),
        (
            "an unknown subprotocol",
            upgrade("/ws", Some("wamp.2.xml"), 13),
        ),
        (
            "websocket version 8",
            upgrade("/ws", Some("wamp.2.json"), 8),
        ),
    ];
    let rs_cases: Vec<(&str, [u8; 4])> = vec![
        ("json, 16 MiB", [0x7f, 0xf1, 0, 0]),
        ("msgpack, 512 octets", [0x7f, 0x02, 0, 0]),
        ("cbor", [0x7f, 0xf3, 0, 0]),
        ("an unknown serializer", [0x7f, 0xf9, 0, 0]),
        ("reserved octets set", [0x7f, 0xf1, 1, 0]),
    ];
    let mut transcripts = Vec::new();
    for kind in RouterKind::ALL {
        let router = kind.router();
        let ws = router.addr(wamp_suite::Endpoint::Ws).unwrap();
        let rs = router.addr(wamp_suite::Endpoint::Rs).unwrap();
        let http_cases = http_cases.clone();
        let rs_cases = rs_cases.clone();
        let lines = tokio::task::spawn_blocking(move || {
            let mut lines = Vec::new();
            for (case, request) in &http_cases {
                lines.push(format!("websocket, {case}: {}", http_status(ws, request)));
            }
            for (case, hs) in &rs_cases {
                lines.push(format!("rawsocket, {case}: {}", rawsocket_reply(rs, *hs)));
            }
            lines
        })
        .await
        .unwrap();
        transcripts.push(lines.join("\n"));
    }
    if std::env::var_os("WAMP_SUITE_SHOW_TRANSCRIPTS").is_some() {
        eprintln!(
            "--- crossbar:\n{}\n--- ours:\n{}",
            transcripts[0], transcripts[1]
        );
    }
    // Where they differ, ours does what RFC 6455 and the RawSocket spec say: version 13 only
    // (426 for the old drafts Autobahn still serves), error 1 for an unknown serializer and
    // error 3 for reserved octets that are not zero (Crossbar.io stays silent, or ignores them).
    let differences = [
        ("websocket, websocket version 8", "101", "426"),
        (
            "rawsocket, an unknown serializer",
            "silent",
            "[7f, 10, 00, 00]",
        ),
        (
            "rawsocket, reserved octets set",
            "[7f, f1, 00, 00]",
            "[7f, 30, 00, 00]",
        ),
    ];
    let mut expected_ours = transcripts[0].clone();
    for (case, crossbar, ours) in differences {
        let (from, to) = (format!("{case}: {crossbar}"), format!("{case}: {ours}"));
        assert!(
            expected_ours.contains(&from),
            "crossbar: {}",
            transcripts[0]
        );
        expected_ours = expected_ours.replace(&from, &to);
    }
    assert_eq!(
        transcripts[1], expected_ours,
        "ours (left), expected (right)"
    );
}

async fn call_options(kind: RouterKind) -> Transcript {
    use wamp_client::CallOptions;
    let p = "com.parity.options";
    let mut t = Transcript::default();
    let callee = join(kind).await;
    let caller = join(kind).await;
    t.session("callee", &callee);
    t.session("caller", &caller);

    // disclose_me and disclose_caller where the realm already discloses.
    callee
        .register_with(
            &format!("{p}.who"),
            RegisterOptions::default().disclose_caller(true),
            details_echo(),
        )
        .await
        .unwrap();
    let r = within(
        LIMIT,
        "disclose_me",
        caller.call_with(
            &format!("{p}.who"),
            Payload::new(),
            CallOptions::default().disclose_me(true),
        ),
    )
    .await;
    t.log_call("disclose_me and disclose_caller", &r);

    // A procedure that answers with progress to a caller that did not ask for it.
    callee
        .register_with(
            &format!("{p}.progress"),
            RegisterOptions::default(),
            wamp_client::handler::procedure(
                |progress: wamp_client::handler::Progress| async move {
                    progress.send(1);
                    progress.send(2);
                    Ok::<_, WampError>(3)
                },
            ),
        )
        .await
        .unwrap();
    let r = call(&caller, &format!("{p}.progress"), vec![]).await;
    t.log_call("progress to a caller that did not ask for it", &r);
    let _ = caller.leave().await;
    let _ = callee.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn disclosure_and_progress_options_are_as_on_crossbar() {
    same_on_both(call_options).await;
}

/// Two calls at once to a registration with `concurrency` 1: Crossbar.io runs one and answers
/// the other ERROR `crossbar.error.max_concurrency_reached`.
async fn concurrency(kind: RouterKind) -> Transcript {
    let p = "com.parity.concurrency";
    let mut t = Transcript::default();
    let callee = join(kind).await;
    let caller = join(kind).await;
    // A registration limited to one invocation at a time (Crossbar.io's `concurrency`).
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    callee
        .register_with(
            &format!("{p}.one_at_a_time"),
            RegisterOptions::default().concurrency(1),
            move |_inv: Invocation| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(());
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ok::<_, WampError>(Payload::new())
                }
            },
        )
        .await
        .unwrap();
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let caller = caller.clone();
            let uri = format!("{p}.one_at_a_time");
            tokio::spawn(async move { caller.call::<_, ()>(&uri, ()).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for c in calls {
        let r = within(LIMIT, "a limited call", c).await.unwrap();
        outcomes.push(
            r.map(|()| "result".to_owned())
                .unwrap_or_else(|e| e.uri().map_or_else(|| e.to_string(), str::to_owned)),
        );
    }
    outcomes.sort();
    let mut started = 0;
    while rx.try_recv().is_ok() {
        started += 1;
    }
    t.log(
        "two calls at once to a concurrency 1 registration",
        json!({"outcomes": outcomes, "invocations": started}),
    );

    let _ = caller.leave().await;
    let _ = callee.leave().await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_with_concurrency_1_runs_one_call_at_a_time_as_on_crossbar() {
    let t = concurrency(RouterKind::Crossbar).await;
    assert_eq!(
        t.render(),
        "two calls at once to a concurrency 1 registration: \
         {\"invocations\":1,\"outcomes\":[\"crossbar.error.max_concurrency_reached\",\"result\"]}"
    );
    same_on_both(concurrency).await;
}

async fn retention(kind: RouterKind) -> Transcript {
    let p = "com.parity.retention";
    let mut t = Transcript::default();
    let publisher = join(kind).await;
    let late = join(kind).await;
    t.session("publisher", &publisher);
    t.session("late", &late);
    // With `eligible` we also give `exclude` (an id nobody has): Crossbar.io 26.10.1 never
    // answers a SUBSCRIBE with `get_retained` to which a retained event with `eligible` but
    // without `exclude` is eligible (broker.py `_get_retained_event` tests
    // `session_id not in None`: a TypeError, no SUBSCRIBED, no ERROR).
    let retain = |eligible: Vec<u64>| PublishOptions {
        retain: Some(true),
        exclude: if eligible.is_empty() { vec![] } else { vec![1] },
        eligible,
        ..PublishOptions::acknowledged()
    };
    for (topic, arg, eligible) in [
        ("a", "a1", vec![]),
        ("a", "a2", vec![]),
        ("b.c", "bc", vec![]),
        ("only.publisher", "op", vec![publisher.id()]),
        ("only.late", "ol", vec![late.id()]),
    ] {
        within(
            LIMIT,
            "a retained publication",
            publisher.publish_with(
                &format!("{p}.{topic}"),
                Payload::args(&(arg,)).unwrap(),
                retain(eligible),
            ),
        )
        .await
        .unwrap();
    }
    for (what, topic, policy) in [
        ("exact a", format!("{p}.a"), MatchPolicy::Exact),
        (
            "exact only.publisher",
            format!("{p}.only.publisher"),
            MatchPolicy::Exact,
        ),
        (
            "exact only.late",
            format!("{p}.only.late"),
            MatchPolicy::Exact,
        ),
        ("prefix b", format!("{p}.b"), MatchPolicy::Prefix),
        ("wildcard b.", format!("{p}.b."), MatchPolicy::Wildcard),
    ] {
        let mut stream = within(
            LIMIT,
            &format!("subscribe {what} on {kind}"),
            late.subscribe_stream(
                &topic,
                SubscribeOptions::default()
                    .match_policy(policy)
                    .get_retained(true),
            ),
        )
        .await
        .unwrap();
        let mut got = Vec::new();
        while let Ok(Some(e)) =
            tokio::time::timeout(Duration::from_millis(400), stream.next()).await
        {
            got.push(format!(
                "{} {}",
                e.topic,
                t.value(&Value::List(e.payload.args), None)
            ));
        }
        t.log(
            &format!("retained events for a late subscription, {what}"),
            json!(got),
        );
        within(LIMIT, "unsubscribe", stream.unsubscribe())
            .await
            .unwrap();
    }
    let _ = within(LIMIT, "leave", late.leave()).await;
    let _ = within(LIMIT, "leave", publisher.leave()).await;
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn retained_events_reach_late_subscriptions_as_on_crossbar() {
    same_on_both(retention).await;
}
