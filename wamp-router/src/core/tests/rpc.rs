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
    assert_eq!(
        b.one(caller.conn),
        Message::Result {
            request: 7,
            details: Dict::new(),
            args: vec![Value::Int(5)],
            kwargs: Dict::new()
        }
    );
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
