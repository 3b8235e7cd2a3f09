use super::*;
use crate::message::RequestType;
use crate::uri::close_uri;

type S = ClientSession<u32, u32>;

/// The instant every test starts at (the session never reads a clock).
fn t0() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn new(realm: &str) -> S {
    S::new(HelloConfig::new(realm), SessionConfig::default())
}

fn joined() -> S {
    let mut s = new("realm1");
    s.hello(t0());
    s.handle_message(
        t0(),
        Message::Welcome {
            session: 99,
            details: Dict::new(),
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

fn lost_waiters(events: &[SessionEvent<u32, u32>]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::CallFailed {
                waiter,
                failure: CallFailure::Lost(_),
                ..
            }
            | SessionEvent::Failed {
                waiter,
                failure: Failure::Lost(_),
                ..
            } => Some(*waiter),
            _ => None,
        })
        .collect()
}

#[test]
fn hello_announces_roles_agent_and_no_authmethods_for_anonymous() {
    let mut s = new("realm1");
    s.hello(t0());
    let Some(Message::Hello { realm, details }) = s.poll_transmit() else {
        panic!("no hello")
    };
    assert_eq!(realm, "realm1");
    assert!(details.get("agent").and_then(Value::as_str).is_some());
    let roles = details.get("roles").and_then(Value::as_dict).unwrap();
    for role in ["caller", "callee", "publisher", "subscriber"] {
        assert!(roles.contains_key(role), "{role}");
    }
    assert!(!details.contains_key("authmethods"));
    assert_eq!(s.phase(), Phase::Establishing);
}

#[test]
fn welcome_joins_and_exposes_the_session_details() {
    let mut s = new("realm1");
    s.hello(t0());
    let mut details = Dict::new();
    details.insert("authid".into(), "joe".into());
    details.insert("authrole".into(), "anonymous".into());
    details.insert("realm".into(), "realm1".into());
    s.handle_message(
        t0(),
        Message::Welcome {
            session: 5,
            details,
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    let SessionEvent::Joined(d) = &ev[0] else {
        panic!()
    };
    assert_eq!(d.session, 5);
    assert_eq!(d.authid.as_deref(), Some("joe"));
    assert_eq!(d.authrole.as_deref(), Some("anonymous"));
    assert_eq!(s.phase(), Phase::Established);
}

#[test]
fn commands_before_joining_are_refused() {
    let mut s = new("realm1");
    assert_eq!(
        s.call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1),
        Err(Refused {
            error: CommandError::NotJoined(Phase::Closed),
            waiter: 1
        })
    );
}

#[test]
fn abort_during_the_handshake_ends_the_session_without_joining() {
    let mut s = new("nope");
    s.hello(t0());
    s.handle_message(
        t0(),
        Message::Abort {
            details: Dict::new(),
            reason: "wamp.error.no_such_realm".into(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(&ev[..], [SessionEvent::Left(d)] if d.reason == "wamp.error.no_such_realm" && d.initiator == CloseInitiator::RouterAbort)
    );
}

#[test]
fn challenge_is_reported_and_answered_with_authenticate() {
    let mut s = new("realm1");
    s.hello(t0());
    drain(&mut s);
    s.handle_message(
        t0(),
        Message::Challenge {
            method: "ticket".into(),
            extra: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::Challenge { method, .. }] if method == "ticket"));
    s.authenticate("secret".into(), Dict::new()).unwrap();
    let (out, _) = drain(&mut s);
    assert!(matches!(&out[..], [Message::Authenticate { signature, .. }] if signature == "secret"));
    s.handle_message(
        t0(),
        Message::Welcome {
            session: 1,
            details: Dict::new(),
        },
    )
    .unwrap();
    assert_eq!(s.phase(), Phase::Established);
}

#[test]
fn a_message_other_than_welcome_before_joining_is_a_protocol_violation() {
    let mut s = new("realm1");
    s.hello(t0());
    drain(&mut s);
    let err = s
        .handle_message(
            t0(),
            Message::Published {
                request: 1,
                publication: 2,
            },
        )
        .unwrap_err();
    assert!(matches!(err, ProtocolError::Unexpected { .. }));
    let (out, ev) = drain(&mut s);
    assert!(
        matches!(&out[..], [Message::Abort { reason, .. }] if reason == "wamp.error.protocol_violation")
    );
    assert!(
        matches!(&ev[..], [SessionEvent::Left(d)] if d.initiator == CloseInitiator::ProtocolViolation)
    );
}

#[test]
fn welcome_after_joining_is_a_protocol_violation_that_fails_pending_calls() {
    let mut s = joined();
    s.call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 7)
        .unwrap();
    let err = s.handle_message(
        t0(),
        Message::Welcome {
            session: 1,
            details: Dict::new(),
        },
    );
    assert!(err.is_err());
    let (out, ev) = drain(&mut s);
    assert!(
        matches!(out.last(), Some(Message::Abort { reason, .. }) if reason == "wamp.error.protocol_violation")
    );
    assert_eq!(lost_waiters(&ev), vec![7]);
    assert_eq!(s.phase(), Phase::Closed);
}

#[test]
fn a_reply_to_an_unknown_request_is_a_protocol_violation() {
    let mut s = joined();
    let err = s
        .handle_message(
            t0(),
            Message::Result {
                request: 12345,
                details: Dict::new(),
                args: vec![],
                kwargs: Dict::new(),
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        ProtocolError::UnknownRequest {
            message: "RESULT",
            request: 12345
        }
    );
}

#[test]
fn a_reply_of_the_wrong_kind_is_a_protocol_violation() {
    let mut s = joined();
    let req = s.register("a.b", Dict::new(), 1).unwrap();
    assert!(s
        .handle_message(
            t0(),
            Message::Subscribed {
                request: req,
                subscription: 3
            }
        )
        .is_err());
}

#[test]
fn an_error_with_the_wrong_request_type_is_a_protocol_violation() {
    let mut s = joined();
    let req = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    assert!(s
        .handle_message(
            t0(),
            Message::Error {
                request_type: RequestType::Register,
                request: req,
                details: Dict::new(),
                error: "x.y".into(),
                args: vec![],
                kwargs: Dict::new(),
            }
        )
        .is_err());
}

#[test]
fn a_call_gets_its_result_and_requests_are_numbered_from_one() {
    let mut s = joined();
    let r1 = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    let r2 = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 2)
        .unwrap();
    assert_eq!((r1, r2), (1, 2));
    s.handle_message(
        t0(),
        Message::Result {
            request: r2,
            details: Dict::new(),
            args: vec![Value::Int(9)],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(
        matches!(&ev[..], [SessionEvent::Result { waiter: 2, args, .. }] if args == &vec![Value::Int(9)])
    );
    assert_eq!(s.pending_requests(), 1);
}

#[test]
fn progressive_results_keep_the_call_pending_until_the_final_result() {
    let mut s = joined();
    let r = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    let mut progress = Dict::new();
    progress.insert("progress".into(), Value::Bool(true));
    for _ in 0..3 {
        s.handle_message(
            t0(),
            Message::Result {
                request: r,
                details: progress.clone(),
                args: vec![],
                kwargs: Dict::new(),
            },
        )
        .unwrap();
    }
    assert_eq!(s.pending_requests(), 1);
    assert_eq!(s.call_waiter_mut(r), Some(&mut 1));
    s.handle_message(
        t0(),
        Message::Result {
            request: r,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, SessionEvent::Progress { .. }))
            .count(),
        3
    );
    assert!(matches!(
        ev.last(),
        Some(SessionEvent::Result { waiter: 1, .. })
    ));
}

#[test]
fn call_errors_carry_uri_args_and_kwargs() {
    let mut s = joined();
    let r = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    let mut kw = Dict::new();
    kw.insert("k".into(), Value::Int(1));
    s.handle_message(
        t0(),
        Message::Error {
            request_type: RequestType::Call,
            request: r,
            details: Dict::new(),
            error: "com.err".into(),
            args: vec!["x".into()],
            kwargs: kw.clone(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    let SessionEvent::CallFailed {
        failure: CallFailure::Error(e),
        ..
    } = &ev[0]
    else {
        panic!()
    };
    assert_eq!(e.uri, "com.err");
    assert_eq!(e.args, vec![Value::from("x")]);
    assert_eq!(e.kwargs, kw);
}

#[test]
fn all_100_pending_requests_fail_when_the_transport_closes() {
    let mut s = joined();
    for i in 0..100 {
        s.call(t0(), "a.b", Dict::new(), vec![], Dict::new(), i)
            .unwrap();
    }
    s.handle_transport_closed(Some("reset".into()));
    let (_, ev) = drain(&mut s);
    let lost = lost_waiters(&ev);
    assert_eq!(lost, (0..100).collect::<Vec<_>>());
    assert!(
        matches!(ev.last(), Some(SessionEvent::Left(d)) if d.reason == "wamp.close.transport_lost")
    );
    assert_eq!(s.pending_requests(), 0);
}

#[test]
fn registered_procedures_receive_invocations_and_yield_once() {
    let mut s = joined();
    let r = s.register("a.b", Dict::new(), 1).unwrap();
    s.handle_message(
        t0(),
        Message::Registered {
            request: r,
            registration: 77,
        },
    )
    .unwrap();
    s.handle_message(
        t0(),
        Message::Invocation {
            request: 5,
            registration: 77,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        ev.last(),
        Some(SessionEvent::Invocation { request: 5, .. })
    ));
    s.yield_result(5, Dict::new(), vec![], Dict::new()).unwrap();
    assert_eq!(
        s.yield_result(5, Dict::new(), vec![], Dict::new()),
        Err(CommandError::NoSuchInvocation(5))
    );
}

#[test]
fn an_invocation_for_an_unknown_registration_is_a_protocol_violation() {
    let mut s = joined();
    assert!(s
        .handle_message(
            t0(),
            Message::Invocation {
                request: 5,
                registration: 1,
                details: Dict::new(),
                args: vec![],
                kwargs: Dict::new(),
            }
        )
        .is_err());
}

#[test]
fn events_for_unknown_subscriptions_are_a_protocol_violation() {
    let mut s = joined();
    assert!(s
        .handle_message(
            t0(),
            Message::Event {
                subscription: 4,
                publication: 1,
                details: Dict::new(),
                args: vec![],
                kwargs: Dict::new(),
            }
        )
        .is_err());
}

#[test]
fn unsubscribe_forgets_the_subscription_once_acknowledged() {
    let mut s = joined();
    let r = s.subscribe("a.b", Dict::new(), 1).unwrap();
    s.handle_message(
        t0(),
        Message::Subscribed {
            request: r,
            subscription: 4,
        },
    )
    .unwrap();
    let u = s.unsubscribe(4, 2).unwrap();
    // Events still in flight before UNSUBSCRIBED are fine.
    s.handle_message(
        t0(),
        Message::Event {
            subscription: 4,
            publication: 1,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new(),
        },
    )
    .unwrap();
    s.handle_message(
        t0(),
        Message::Unsubscribed {
            request: u,
            details: None,
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        ev.last(),
        Some(SessionEvent::Acknowledged {
            waiter: 2,
            id: 4,
            ..
        })
    ));
}

#[test]
fn revocations_are_reported() {
    let mut s = joined();
    let r = s.subscribe("a.b", Dict::new(), 1).unwrap();
    s.handle_message(
        t0(),
        Message::Subscribed {
            request: r,
            subscription: 4,
        },
    )
    .unwrap();
    let mut d = Dict::new();
    d.insert("subscription".into(), Value::Int(4));
    s.handle_message(
        t0(),
        Message::Unsubscribed {
            request: 0,
            details: Some(d),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        ev.last(),
        Some(SessionEvent::SubscriptionRevoked {
            subscription: 4,
            ..
        })
    ));
}

#[test]
fn unacknowledged_publish_expects_no_reply_and_acknowledged_one_does() {
    let mut s = joined();
    s.publish("a.b", Dict::new(), vec![], Dict::new(), None)
        .unwrap();
    assert_eq!(s.pending_requests(), 0);
    let r = s
        .publish("a.b", Dict::new(), vec![], Dict::new(), Some(3))
        .unwrap();
    let (out, _) = drain(&mut s);
    assert!(
        matches!(&out[1], Message::Publish { options, .. } if options.get("acknowledge") == Some(&Value::Bool(true)))
    );
    s.handle_message(
        t0(),
        Message::Published {
            request: r,
            publication: 10,
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(
        &ev[..],
        [SessionEvent::Acknowledged {
            waiter: 3,
            id: 10,
            ..
        }]
    ));
}

#[test]
fn leaving_sends_goodbye_and_ends_on_the_router_reply() {
    let mut s = joined();
    s.call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    s.leave(t0(), close_uri::NORMAL, None).unwrap();
    let (out, _) = drain(&mut s);
    assert!(
        matches!(out.last(), Some(Message::Goodbye { reason, .. }) if reason == close_uri::NORMAL)
    );
    // Everything but GOODBYE is ignored while shutting down.
    s.handle_message(
        t0(),
        Message::Published {
            request: 999,
            publication: 1,
        },
    )
    .unwrap();
    s.handle_message(
        t0(),
        Message::Goodbye {
            details: Dict::new(),
            reason: close_uri::GOODBYE_AND_OUT.into(),
        },
    )
    .unwrap();
    let (out, ev) = drain(&mut s);
    assert!(out.is_empty());
    assert_eq!(lost_waiters(&ev), vec![1]);
    let Some(SessionEvent::Left(d)) = ev.last() else {
        panic!()
    };
    assert!(d.is_clean());
    assert_eq!(d.initiator, CloseInitiator::Client);
}

#[test]
fn goodbye_from_the_router_is_answered_with_goodbye_and_out() {
    let mut s = joined();
    s.handle_message(
        t0(),
        Message::Goodbye {
            details: Dict::new(),
            reason: close_uri::SYSTEM_SHUTDOWN.into(),
        },
    )
    .unwrap();
    let (out, ev) = drain(&mut s);
    assert!(
        matches!(&out[..], [Message::Goodbye { reason, .. }] if reason == close_uri::GOODBYE_AND_OUT)
    );
    assert!(
        matches!(&ev[..], [SessionEvent::Left(d)] if d.reason == close_uri::SYSTEM_SHUTDOWN && !d.is_clean())
    );
}

#[test]
fn a_normal_goodbye_from_the_router_is_a_clean_end() {
    let mut s = joined();
    s.handle_message(
        t0(),
        Message::Goodbye {
            details: Dict::new(),
            reason: close_uri::NORMAL.into(),
        },
    )
    .unwrap();
    let (_, ev) = drain(&mut s);
    assert!(matches!(&ev[..], [SessionEvent::Left(d)] if d.is_clean()));
}

#[test]
fn request_ids_skip_ids_still_pending_after_wrapping() {
    let mut s = joined();
    let first = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 0)
        .unwrap();
    assert_eq!(first, 1);
    s.requests.set_ids(crate::id::IdGenerator::starting_after(
        crate::id::MAX_ID - 1,
    ));
    let a = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    assert_eq!(a, crate::id::MAX_ID);
    let b = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 2)
        .unwrap();
    assert_eq!(b, 2);
}

#[test]
fn a_request_failed_from_outside_gets_the_error_and_its_later_answer_is_ignored_once_sent() {
    let mut s = joined();
    let sent = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 1)
        .unwrap();
    let unsent = s
        .call(t0(), "a.b", Dict::new(), vec![], Dict::new(), 2)
        .unwrap();
    drain(&mut s);
    assert!(s.fail_request(sent, WampError::new("x.refused"), true));
    assert!(s.fail_request(unsent, WampError::new("x.refused"), false));
    assert!(!s.fail_request(unsent, WampError::new("x.refused"), false));
    let (_, ev) = drain(&mut s);
    let failed: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            SessionEvent::CallFailed {
                waiter,
                failure: CallFailure::Error(e),
                ..
            } if e.uri == "x.refused" => Some(*waiter),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![1, 2]);
    assert_eq!(s.pending_requests(), 0);
    // The router still answers the one it got: ignored, not a protocol violation.
    let answer = Message::Result {
        request: sent,
        details: Dict::new(),
        args: vec![],
        kwargs: Dict::new(),
    };
    s.handle_message(t0(), answer).unwrap();
    assert!(drain(&mut s).1.is_empty());
}
