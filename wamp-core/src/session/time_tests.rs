//! Deadlines, probes and cancellation, with made-up instants: no clock, no sleeps.

use super::*;
use crate::message::RequestType;

type S = ClientSession<u32, u32>;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn dealer_features(features: &[&str]) -> Dict {
    let mut f = Dict::new();
    for name in features {
        f.insert((*name).into(), Value::Bool(true));
    }
    let mut dealer = Dict::new();
    dealer.insert("features".into(), Value::Dict(f));
    let mut roles = Dict::new();
    roles.insert("dealer".into(), Value::Dict(dealer));
    let mut details = Dict::new();
    details.insert("roles".into(), Value::Dict(roles));
    details
}

/// A session joined at `t` with `config`, whose dealer can cancel calls.
fn joined_at(t: Instant, config: SessionConfig) -> S {
    joined_with(t, config, &["call_canceling"])
}

fn joined_with(t: Instant, config: SessionConfig, features: &[&str]) -> S {
    let mut s = S::new(HelloConfig::new("realm1"), config);
    s.hello(t);
    s.handle_message(
        t,
        Message::Welcome {
            session: 42,
            details: dealer_features(features),
        },
    )
    .unwrap();
    drain(&mut s);
    s
}

fn drain(s: &mut S) -> (Vec<Message>, Vec<SessionEvent<u32, u32>>) {
    let mut out = Vec::new();
    while let Some(m) = s.poll_transmit() {
        out.push(m);
    }
    let mut ev = Vec::new();
    while let Some(e) = s.poll_event() {
        ev.push(e);
    }
    (out, ev)
}

fn with_timeout(timeout: Duration) -> Dict {
    let mut o = Dict::new();
    o.insert("timeout".into(), Value::from(timeout.as_millis() as u64));
    o
}

fn result(request: Id, progress: bool) -> Message {
    let mut details = Dict::new();
    if progress {
        details.insert("progress".into(), Value::Bool(true));
    }
    Message::Result {
        request,
        details,
        args: vec![],
        kwargs: Dict::new(),
    }
}

fn cancel_mode(out: &[Message]) -> Option<(Id, String)> {
    out.iter().find_map(|m| match m {
        Message::Cancel { request, options } => {
            Some((*request, options.get("mode")?.as_str()?.to_owned()))
        }
        _ => None,
    })
}

#[test]
fn a_closed_session_has_no_deadline() {
    let mut s = S::new(HelloConfig::new("realm1"), SessionConfig::default());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_router_that_never_welcomes_ends_the_join_at_the_join_timeout() {
    let t = Instant::now();
    let mut s = S::new(
        HelloConfig::new("realm1"),
        SessionConfig::default().join_timeout(secs(3)),
    );
    s.hello(t);
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t + secs(3)));
    s.handle_timeout(t + ms(2999));
    assert_eq!(s.phase(), Phase::Establishing);
    s.handle_timeout(t + secs(3));
    let (out, ev) = drain(&mut s);
    assert!(
        matches!(&out[..], [Message::Abort { reason, .. }] if reason == error_uri::TIMEOUT),
        "{out:?}"
    );
    match &ev[..] {
        [SessionEvent::Left(d)] => {
            assert_eq!(d.initiator, CloseInitiator::Timeout);
            assert_eq!(d.reason, error_uri::TIMEOUT);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_welcome_in_time_clears_the_join_deadline() {
    let t = Instant::now();
    let s = joined_at(t, SessionConfig::default());
    let mut s = s;
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_goodbye_without_a_reply_ends_the_session_at_the_leave_timeout_and_fails_pending_calls() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default().leave_timeout(secs(5)));
    s.call(t, "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    s.leave(t + secs(1), close_uri::NORMAL, None).unwrap();
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t + secs(6)));
    s.handle_timeout(t + secs(6));
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        &ev[0],
        SessionEvent::CallFailed {
            waiter: 1,
            failure: CallFailure::Lost(_),
            ..
        }
    ));
    match ev.last() {
        Some(SessionEvent::Left(d)) => {
            assert_eq!(d.reason, close_uri::TRANSPORT_LOST);
            assert!(d.message.as_deref().unwrap().contains("GOODBYE"), "{d:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_call_past_its_timeout_fails_with_timeout_and_is_canceled_killnowait() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s
        .call(t, "a.b", with_timeout(ms(3)), vec![], Dict::new(), 7)
        .unwrap();
    let (out, _) = drain(&mut s);
    // The option still goes to the router, in milliseconds.
    assert!(
        matches!(&out[..], [Message::Call { options, .. }] if options.get("timeout") == Some(&Value::from(3u64)))
    );
    assert_eq!(s.poll_timeout(), Some(t + ms(3)));
    s.handle_timeout(t + ms(2));
    assert!(drain(&mut s).1.is_empty());
    s.handle_timeout(t + ms(3));
    let (out, ev) = drain(&mut s);
    assert_eq!(cancel_mode(&out), Some((r, "killnowait".to_owned())));
    assert!(matches!(
        &ev[..],
        [SessionEvent::CallFailed {
            request,
            waiter: 7,
            failure: CallFailure::Timeout(d),
        }] if *request == r && *d == ms(3)
    ));
    assert_eq!(s.pending_requests(), 0);
    assert_eq!(s.abandoned_requests(), 1);
    // The router's late answer is dropped, not taken for a protocol violation.
    s.handle_message(
        t + secs(1),
        Message::Error {
            request_type: RequestType::Call,
            request: r,
            details: Dict::new(),
            error: error_uri::CANCELED.into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.abandoned_requests(), 0);
    assert_eq!(s.phase(), Phase::Established);
}

#[test]
fn the_routers_own_timeout_answer_that_comes_with_the_deadline_is_a_timeout() {
    // The router enforces the same timeout (in milliseconds): its ERROR may be read just
    // before the driver runs the due timer. The call fails with Timeout either way.
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s
        .call(t, "a.b", with_timeout(ms(3)), vec![], Dict::new(), 7)
        .unwrap();
    drain(&mut s);
    s.handle_message(
        t + ms(3),
        Message::Error {
            request_type: RequestType::Call,
            request: r,
            details: Dict::new(),
            error: error_uri::CANCELED.into(),
            args: vec![Value::from("timeout reached")],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (out, ev) = drain(&mut s);
    assert!(out.is_empty(), "no CANCEL for an answered call: {out:?}");
    assert!(matches!(
        &ev[..],
        [SessionEvent::CallFailed {
            failure: CallFailure::Timeout(d),
            ..
        }] if *d == ms(3)
    ));
    // Before the deadline, the router's cancel is the router's error.
    let r = s
        .call(t, "a.b", with_timeout(ms(3)), vec![], Dict::new(), 8)
        .unwrap();
    drain(&mut s);
    s.handle_message(
        t + ms(2),
        Message::Error {
            request_type: RequestType::Call,
            request: r,
            details: Dict::new(),
            error: error_uri::CANCELED.into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        &ev[..],
        [SessionEvent::CallFailed {
            failure: CallFailure::Error(e),
            ..
        }] if e.uri == error_uri::CANCELED
    ));
}

#[test]
fn a_timed_out_call_is_not_canceled_when_the_router_cannot_cancel() {
    let t = Instant::now();
    let mut s = joined_with(t, SessionConfig::default(), &[]);
    let r = s
        .call(t, "a.b", with_timeout(secs(1)), vec![], Dict::new(), 7)
        .unwrap();
    drain(&mut s);
    s.handle_timeout(t + secs(1));
    let (out, ev) = drain(&mut s);
    assert_eq!(cancel_mode(&out), None);
    assert_eq!(ev.len(), 1);
    // A late RESULT (progressive, then final) is dropped.
    s.handle_message(t + secs(2), result(r, true)).unwrap();
    s.handle_message(t + secs(2), result(r, false)).unwrap();
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.phase(), Phase::Established);
}

#[test]
fn a_call_without_a_timeout_has_no_deadline() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    s.call(t, "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(t + secs(3600));
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.pending_requests(), 1);
}

#[test]
fn each_progressive_result_restarts_the_call_timer() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s
        .call(t, "a.b", with_timeout(secs(2)), vec![], Dict::new(), 1)
        .unwrap();
    drain(&mut s);
    s.handle_message(t + secs(1), result(r, true)).unwrap();
    assert_eq!(s.poll_timeout(), Some(t + secs(3)));
    s.handle_timeout(t + ms(2500));
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::Progress { .. }]), "{ev:?}");
    s.handle_message(t + ms(2900), result(r, false)).unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::Result { waiter: 1, .. }]));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn calls_answered_before_their_deadline_do_not_pile_up_in_the_timer_heap() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    for i in 0..100_000u32 {
        let r = s
            .call(t, "a.b", with_timeout(secs(60)), vec![], Dict::new(), i)
            .unwrap();
        s.handle_message(t, result(r, false)).unwrap();
        drain(&mut s);
    }
    assert!(s.requests.heap_len() <= 64 + 1, "{}", s.requests.heap_len());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn the_earliest_of_many_call_deadlines_comes_first() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let slow = s
        .call(t, "a.b", with_timeout(secs(9)), vec![], Dict::new(), 1)
        .unwrap();
    let fast = s
        .call(t, "a.b", with_timeout(secs(2)), vec![], Dict::new(), 2)
        .unwrap();
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t + secs(2)));
    s.handle_timeout(t + secs(2));
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::CallFailed { request, .. }] if *request == fast));
    assert_eq!(s.poll_timeout(), Some(t + secs(9)));
    s.handle_timeout(t + secs(10));
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::CallFailed { request, .. }] if *request == slow));
}

#[test]
fn an_abandoned_call_is_canceled_and_its_late_answer_dropped() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s
        .call(t, "a.b", Dict::new(), vec![], Dict::new(), 5)
        .unwrap();
    drain(&mut s);
    assert_eq!(s.abandon_call(r, CancelMode::KillNoWait), Some(5));
    let (out, ev) = drain(&mut s);
    assert_eq!(cancel_mode(&out), Some((r, "killnowait".to_owned())));
    assert!(ev.is_empty());
    assert_eq!(s.pending_requests(), 0);
    s.handle_message(t, result(r, false)).unwrap();
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.abandoned_requests(), 0);
    // Abandoning twice, or something that is not a call, does nothing.
    assert_eq!(s.abandon_call(r, CancelMode::Skip), None);
    let reg = s.register("a.b", Dict::new(), 1).unwrap();
    assert_eq!(s.abandon_call(reg, CancelMode::Skip), None);
}

#[test]
fn abandoned_requests_are_remembered_up_to_a_bound() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    for i in 0..(MAX_ABANDONED as u32 + 100) {
        let r = s
            .call(t, "a.b", Dict::new(), vec![], Dict::new(), i)
            .unwrap();
        s.abandon_call(r, CancelMode::KillNoWait);
    }
    drain(&mut s);
    assert_eq!(s.abandoned_requests(), MAX_ABANDONED);
}

#[test]
fn an_explicit_cancel_sends_the_mode_and_the_call_waits_for_the_routers_answer() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s
        .call(t, "a.b", Dict::new(), vec![], Dict::new(), 5)
        .unwrap();
    drain(&mut s);
    s.cancel(r, CancelMode::Kill).unwrap();
    let (out, ev) = drain(&mut s);
    assert_eq!(cancel_mode(&out), Some((r, "kill".to_owned())));
    assert!(ev.is_empty());
    assert_eq!(s.pending_requests(), 1);
    s.handle_message(
        t,
        Message::Error {
            request_type: RequestType::Call,
            request: r,
            details: Dict::new(),
            error: error_uri::CANCELED.into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        &ev[..],
        [SessionEvent::CallFailed { failure: CallFailure::Error(e), .. }] if e.uri == error_uri::CANCELED
    ));
    assert_eq!(
        s.cancel(r, CancelMode::Kill),
        Err(CommandError::NoSuchCall(r))
    );
}

#[test]
fn a_cancel_that_does_not_wait_for_the_callee_fails_the_call_at_once_and_drops_the_late_answer() {
    for mode in [CancelMode::Skip, CancelMode::KillNoWait] {
        let t = Instant::now();
        let mut s = joined_at(t, SessionConfig::default());
        let r = s
            .call(t, "a.b", Dict::new(), vec![], Dict::new(), 5)
            .unwrap();
        drain(&mut s);
        s.cancel(r, mode).unwrap();
        let (out, ev) = drain(&mut s);
        assert_eq!(cancel_mode(&out), Some((r, mode.as_str().to_owned())));
        assert!(
            matches!(
                &ev[..],
                [SessionEvent::CallFailed {
                    waiter: 5,
                    failure: CallFailure::Canceled,
                    ..
                }]
            ),
            "{ev:?}"
        );
        s.handle_message(
            t,
            Message::Error {
                request_type: RequestType::Call,
                request: r,
                details: Dict::new(),
                error: error_uri::CANCELED.into(),
                args: vec![],
                kwargs: Dict::new(),
            },
        )
        .unwrap();
        assert!(drain(&mut s).1.is_empty());
    }
}

#[test]
fn a_cancel_the_router_cannot_carry_fails_the_call_here() {
    let t = Instant::now();
    let mut s = joined_with(t, SessionConfig::default(), &[]);
    let r = s
        .call(t, "a.b", Dict::new(), vec![], Dict::new(), 5)
        .unwrap();
    drain(&mut s);
    s.cancel(r, CancelMode::Skip).unwrap();
    let (out, ev) = drain(&mut s);
    assert_eq!(cancel_mode(&out), None);
    assert!(matches!(
        &ev[..],
        [SessionEvent::CallFailed {
            waiter: 5,
            failure: CallFailure::Canceled,
            ..
        }]
    ));
}

fn ping_liveness() -> SessionConfig {
    SessionConfig::default().liveness(Some(Liveness {
        interval: secs(30),
        timeout: secs(10),
        probe: Probe::Ping,
    }))
}

#[test]
fn a_silent_router_is_pinged_after_the_interval_and_lost_after_the_timeout() {
    let t = Instant::now();
    let mut s = joined_at(t, ping_liveness());
    assert_eq!(s.poll_timeout(), Some(t + secs(30)));
    s.handle_timeout(t + secs(29));
    assert!(!s.poll_ping());
    s.handle_timeout(t + secs(30));
    assert!(s.poll_ping());
    assert!(!s.poll_ping(), "one ping per probe");
    assert_eq!(s.poll_timeout(), Some(t + secs(40)));
    s.handle_timeout(t + secs(40));
    let (_, ev) = drain(&mut s);
    match &ev[..] {
        [SessionEvent::Left(d)] => {
            assert_eq!(d.reason, close_uri::TRANSPORT_LOST);
            assert_eq!(d.initiator, CloseInitiator::Transport);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn anything_from_the_router_answers_the_probe_and_restarts_the_interval() {
    let t = Instant::now();
    let mut s = joined_at(t, ping_liveness());
    s.handle_timeout(t + secs(30));
    assert!(s.poll_ping());
    s.handle_activity(t + secs(31));
    assert_eq!(s.poll_timeout(), Some(t + secs(61)));
    s.handle_timeout(t + secs(45));
    assert_eq!(s.phase(), Phase::Established);
    // Messages count too.
    let r = s
        .call(t + secs(50), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    s.handle_message(t + secs(55), result(r, false)).unwrap();
    assert_eq!(s.poll_timeout(), Some(t + secs(85)));
}

#[test]
fn a_rawsocket_style_probe_is_a_call_whose_answer_of_any_kind_is_dropped() {
    let t = Instant::now();
    let mut s = joined_at(
        t,
        SessionConfig::default().liveness(Some(Liveness {
            interval: secs(30),
            timeout: secs(10),
            probe: Probe::Call,
        })),
    );
    s.handle_timeout(t + secs(30));
    assert!(!s.poll_ping());
    let (out, _) = drain(&mut s);
    let probe = match &out[..] {
        [Message::Call {
            request,
            procedure,
            args,
            ..
        }] => {
            assert_eq!(procedure, PROBE_PROCEDURE);
            assert_eq!(args, &vec![Value::from(42u64)]);
            *request
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        s.pending_requests(),
        0,
        "probes are not the user's requests"
    );
    s.handle_message(
        t + secs(31),
        Message::Error {
            request_type: RequestType::Call,
            request: probe,
            details: Dict::new(),
            error: error_uri::NOT_AUTHORIZED.into(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.poll_timeout(), Some(t + secs(61)));
    // The next probe, answered with a RESULT.
    s.handle_timeout(t + secs(61));
    let (out, _) = drain(&mut s);
    let Some(Message::Call { request, .. }) = out.first() else {
        panic!("{out:?}")
    };
    s.handle_message(t + secs(62), result(*request, false))
        .unwrap();
    assert!(drain(&mut s).1.is_empty());
    assert_eq!(s.phase(), Phase::Established);
}

#[test]
fn an_invocation_past_its_timeout_is_interrupted_with_reason_timeout() {
    let t = Instant::now();
    let mut s = joined_at(t, SessionConfig::default());
    let r = s.register("a.b", Dict::new(), 1).unwrap();
    s.handle_message(
        t,
        Message::Registered {
            request: r,
            registration: 9,
        },
    )
    .unwrap();
    drain(&mut s);
    s.handle_message(
        t,
        Message::Invocation {
            request: 77,
            registration: 9,
            details: with_timeout(secs(2)),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(t + secs(2)));
    s.handle_timeout(t + secs(2));
    let (_, ev) = drain(&mut s);
    match &ev[..] {
        [SessionEvent::Interrupt {
            request: 77,
            options,
        }] => {
            assert_eq!(
                options.get("reason"),
                Some(&Value::from(error_uri::TIMEOUT))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.poll_timeout(), None, "interrupted once");
    s.yield_error(77, WampError::new(error_uri::TIMEOUT))
        .unwrap();
    assert_eq!(s.pending_invocations(), 0);
}

#[test]
fn hello_announces_canceling_timeouts_and_progressive_results_for_caller_and_callee() {
    let mut s = S::new(HelloConfig::new("realm1"), SessionConfig::default());
    s.hello(Instant::now());
    let Some(Message::Hello { details, .. }) = s.poll_transmit() else {
        panic!("no hello")
    };
    let roles = details.get("roles").and_then(Value::as_dict).unwrap();
    for role in ["caller", "callee"] {
        let features = roles
            .get(role)
            .and_then(Value::as_dict)
            .and_then(|r| r.get("features"))
            .and_then(Value::as_dict)
            .unwrap();
        for f in [
            "call_canceling",
            "call_timeout",
            "progressive_call_results",
            "caller_identification",
        ] {
            assert_eq!(features.get(f), Some(&Value::Bool(true)), "{role} {f}");
        }
    }
}
