//! Whatever clients send, in any order, the core neither panics nor keeps state for sessions
//! that are gone.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wamp_core::message::RequestType;
use wamp_core::{Dict, Message, Str, Value};

use super::harness::*;

const URIS: [&str; 9] = [
    "com.example.a",
    "com.example.b",
    "com.example.",
    "com..a",
    "com",
    "",
    "wamp.session.count",
    "wamp.session.kill_by_authrole",
    "com example",
];

fn any_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..8) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => Value::Int(rng.random_range(-3..1_000_000)),
        3 => Value::String(Str::new(URIS[rng.random_range(0..URIS.len())])),
        4 => Value::List(vec![
            Value::Int(rng.random_range(0..5)),
            Value::from("anonymous"),
        ]),
        5 => Value::Dict(Dict::from([("match", Value::from("prefix"))])),
        6 => Value::Float(0.5),
        _ => Value::List(Vec::new()),
    }
}

fn any_options(rng: &mut StdRng) -> Dict {
    const KEYS: [&str; 16] = [
        "acknowledge",
        "exclude_me",
        "eligible",
        "exclude",
        "eligible_authrole",
        "exclude_authid",
        "retain",
        "get_retained",
        "match",
        "invoke",
        "receive_progress",
        "progress",
        "timeout",
        "mode",
        "disclose_me",
        "scope",
    ];
    let mut d = Dict::new();
    for _ in 0..rng.random_range(0..4) {
        let key = KEYS[rng.random_range(0..KEYS.len())];
        let value = match (key, rng.random_range(0..3)) {
            ("match", 0) => Value::from("wildcard"),
            ("match", 1) => Value::from("prefix"),
            ("invoke", 0) => Value::from("roundrobin"),
            ("mode", 0) => Value::from("kill"),
            ("timeout", 0) => Value::Int(rng.random_range(0..50)),
            ("timeout", 1) => Value::Int(i64::MAX),
            (_, 0) => Value::Bool(true),
            _ => any_value(rng),
        };
        d.insert(key.into(), value);
    }
    d
}

fn any_message(rng: &mut StdRng) -> Message {
    let id = rng.random_range(1..6);
    let uri = Str::new(URIS[rng.random_range(0..URIS.len())]);
    let args = if rng.random() {
        vec![any_value(rng)]
    } else {
        Vec::new()
    };
    match rng.random_range(0..16) {
        0 => Message::Hello {
            realm: if rng.random() { "realm1".into() } else { uri },
            details: if rng.random() {
                hello_details(&["call_canceling", "progressive_call_results"])
            } else {
                any_options(rng)
            },
        },
        1 => Message::Goodbye {
            details: Dict::new(),
            reason: "wamp.close.normal".into(),
        },
        2 => Message::Publish {
            request: id,
            options: any_options(rng),
            topic: uri,
            args,
            kwargs: Dict::new(),
        },
        3 => Message::Subscribe {
            request: id,
            options: any_options(rng),
            topic: uri,
        },
        4 => Message::Unsubscribe {
            request: id,
            subscription: rng.random_range(1..1 << 53),
        },
        5 | 6 => Message::Call {
            request: id,
            options: any_options(rng),
            procedure: uri,
            args,
            kwargs: Dict::new(),
        },
        7 => Message::Cancel {
            request: id,
            options: any_options(rng),
        },
        8 => Message::Register {
            request: id,
            options: any_options(rng),
            procedure: uri,
        },
        9 => Message::Unregister {
            request: id,
            registration: rng.random_range(1..1 << 53),
        },
        10 | 11 => Message::Yield {
            request: id,
            options: any_options(rng),
            args,
            kwargs: Dict::new(),
        },
        12 => Message::Error {
            request_type: if rng.random() {
                RequestType::Invocation
            } else {
                RequestType::Call
            },
            request: id,
            details: Dict::new(),
            error: uri,
            args,
            kwargs: Dict::new(),
        },
        13 => Message::Authenticate {
            signature: "x".into(),
            extra: Dict::new(),
        },
        14 => Message::Event {
            subscription: id,
            publication: id,
            details: Dict::new(),
            args,
            kwargs: Dict::new(),
        },
        _ => Message::Abort {
            details: Dict::new(),
            reason: "wamp.error.x".into(),
        },
    }
}

#[test]
fn random_traffic_never_panics_and_leaves_nothing_behind() {
    for seed in 0..300u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut b = Bench::open_realm();
        let mut conns: Vec<u64> = Vec::new();
        for _ in 0..4 {
            let c = b.join();
            conns.push(c.conn);
        }
        for _ in 0..120 {
            match rng.random_range(0..20) {
                0 => conns.push(b.connect()),
                1 => b.advance(Duration::from_millis(rng.random_range(0..30))),
                2 if !conns.is_empty() => {
                    let i = rng.random_range(0..conns.len());
                    b.close(conns.swap_remove(i));
                }
                3 => b.core.shutdown(b.now),
                _ if !conns.is_empty() => {
                    let conn = conns[rng.random_range(0..conns.len())];
                    let msg = any_message(&mut rng);
                    b.send(conn, msg);
                }
                _ => {}
            }
            // Answer invocations now and then, as callees do.
            for o in b.outputs() {
                if let crate::core::Output::Send {
                    conn,
                    msg: Message::Invocation { request, .. },
                } = o
                {
                    if rng.random() {
                        b.send(
                            conn,
                            Message::Yield {
                                request,
                                options: Dict::new(),
                                args: Vec::new(),
                                kwargs: Dict::new(),
                            },
                        );
                    }
                }
            }
        }
        for conn in conns {
            b.close(conn);
        }
        b.advance(Duration::from_secs(60));
        assert_eq!(b.core.session_count(), 0, "seed {seed}");
        assert_eq!(b.core.connection_count(), 0, "seed {seed}");
        assert_eq!(b.core.timers.len(), 0, "seed {seed}");
        let realm = &b.core.realms[0];
        assert_eq!(realm.dealer.in_flight(), 0, "seed {seed}");
        assert_eq!(realm.broker.subscription_count(), 0, "seed {seed}");
        assert!(realm.peers.is_empty(), "seed {seed}");
        assert_eq!(realm.dealer.entries(), 0, "seed {seed}");
        assert_eq!(realm.broker.entries(), 0, "seed {seed}");
    }
}
