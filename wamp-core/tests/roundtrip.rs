//! Every message survives encode-then-decode on every serializer, and the wire bytes are the ones
//! the spec and other implementations expect.

use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{by_name, Cbor, Json, MsgPack, Serializer};
use wamp_core::value::{Dict, Value, MAX_DEPTH};

/// The bytes of the spec's binary-in-JSON example.
const EXAMPLE_BYTES: [u8; 16] = [
    0x10, 0xe3, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52, 0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3, 0x7c, 0xdb,
];

fn serializers() -> Vec<Box<dyn Serializer>> {
    vec![Box::new(Json), Box::new(MsgPack), Box::new(Cbor)]
}

fn dict(entries: &[(&str, Value)]) -> Dict {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn nested() -> Value {
    Value::List(vec![
        Value::Dict(dict(&[
            ("list", Value::List(vec![Value::Null, Value::Bool(false)])),
            ("dict", Value::Dict(dict(&[("x", Value::Float(-1.5))]))),
            ("empty", Value::Dict(Dict::new())),
        ])),
        Value::List(vec![Value::List(vec![Value::List(vec![Value::Int(-7)])])]),
        Value::String("ünïcødé ✓".into()),
    ])
}

/// Payloads: none, args only, kwargs only, both, binary, nested, big integers.
fn payloads() -> Vec<(Vec<Value>, Dict)> {
    let kwargs = dict(&[("a", Value::Int(1)), ("b", Value::String("two".into()))]);
    vec![
        (vec![], Dict::new()),
        (vec![Value::Int(1), Value::String("x".into())], Dict::new()),
        (vec![], kwargs.clone()),
        (vec![Value::Bool(true)], kwargs),
        (
            vec![Value::Bytes(EXAMPLE_BYTES.to_vec()), Value::Bytes(vec![])],
            dict(&[("blob", Value::Bytes(vec![0, 1, 2, 255]))]),
        ),
        (vec![nested()], dict(&[("deep", nested())])),
        (
            vec![
                Value::UInt(u64::MAX),
                Value::UInt(i64::MAX as u64 + 1),
                Value::Int(i64::MIN),
                Value::Int(i64::MAX),
                Value::Float(0.1),
                Value::Float(1e300),
            ],
            Dict::new(),
        ),
        (vec![Value::Null], Dict::new()),
    ]
}

fn details() -> Dict {
    dict(&[
        (
            "roles",
            Value::Dict(dict(&[("caller", Value::Dict(Dict::new()))])),
        ),
        ("agent", Value::String("wamp-rs-0.1".into())),
    ])
}

/// Every one of the 24 messages, payload-bearing ones once per payload.
fn all_messages() -> Vec<Message> {
    let max = 1u64 << 53;
    let mut msgs = vec![
        Message::Hello {
            realm: "realm1".into(),
            details: details(),
        },
        Message::Welcome {
            session: max,
            details: details(),
        },
        Message::Abort {
            details: dict(&[("message", Value::String("no".into()))]),
            reason: "wamp.error.no_such_realm".into(),
        },
        Message::Challenge {
            method: "ticket".into(),
            extra: Dict::new(),
        },
        Message::Authenticate {
            signature: "secret!!".into(),
            extra: Dict::new(),
        },
        Message::Goodbye {
            details: Dict::new(),
            reason: "wamp.close.normal".into(),
        },
        Message::Published {
            request: 1,
            publication: max,
        },
        Message::Subscribe {
            request: 2,
            options: dict(&[("match", Value::String("prefix".into()))]),
            topic: "com.myapp.".into(),
        },
        Message::Subscribed {
            request: 2,
            subscription: 77,
        },
        Message::Unsubscribe {
            request: 3,
            subscription: 77,
        },
        Message::Unsubscribed {
            request: 3,
            details: None,
        },
        Message::Unsubscribed {
            request: 0,
            details: Some(dict(&[
                ("subscription", Value::Int(77)),
                ("reason", Value::String("gone".into())),
            ])),
        },
        Message::Cancel {
            request: 4,
            options: dict(&[("mode", Value::String("kill".into()))]),
        },
        Message::Register {
            request: 5,
            options: Dict::new(),
            procedure: "com.myapp.add2".into(),
        },
        Message::Registered {
            request: 5,
            registration: 99,
        },
        Message::Unregister {
            request: 6,
            registration: 99,
        },
        Message::Unregistered {
            request: 6,
            details: None,
        },
        Message::Unregistered {
            request: 0,
            details: Some(dict(&[("registration", Value::Int(99))])),
        },
        Message::Interrupt {
            request: 7,
            options: dict(&[("mode", Value::String("killnowait".into()))]),
        },
    ];
    for (args, kwargs) in payloads() {
        for request_type in [
            RequestType::Publish,
            RequestType::Subscribe,
            RequestType::Unsubscribe,
            RequestType::Call,
            RequestType::Register,
            RequestType::Unregister,
            RequestType::Invocation,
        ] {
            msgs.push(Message::Error {
                request_type,
                request: 8,
                details: Dict::new(),
                error: "wamp.error.invalid_argument".into(),
                args: args.clone(),
                kwargs: kwargs.clone(),
            });
        }
        msgs.push(Message::Publish {
            request: 9,
            options: dict(&[("acknowledge", Value::Bool(true))]),
            topic: "com.myapp.topic1".into(),
            args: args.clone(),
            kwargs: kwargs.clone(),
        });
        msgs.push(Message::Event {
            subscription: 77,
            publication: max,
            details: Dict::new(),
            args: args.clone(),
            kwargs: kwargs.clone(),
        });
        msgs.push(Message::Call {
            request: 10,
            options: dict(&[("timeout", Value::Int(1000))]),
            procedure: "com.myapp.add2".into(),
            args: args.clone(),
            kwargs: kwargs.clone(),
        });
        msgs.push(Message::Result {
            request: 10,
            details: dict(&[("progress", Value::Bool(true))]),
            args: args.clone(),
            kwargs: kwargs.clone(),
        });
        msgs.push(Message::Invocation {
            request: 11,
            registration: 99,
            details: Dict::new(),
            args: args.clone(),
            kwargs: kwargs.clone(),
        });
        msgs.push(Message::Yield {
            request: 11,
            options: Dict::new(),
            args,
            kwargs,
        });
    }
    msgs
}

fn encode(ser: &dyn Serializer, msg: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    ser.encode(msg, &mut out)
        .unwrap_or_else(|e| panic!("{} cannot encode {msg:?}: {e}", ser.name()));
    out
}

fn json(msg: &Message) -> String {
    String::from_utf8(encode(&Json, msg)).unwrap()
}

fn call(args: Vec<Value>, kwargs: Dict) -> Message {
    Message::Call {
        request: 1,
        options: Dict::new(),
        procedure: "com.x".into(),
        args,
        kwargs,
    }
}

#[test]
fn every_message_round_trips_through_every_serializer() {
    let msgs = all_messages();
    let codes: std::collections::BTreeSet<u64> = msgs.iter().map(Message::code).collect();
    assert_eq!(codes.len(), 24, "all 24 message types are covered");
    for ser in serializers() {
        for msg in &msgs {
            let bytes = encode(ser.as_ref(), msg);
            let back = ser
                .decode(&bytes)
                .unwrap_or_else(|e| panic!("{} cannot decode its own {msg:?}: {e}", ser.name()));
            assert_eq!(&back, msg, "{}", ser.name());
        }
    }
}

#[test]
fn every_message_round_trips_through_its_value_list() {
    for msg in all_messages() {
        assert_eq!(Message::from_value(msg.to_value()).as_ref(), Ok(&msg));
    }
}

#[test]
fn encoding_appends_to_the_output_buffer() {
    let msg = Message::Published {
        request: 1,
        publication: 2,
    };
    for ser in serializers() {
        let mut out = b"prefix".to_vec();
        ser.encode(&msg, &mut out).unwrap();
        assert!(out.starts_with(b"prefix"));
        assert_eq!(ser.decode(&out[6..]).unwrap(), msg);
    }
}

#[test]
fn json_call_with_args_is_the_expected_text() {
    assert_eq!(
        json(&call(vec![1.into(), 2.into()], Dict::new())),
        r#"[48,1,{},"com.x",[1,2]]"#
    );
}

#[test]
fn json_call_without_payload_stops_after_the_procedure() {
    assert_eq!(json(&call(vec![], Dict::new())), r#"[48,1,{},"com.x"]"#);
}

#[test]
fn json_kwargs_without_args_are_sent_after_an_empty_list() {
    let kwargs = dict(&[("a", 1.into())]);
    assert_eq!(
        json(&call(vec![], kwargs)),
        r#"[48,1,{},"com.x",[],{"a":1}]"#
    );
}

#[test]
fn json_binary_is_a_nul_prefixed_base64_string() {
    let msg = call(vec![Value::Bytes(EXAMPLE_BYTES.to_vec())], Dict::new());
    let text = r#"[48,1,{},"com.x",["\u0000EOP/kFMHXFJvX8BtT+N82w=="]]"#;
    assert_eq!(json(&msg), text);
    assert_eq!(Json.decode(text.as_bytes()).unwrap(), msg);
}

#[test]
fn json_binary_inside_kwargs_and_nested_lists_is_decoded() {
    let text = r#"[50,1,{},[[["\u0000AA=="]]],{"k":"\u0000AQID"}]"#;
    let msg = Json.decode(text.as_bytes()).unwrap();
    assert_eq!(
        msg,
        Message::Result {
            request: 1,
            details: Dict::new(),
            args: vec![Value::List(vec![Value::List(vec![Value::Bytes(vec![0])])])],
            kwargs: dict(&[("k", Value::Bytes(vec![1, 2, 3]))]),
        }
    );
}

#[test]
fn json_empty_binary_is_a_lone_nul() {
    let msg = call(vec![Value::Bytes(vec![])], Dict::new());
    assert_eq!(json(&msg), r#"[48,1,{},"com.x",["\u0000"]]"#);
    assert_eq!(Json.decode(json(&msg).as_bytes()).unwrap(), msg);
}

#[test]
fn json_integers_above_i64_max_keep_their_value() {
    let msg = call(vec![Value::UInt(u64::MAX)], Dict::new());
    let text = r#"[48,1,{},"com.x",[18446744073709551615]]"#;
    assert_eq!(json(&msg), text);
    assert_eq!(Json.decode(text.as_bytes()).unwrap(), msg);
}

#[test]
fn json_revocation_unsubscribed_carries_request_zero() {
    let text = r#"[35,0,{"subscription":5}]"#;
    let msg = Message::Unsubscribed {
        request: 0,
        details: Some(dict(&[("subscription", 5.into())])),
    };
    assert_eq!(Json.decode(text.as_bytes()).unwrap(), msg);
    assert_eq!(json(&msg), text);
    assert_eq!(
        json(&Message::Unregistered {
            request: 4,
            details: None
        }),
        "[67,4]"
    );
}

#[test]
fn json_error_message_has_the_request_type_code() {
    let msg = Message::Error {
        request_type: RequestType::Call,
        request: 3,
        details: Dict::new(),
        error: "wamp.error.canceled".into(),
        args: vec![],
        kwargs: Dict::new(),
    };
    assert_eq!(json(&msg), r#"[8,48,3,{},"wamp.error.canceled"]"#);
}

#[test]
fn decoding_accepts_explicit_empty_payloads() {
    let msg = Json.decode(br#"[50,7,{},[],{}]"#).unwrap();
    assert_eq!(
        msg,
        Message::Result {
            request: 7,
            details: Dict::new(),
            args: vec![],
            kwargs: Dict::new()
        }
    );
    assert_eq!(Json.decode(br#"[50,7,{},[]]"#).unwrap(), msg);
    assert_eq!(Json.decode(br#"[50,7,{}]"#).unwrap(), msg);
    assert_eq!(Json.decode(br#"[50,7,{},null,null]"#).unwrap(), msg);
}

#[test]
fn decoding_keeps_a_single_null_argument() {
    let msg = Json.decode(br#"[50,7,{},[null]]"#).unwrap();
    assert_eq!(
        msg,
        Message::Result {
            request: 7,
            details: Dict::new(),
            args: vec![Value::Null],
            kwargs: Dict::new()
        }
    );
}

#[test]
fn decoding_accepts_null_args_before_kwargs() {
    let msg = Json.decode(br#"[70,7,{},null,{"a":1}]"#).unwrap();
    assert_eq!(
        msg,
        Message::Yield {
            request: 7,
            options: Dict::new(),
            args: vec![],
            kwargs: dict(&[("a", 1.into())])
        }
    );
}

#[test]
fn abort_is_never_sent_with_a_payload_but_accepted_with_one() {
    let msg = Message::Abort {
        details: Dict::new(),
        reason: "wamp.error.no_such_realm".into(),
    };
    assert_eq!(json(&msg), r#"[3,{},"wamp.error.no_such_realm"]"#);
    assert_eq!(
        Json.decode(br#"[3,{},"wamp.error.no_such_realm",["why"],{"k":1}]"#)
            .unwrap(),
        msg
    );
}

#[test]
fn msgpack_published_is_the_expected_bytes() {
    let msg = Message::Published {
        request: 1,
        publication: 42,
    };
    assert_eq!(encode(&MsgPack, &msg), [0x93, 0x11, 0x01, 0x2a]);
}

#[test]
fn msgpack_writes_bytes_as_bin_and_strings_as_str() {
    let msg = Message::Result {
        request: 1,
        details: Dict::new(),
        args: vec![Value::Bytes(vec![0xab]), Value::String("s".into())],
        kwargs: Dict::new(),
    };
    // [50, 1, {}, [bin8(1) ab, fixstr(1) "s"]]
    assert_eq!(
        encode(&MsgPack, &msg),
        [0x94, 0x32, 0x01, 0x80, 0x92, 0xc4, 0x01, 0xab, 0xa1, b's']
    );
}

#[test]
fn msgpack_u64_above_i64_max_is_a_uint64() {
    let msg = Message::Result {
        request: 1,
        details: Dict::new(),
        args: vec![Value::UInt(u64::MAX)],
        kwargs: Dict::new(),
    };
    let bytes = encode(&MsgPack, &msg);
    assert_eq!(
        &bytes[4..],
        [0x91, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
}

#[test]
fn cbor_writes_bytes_as_byte_strings_and_strings_as_text() {
    let msg = Message::Result {
        request: 1,
        details: Dict::new(),
        args: vec![Value::Bytes(vec![0xab]), Value::String("s".into())],
        kwargs: Dict::new(),
    };
    // [50, 1, {}, [h'ab', "s"]]
    assert_eq!(
        encode(&Cbor, &msg),
        [0x84, 0x18, 0x32, 0x01, 0xa0, 0x82, 0x41, 0xab, 0x61, b's']
    );
}

#[test]
fn cbor_tags_are_unwrapped() {
    // [17, 1, tag(1) 42]
    let bytes = [0x83, 0x11, 0x01, 0xc1, 0x18, 0x2a];
    assert_eq!(
        Cbor.decode(&bytes).unwrap(),
        Message::Published {
            request: 1,
            publication: 42
        }
    );
}

#[test]
fn cbor_indefinite_length_containers_are_accepted() {
    // [_ 17, 1, 42]
    let bytes = [0x9f, 0x11, 0x01, 0x18, 0x2a, 0xff];
    assert_eq!(
        Cbor.decode(&bytes).unwrap(),
        Message::Published {
            request: 1,
            publication: 42
        }
    );
}

#[test]
fn cbor_half_and_single_floats_decode_as_floats() {
    // [50, 1, {}, [f16 1.5, f32 0.25]]
    let bytes = [
        0x84, 0x18, 0x32, 0x01, 0xa0, 0x82, 0xf9, 0x3e, 0x00, 0xfa, 0x3e, 0x80, 0x00, 0x00,
    ];
    let msg = Cbor.decode(&bytes).unwrap();
    assert_eq!(
        msg,
        Message::Result {
            request: 1,
            details: Dict::new(),
            args: vec![Value::Float(1.5), Value::Float(0.25)],
            kwargs: Dict::new()
        }
    );
}

#[test]
fn nesting_up_to_the_depth_limit_is_accepted_on_every_serializer() {
    // The message list is level 1 and the args list level 2.
    let mut v = Value::Int(1);
    for _ in 0..MAX_DEPTH - 2 {
        v = Value::List(vec![v]);
    }
    let msg = call(vec![v], Dict::new());
    for ser in serializers() {
        let bytes = encode(ser.as_ref(), &msg);
        assert_eq!(ser.decode(&bytes).unwrap(), msg, "{}", ser.name());
    }
}

#[test]
fn nan_round_trips_on_binary_serializers() {
    let msg = call(vec![Value::Float(f64::NAN)], Dict::new());
    for ser in [&MsgPack as &dyn Serializer, &Cbor] {
        let back = ser.decode(&encode(ser, &msg)).unwrap();
        let Message::Call { args, .. } = back else {
            panic!("not a call")
        };
        assert!(matches!(args.as_slice(), [Value::Float(f)] if f.is_nan()));
    }
}

#[test]
fn json_refuses_to_encode_values_it_cannot_represent() {
    for bad in [
        Value::Float(f64::NAN),
        Value::Float(f64::INFINITY),
        Value::Float(f64::NEG_INFINITY),
        Value::String("\0looks like binary".into()),
    ] {
        let msg = call(vec![bad.clone()], Dict::new());
        let mut out = b"kept".to_vec();
        assert!(Json.encode(&msg, &mut out).is_err(), "{bad:?}");
        assert_eq!(out, b"kept", "a failed encode leaves the buffer as it was");
    }
}

#[test]
fn serializers_announce_their_names_subprotocols_and_ids() {
    let table = [
        ("json", "wamp.2.json", 1, false),
        ("msgpack", "wamp.2.msgpack", 2, true),
        ("cbor", "wamp.2.cbor", 3, true),
    ];
    for (name, subprotocol, id, binary) in table {
        let ser = by_name(name).unwrap();
        assert_eq!(ser.name(), name);
        assert_eq!(ser.subprotocol(), subprotocol);
        assert_eq!(ser.rawsocket_id(), id);
        assert_eq!(ser.is_binary(), binary);
    }
}

#[test]
fn message_serialize_impl_writes_the_wire_list() {
    let msg = call(vec![Value::Bytes(vec![1])], dict(&[("k", Value::Null)]));
    // Through serde directly (bytes via serialize_bytes) equals the Value list form.
    let direct = rmp_serde::to_vec(&msg).unwrap();
    let via_value = rmp_serde::to_vec(&msg.to_value()).unwrap();
    assert_eq!(direct, via_value);
}
