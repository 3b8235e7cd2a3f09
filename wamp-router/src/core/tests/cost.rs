//! Rough cost of routing through the core (ignored by default; run with
//! `cargo test --release -p wamp-router core::tests::cost -- --ignored --nocapture`).

use std::time::Instant;

use wamp_core::{Dict, Message, Value};

use super::harness::*;
use crate::core::Output;

#[test]
#[ignore = "a measurement, not a test"]
fn routing_a_call_and_an_event_costs_microseconds() {
    let mut b = Bench::open_realm();
    let callee = b.join();
    let caller = b.join();
    let sub = b.join();
    b.registered(callee, 1, "com.example.add2", Dict::new());
    b.subscribed(sub, 1, "com.example.t", Dict::new());
    let n = 200_000u64;
    let t0 = Instant::now();
    for i in 1..=n {
        b.core.receive(
            b.now,
            caller.conn,
            Message::Call {
                request: i,
                options: Dict::new(),
                procedure: "com.example.add2".into(),
                args: vec![Value::Int(2), Value::Int(3)],
                kwargs: Dict::new(),
            },
        );
        let Some(Output::Send {
            msg: Message::Invocation { request, .. },
            ..
        }) = b.core.poll_output()
        else {
            panic!("expected INVOCATION");
        };
        b.core.receive(
            b.now,
            callee.conn,
            Message::Yield {
                request,
                options: Dict::new(),
                args: vec![Value::Int(5)],
                kwargs: Dict::new(),
            },
        );
        assert!(b.core.poll_output().is_some());
    }
    let per_call = t0.elapsed() / n as u32;
    let t0 = Instant::now();
    for i in 1..=n {
        b.core.receive(
            b.now,
            caller.conn,
            Message::Publish {
                request: i,
                options: Dict::new(),
                topic: "com.example.t".into(),
                args: vec![Value::Int(1)],
                kwargs: Dict::new(),
            },
        );
        assert!(b.core.poll_output().is_some());
    }
    let per_event = t0.elapsed() / n as u32;
    println!("per call (CALL+INVOCATION+YIELD+RESULT): {per_call:?}, per event: {per_event:?}");
}
