//! The dealer: REGISTER, CALL, YIELD, ERROR, UNREGISTER, shared and pattern registrations,
//! progressive results, timeouts, canceling, disclosure, sessions leaving.

use std::time::Duration;

use wamp_core::message::RequestType;
use wamp_core::{Dict, Message, Value};

use super::harness::*;

fn opts<const N: usize>(entries: [(&str, Value); N]) -> Dict {
    dict(entries)
}

#[test]
fn a_call_is_invoked_on_the_callee_and_its_yield_becomes_the_result() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    let reg = b.registered(callee, 1, "com.example.add2", Dict::new());
    b.call(
        caller,
        7,
        "com.example.add2",
        Dict::new(),
        vec![Value::Int(2), Value::Int(3)],
    );
    let (inv, registration, details, args) = b.invocation(callee);
    assert_eq!(registration, reg);
    assert_eq!(args, vec![Value::Int(2), Value::Int(3)]);
    assert!(details.get("caller").is_none(), "no disclosure by default");
    assert!(
        details.get("procedure").is_none(),
        "no procedure for exact registrations"
    );
    b.yield_(callee, inv, Dict::new(), vec![Value::Int(5)]);
    let Message::Result {
        request: 7,
        details,
        args,
        ..
    } = b.one(caller.conn)
    else {
        panic!("expected RESULT");
    };
    assert_eq!(args, vec![Value::Int(5)]);
    // Crossbar.io discloses the callee in RESULT details.
    assert_eq!(details.get("callee"), Some(&Value::from(callee.session)));
    assert_eq!(details.get("callee_authrole"), Some(&s("anonymous")));
}

#[test]
fn a_call_to_an_unregistered_procedure_gets_no_such_procedure() {
    let mut b = Bench::open_realm();
    let caller = b.join();
    b.call(caller, 1, "com.example.nothing", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.no_such_procedure"
    );
}

#[test]
fn an_error_from_the_callee_reaches_the_caller() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.fail", Dict::new());
    b.call(caller, 3, "com.example.fail", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    b.send(
        callee.conn,
        Message::Error {
            request_type: RequestType::Invocation,
            request: inv,
            details: Dict::new(),
            error: "com.example.error.bad".into(),
            args: vec![s("why")],
            kwargs: Dict::new(),
        },
    );
    match b.one(caller.conn) {
        Message::Error {
            request_type: RequestType::Call,
            request: 3,
            error,
            args,
            ..
        } => {
            assert_eq!(error, "com.example.error.bad");
            assert_eq!(args, vec![s("why")]);
        }
        other => panic!("expected ERROR, got {other:?}"),
    }
}

#[test]
fn a_second_single_registration_gets_procedure_already_exists() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    b.registered(a, 1, "com.example.p", Dict::new());
    let reply = b.register(c, 1, "com.example.p", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.procedure_already_exists"
    );
}

#[test]
fn unregister_removes_the_procedure() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    let reg = b.registered(callee, 1, "com.example.p", Dict::new());
    b.send(
        callee.conn,
        Message::Unregister {
            request: 2,
            registration: reg,
        },
    );
    assert_eq!(
        b.one(callee.conn),
        Message::Unregistered {
            request: 2,
            details: None
        }
    );
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.no_such_procedure"
    );
    b.send(
        callee.conn,
        Message::Unregister {
            request: 3,
            registration: reg,
        },
    );
    assert_eq!(
        error_uri_of(&b.one(callee.conn), RequestType::Unregister),
        "wamp.error.no_such_registration"
    );
}

#[test]
fn progressive_results_reach_a_caller_that_asked_for_them() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(
        caller,
        4,
        "com.example.p",
        opts([("receive_progress", Value::Bool(true))]),
        vec![],
    );
    let (inv, _, details, _) = b.invocation(callee);
    assert_eq!(details.get("receive_progress"), Some(&Value::Bool(true)));
    b.yield_(
        callee,
        inv,
        opts([("progress", Value::Bool(true))]),
        vec![Value::Int(1)],
    );
    b.yield_(
        callee,
        inv,
        opts([("progress", Value::Bool(true))]),
        vec![Value::Int(2)],
    );
    b.yield_(callee, inv, Dict::new(), vec![Value::Int(3)]);
    let got = b.received(caller.conn);
    let progress: Vec<(bool, Vec<Value>)> = got
        .into_iter()
        .map(|m| match m {
            Message::Result {
                request: 4,
                details,
                args,
                ..
            } => (details.get("progress") == Some(&Value::Bool(true)), args),
            other => panic!("expected RESULT, got {other:?}"),
        })
        .collect();
    assert_eq!(
        progress,
        vec![
            (true, vec![Value::Int(1)]),
            (true, vec![Value::Int(2)]),
            (false, vec![Value::Int(3)])
        ]
    );
}

#[test]
fn a_call_that_times_out_is_canceled_and_the_callee_interrupted() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.slow", Dict::new());
    b.call(
        caller,
        5,
        "com.example.slow",
        opts([("timeout", Value::Int(1500))]),
        vec![],
    );
    let (inv, _, details, _) = b.invocation(callee);
    assert_eq!(details.get("timeout"), Some(&Value::Int(1500)));
    b.advance(Duration::from_millis(1499));
    assert!(b.received(caller.conn).is_empty());
    b.advance(Duration::from_millis(1));
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
    match b.one(callee.conn) {
        Message::Interrupt { request, options } => {
            assert_eq!(request, inv);
            assert_eq!(options.get("mode"), Some(&s("killnowait")));
        }
        other => panic!("expected INTERRUPT, got {other:?}"),
    }
    // The late answer is dropped.
    b.yield_(callee, inv, Dict::new(), vec![]);
    assert!(b.received(caller.conn).is_empty());
}

#[test]
fn callers_get_canceled_when_their_callee_leaves() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 8, "com.example.p", Dict::new(), vec![]);
    b.call(caller, 9, "com.example.p", Dict::new(), vec![]);
    b.received(callee.conn);
    b.close(callee.conn);
    let got = b.received(caller.conn);
    assert_eq!(got.len(), 2);
    for m in &got {
        assert_eq!(error_uri_of(m, RequestType::Call), "wamp.error.canceled");
    }
}

#[test]
fn the_callee_is_interrupted_when_its_caller_leaves() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 8, "com.example.p", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    b.close(caller.conn);
    match b.one(callee.conn) {
        Message::Interrupt { request, options } => {
            assert_eq!(request, inv);
            assert_eq!(options.get("mode"), Some(&s("killnowait")));
        }
        other => panic!("expected INTERRUPT, got {other:?}"),
    }
}

#[test]
fn canceling_a_call_to_a_callee_without_call_canceling_skips_the_interrupt() {
    let mut b = Bench::open_realm();
    let callee = b.join_plain();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 8, "com.example.p", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    b.send(
        caller.conn,
        Message::Cancel {
            request: 8,
            options: opts([("mode", s("kill"))]),
        },
    );
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
    assert!(b.received(callee.conn).is_empty(), "no INTERRUPT");
    b.yield_(callee, inv, Dict::new(), vec![]);
    assert!(
        b.received(caller.conn).is_empty(),
        "the late result is dropped"
    );
}

fn invoke(policy: &str) -> Dict {
    opts([("invoke", s(policy))])
}

/// Which of `callees` gets each of `n` calls.
fn targets(b: &mut Bench, caller: Client, callees: &[Client], n: u64) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..n {
        b.call(caller, 100 + i, "com.example.shared", Dict::new(), vec![]);
        let hit: Vec<usize> = callees
            .iter()
            .enumerate()
            .filter(|(_, c)| !b.received(c.conn).is_empty())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hit.len(), 1, "exactly one callee invoked");
        out.push(hit[0]);
    }
    out
}

#[test]
fn shared_registrations_invoke_by_their_policy() {
    for (policy, expected) in [
        ("first", vec![0, 0, 0, 0]),
        ("last", vec![2, 2, 2, 2]),
        ("roundrobin", vec![0, 1, 2, 0]),
    ] {
        let mut b = Bench::open_realm();
        let callees = [b.join(), b.join(), b.join()];
        let caller = b.join();
        let ids: Vec<u64> = callees
            .iter()
            .map(|&c| b.registered(c, 1, "com.example.shared", invoke(policy)))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "one registration id");
        assert_eq!(targets(&mut b, caller, &callees, 4), expected, "{policy}");
    }
}

#[test]
fn a_callee_at_its_concurrency_refuses_more_calls_until_one_ends() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(
        callee,
        1,
        "com.example.one",
        opts([("concurrency", Value::from(1u64))]),
    );
    b.call(caller, 10, "com.example.one", Dict::new(), vec![]);
    let (first, ..) = b.invocation(callee);
    b.call(caller, 11, "com.example.one", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "crossbar.error.max_concurrency_reached"
    );
    assert!(b.received(callee.conn).is_empty());
    b.yield_(callee, first, Dict::new(), vec![]);
    assert!(matches!(
        b.one(caller.conn),
        Message::Result { request: 10, .. }
    ));
    b.call(caller, 12, "com.example.one", Dict::new(), vec![]);
    b.invocation(callee);
}

#[test]
fn roundrobin_skips_callees_at_their_concurrency_and_refuses_when_all_are() {
    let mut b = Bench::open_realm();
    let callees = [b.join(), b.join()];
    let caller = b.join();
    for c in callees {
        b.registered(
            c,
            1,
            "com.example.shared",
            opts([
                ("invoke", s("roundrobin")),
                ("concurrency", Value::from(1u64)),
            ]),
        );
    }
    b.call(caller, 10, "com.example.shared", Dict::new(), vec![]);
    let (first, ..) = b.invocation(callees[0]);
    b.call(caller, 11, "com.example.shared", Dict::new(), vec![]);
    b.invocation(callees[1]);
    b.call(caller, 12, "com.example.shared", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "crossbar.error.max_concurrency_reached"
    );
    b.yield_(callees[0], first, Dict::new(), vec![]);
    assert!(matches!(
        b.one(caller.conn),
        Message::Result { request: 10, .. }
    ));
    b.call(caller, 13, "com.example.shared", Dict::new(), vec![]);
    b.invocation(callees[0]);
}

#[test]
fn random_invocation_reaches_every_callee_eventually() {
    let mut b = Bench::open_realm();
    let callees = [b.join(), b.join(), b.join()];
    let caller = b.join();
    for &c in &callees {
        b.registered(c, 1, "com.example.shared", invoke("random"));
    }
    let hits = targets(&mut b, caller, &callees, 60);
    for i in 0..3 {
        assert!(hits.contains(&i), "callee {i} never invoked: {hits:?}");
    }
}

#[test]
fn a_registration_asking_another_policy_is_refused() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    b.registered(a, 1, "com.example.shared", invoke("roundrobin"));
    let reply = b.register(c, 1, "com.example.shared", invoke("random"));
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.procedure_exists_with_different_invocation_policy"
    );
}

#[test]
fn an_unknown_invocation_policy_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let reply = b.register(a, 1, "com.example.p", invoke("sometimes"));
    assert_eq!(abort_reason(&reply), "wamp.error.protocol_violation");
}

#[test]
fn the_callees_of_a_shared_registration_leave_one_by_one() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let c = b.join();
    let caller = b.join();
    b.registered(a, 1, "com.example.shared", invoke("first"));
    b.registered(c, 1, "com.example.shared", invoke("first"));
    b.close(a.conn);
    b.call(caller, 1, "com.example.shared", Dict::new(), vec![]);
    b.invocation(c);
}

#[test]
fn calls_go_to_the_most_specific_pattern_registration() {
    let mut b = Bench::open_realm();
    let exact = b.join();
    let prefix = b.join();
    let longer = b.join();
    let wild = b.join();
    let caller = b.join();
    b.registered(exact, 1, "com.example.a.get", Dict::new());
    b.registered(prefix, 1, "com.", opts([("match", s("prefix"))]));
    b.registered(longer, 1, "com.example.", opts([("match", s("prefix"))]));
    b.registered(wild, 1, "..b.get", opts([("match", s("wildcard"))]));
    let cases = [
        ("com.example.a.get", exact),
        ("com.example.b.get", longer),
        ("com.other.b.get", prefix),
    ];
    for (i, (uri, who)) in cases.into_iter().enumerate() {
        b.call(caller, 10 + i as u64, uri, Dict::new(), vec![]);
        let (_, _, details, _) = b.invocation(who);
        if who == exact {
            assert!(details.get("procedure").is_none());
        } else {
            assert_eq!(details.get("procedure"), Some(&s(uri)), "{uri}");
        }
    }
    b.call(caller, 2, "org.x.b.get", Dict::new(), vec![]);
    let (_, _, details, _) = b.invocation(wild);
    assert_eq!(details.get("procedure"), Some(&s("org.x.b.get")));
}

#[test]
fn an_invalid_procedure_uri_is_refused_with_invalid_uri() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let reply = b.register(a, 1, "com..p", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.invalid_uri"
    );
    // The same URI is a valid wildcard.
    b.registered(a, 2, "com..p", opts([("match", s("wildcard"))]));
    b.call(a, 3, "com..p", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(a.conn), RequestType::Call),
        "wamp.error.invalid_uri"
    );
}

#[test]
fn procedures_in_the_wamp_namespace_cannot_be_registered() {
    let mut b = Bench::open_realm();
    let a = b.join();
    let reply = b.register(a, 1, "wamp.session.count", Dict::new());
    assert_eq!(
        error_uri_of(&reply, RequestType::Register),
        "wamp.error.invalid_uri"
    );
}

#[test]
fn the_caller_is_disclosed_when_it_asks_or_the_registration_asks() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.registered(
        callee,
        2,
        "com.example.q",
        opts([("disclose_caller", Value::Bool(true))]),
    );
    for (request, procedure, options) in [
        (
            1,
            "com.example.p",
            opts([("disclose_me", Value::Bool(true))]),
        ),
        (2, "com.example.q", Dict::new()),
    ] {
        b.call(caller, request, procedure, options, vec![]);
        let (_, _, details, _) = b.invocation(callee);
        assert_eq!(details.get("caller"), Some(&Value::from(caller.session)));
        assert!(details.get("caller_authid").is_some());
        assert_eq!(details.get("caller_authrole"), Some(&s("anonymous")));
    }
}

#[test]
fn invocation_ids_are_sequential_per_callee() {
    let mut b = Bench::open_realm();
    let c1 = b.join();
    let c2 = b.join();
    let caller = b.join();
    b.registered(c1, 1, "com.example.one", Dict::new());
    b.registered(c2, 1, "com.example.two", Dict::new());
    let mut ids = Vec::new();
    for (i, (uri, callee)) in [
        ("com.example.one", c1),
        ("com.example.two", c2),
        ("com.example.one", c1),
    ]
    .into_iter()
    .enumerate()
    {
        b.call(caller, i as u64 + 1, uri, Dict::new(), vec![]);
        ids.push(b.invocation(callee).0);
    }
    assert_eq!(ids, vec![1, 1, 2]);
}

#[test]
fn a_request_id_reused_while_in_flight_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    assert_eq!(
        abort_reason(&b.one(caller.conn)),
        "wamp.error.protocol_violation"
    );
}

#[test]
fn calls_beyond_the_in_flight_limit_are_refused() {
    let mut config = crate::core::CoreConfig::open_realms(["realm1"]);
    config.limits.max_calls_per_session = 2;
    let mut b = Bench::new(config);
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    for r in 1..=3 {
        b.call(caller, r, "com.example.p", Dict::new(), vec![]);
    }
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        crate::core::LIMIT_REACHED
    );
    assert_eq!(b.received(callee.conn).len(), 2);
}

#[test]
fn invocations_beyond_the_callee_limit_are_refused() {
    let mut config = crate::core::CoreConfig::open_realms(["realm1"]);
    config.limits.max_invocations_per_callee = 1;
    let mut b = Bench::new(config);
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    b.call(caller, 2, "com.example.p", Dict::new(), vec![]);
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        crate::core::LIMIT_REACHED
    );
    let (inv, ..) = b.invocation(callee);
    b.yield_(callee, inv, Dict::new(), vec![]);
    b.received(caller.conn);
    b.call(caller, 3, "com.example.p", Dict::new(), vec![]);
    b.invocation(callee);
}

#[test]
fn progressive_results_are_dropped_when_the_caller_did_not_ask() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 4, "com.example.p", Dict::new(), vec![]);
    let (inv, _, details, _) = b.invocation(callee);
    assert!(details.get("receive_progress").is_none());
    b.yield_(
        callee,
        inv,
        opts([("progress", Value::Bool(true))]),
        vec![Value::Int(1)],
    );
    assert!(b.received(caller.conn).is_empty());
    b.yield_(callee, inv, Dict::new(), vec![Value::Int(2)]);
    assert!(matches!(
        b.one(caller.conn),
        Message::Result { request: 4, .. }
    ));
}

fn cancel(b: &mut Bench, caller: Client, request: u64, mode: Option<&str>) {
    let options = match mode {
        Some(m) => opts([("mode", s(m))]),
        None => Dict::new(),
    };
    b.send(caller.conn, Message::Cancel { request, options });
}

fn interrupt_mode(msg: Message) -> String {
    match msg {
        Message::Interrupt { options, .. } => options
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        other => panic!("expected INTERRUPT, got {other:?}"),
    }
}

#[test]
fn cancel_skip_answers_the_caller_without_interrupting_the_callee() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    cancel(&mut b, caller, 1, Some("skip"));
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
    assert!(b.received(callee.conn).is_empty());
    b.yield_(callee, inv, Dict::new(), vec![]);
    assert!(b.received(caller.conn).is_empty());
}

#[test]
fn cancel_kill_interrupts_and_answers_when_the_callee_does() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    cancel(&mut b, caller, 1, Some("kill"));
    assert_eq!(interrupt_mode(b.one(callee.conn)), "kill");
    assert!(
        b.received(caller.conn).is_empty(),
        "kill waits for the callee"
    );
    b.send(
        callee.conn,
        Message::Error {
            request_type: RequestType::Invocation,
            request: inv,
            details: Dict::new(),
            error: "wamp.error.canceled".into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    );
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
}

#[test]
fn cancel_killnowait_is_the_default_and_answers_at_once() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(callee);
    cancel(&mut b, caller, 1, None);
    assert_eq!(interrupt_mode(b.one(callee.conn)), "killnowait");
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
    b.yield_(callee, inv, Dict::new(), vec![]);
    assert!(
        b.received(caller.conn).is_empty(),
        "the late result is dropped"
    );
    // Canceling again, or a call that is over, does nothing.
    cancel(&mut b, caller, 1, None);
    assert!(b.received(caller.conn).is_empty());
    assert!(b.received(callee.conn).is_empty());
}

#[test]
fn an_invalid_cancel_mode_is_a_protocol_violation() {
    let mut b = Bench::open_realm();
    let caller = b.join();
    cancel(&mut b, caller, 1, Some("please"));
    assert_eq!(
        abort_reason(&b.one(caller.conn)),
        "wamp.error.protocol_violation"
    );
}

#[test]
fn a_callee_without_call_canceling_is_not_interrupted_at_timeout() {
    let mut b = Bench::open_realm();
    let callee = b.join_plain();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(
        caller,
        1,
        "com.example.p",
        opts([("timeout", Value::Int(10))]),
        vec![],
    );
    b.invocation(callee);
    b.advance(Duration::from_millis(10));
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.canceled"
    );
    assert!(b.received(callee.conn).is_empty());
}

#[test]
fn a_call_answered_in_time_cancels_its_timer() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(
        caller,
        1,
        "com.example.p",
        opts([("timeout", Value::Int(1000))]),
        vec![],
    );
    let (inv, ..) = b.invocation(callee);
    b.yield_(callee, inv, Dict::new(), vec![]);
    b.received(caller.conn);
    assert_eq!(b.core.timers.len(), 0);
}

#[test]
fn a_callee_without_call_canceling_is_not_interrupted_when_its_caller_leaves() {
    let mut b = Bench::open_realm();
    let callee = b.join_plain();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(caller, 1, "com.example.p", Dict::new(), vec![]);
    b.invocation(callee);
    b.close(caller.conn);
    assert!(b.received(callee.conn).is_empty());
}

#[test]
fn progressive_call_invocations_are_refused_as_not_supported() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(
        caller,
        1,
        "com.example.p",
        opts([("progress", Value::Bool(true))]),
        vec![],
    );
    assert_eq!(
        error_uri_of(&b.one(caller.conn), RequestType::Call),
        "wamp.error.feature_not_supported"
    );
}

#[test]
fn a_session_may_call_its_own_procedure() {
    let mut b = Bench::open_realm();
    let a = b.join();
    b.registered(a, 1, "com.example.self", Dict::new());
    b.call(a, 2, "com.example.self", Dict::new(), vec![]);
    let (inv, ..) = b.invocation(a);
    b.yield_(a, inv, Dict::new(), vec![Value::Int(1)]);
    assert!(matches!(b.one(a.conn), Message::Result { request: 2, .. }));
}

#[test]
fn a_timeout_too_large_to_represent_is_no_timeout() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    b.registered(callee, 1, "com.example.p", Dict::new());
    b.call(
        caller,
        1,
        "com.example.p",
        opts([("timeout", Value::Int(i64::MAX))]),
        vec![],
    );
    let (inv, ..) = b.invocation(callee);
    b.yield_(callee, inv, Dict::new(), vec![]);
    assert!(matches!(
        b.one(caller.conn),
        Message::Result { request: 1, .. }
    ));
}
