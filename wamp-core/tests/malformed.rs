//! A corpus of malformed frames: each one is rejected with a specific `ProtocolError`, and none
//! makes a decoder panic or overflow the stack.

use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};
use wamp_core::value::{Dict, Value, MAX_DEPTH};
use wamp_core::ProtocolError;

/// The kind of error a frame must produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Malformed,
    TooDeep,
    NotAMessage,
    UnknownCode,
    WrongLength,
    WrongType,
    IdOutOfRange,
}

fn kind(e: &ProtocolError) -> Option<Kind> {
    Some(match e {
        ProtocolError::Malformed { .. } => Kind::Malformed,
        ProtocolError::TooDeep(_) => Kind::TooDeep,
        ProtocolError::NotAMessage => Kind::NotAMessage,
        ProtocolError::UnknownCode(_) => Kind::UnknownCode,
        ProtocolError::WrongLength { .. } => Kind::WrongLength,
        ProtocolError::WrongType { .. } => Kind::WrongType,
        ProtocolError::IdOutOfRange { .. } => Kind::IdOutOfRange,
        _ => return None,
    })
}

fn serializers() -> [&'static dyn Serializer; 3] {
    [&Json, &MsgPack, &Cbor]
}

/// The frame of a value in a format (binary values, if any, as native binary or WAMP JSON).
fn frame(ser: &dyn Serializer, v: &Value) -> Vec<u8> {
    match ser.name() {
        "json" => serde_json::to_vec(v).unwrap(),
        "msgpack" => rmp_serde::to_vec(v).unwrap(),
        "cbor" => {
            let mut out = Vec::new();
            ciborium::ser::into_writer(v, &mut out).unwrap();
            out
        }
        other => panic!("unknown serializer {other}"),
    }
}

fn assert_rejected(ser: &dyn Serializer, bytes: &[u8], expected: Kind, case: &str) {
    match ser.decode(bytes) {
        Ok(msg) => panic!("{} accepted {case}: {msg:?}", ser.name()),
        Err(e) => assert_eq!(
            kind(&e),
            Some(expected),
            "{} rejected {case} with the wrong error: {e}",
            ser.name()
        ),
    }
}

fn l(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn d() -> Value {
    Value::Dict(Dict::new())
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

/// Structurally wrong messages, checked on every serializer.
fn structural_cases() -> Vec<(&'static str, Value, Kind)> {
    let two_53 = 1i64 << 53;
    vec![
        ("an empty list", l(vec![]), Kind::NotAMessage),
        ("a dict", d(), Kind::NotAMessage),
        ("a bare integer", i(17), Kind::NotAMessage),
        (
            "a string code",
            l(vec![s("17"), i(1), i(2)]),
            Kind::NotAMessage,
        ),
        ("a negative code", l(vec![i(-1), i(1)]), Kind::NotAMessage),
        (
            "a float code",
            l(vec![Value::Float(17.0), i(1), i(2)]),
            Kind::NotAMessage,
        ),
        (
            "a boolean code",
            l(vec![Value::Bool(true), d(), d()]),
            Kind::NotAMessage,
        ),
        ("unknown code 7", l(vec![i(7), i(1)]), Kind::UnknownCode),
        ("unknown code 337", l(vec![i(337), i(1)]), Kind::UnknownCode),
        (
            "unknown huge code",
            l(vec![Value::UInt(u64::MAX)]),
            Kind::UnknownCode,
        ),
        (
            "HELLO with 2 elements",
            l(vec![i(1), s("realm1")]),
            Kind::WrongLength,
        ),
        (
            "HELLO with 4 elements",
            l(vec![i(1), s("realm1"), d(), l(vec![])]),
            Kind::WrongLength,
        ),
        (
            "HELLO with a null realm",
            l(vec![i(1), Value::Null, d()]),
            Kind::WrongType,
        ),
        (
            "HELLO with an integer realm",
            l(vec![i(1), i(5), d()]),
            Kind::WrongType,
        ),
        (
            "HELLO with list details",
            l(vec![i(1), s("realm1"), l(vec![])]),
            Kind::WrongType,
        ),
        (
            "WELCOME with id 0",
            l(vec![i(2), i(0), d()]),
            Kind::IdOutOfRange,
        ),
        (
            "WELCOME with id 2^53+1",
            l(vec![i(2), i(two_53 + 1), d()]),
            Kind::IdOutOfRange,
        ),
        (
            "WELCOME with a negative id",
            l(vec![i(2), i(-5), d()]),
            Kind::IdOutOfRange,
        ),
        (
            "WELCOME with id u64::MAX",
            l(vec![i(2), Value::UInt(u64::MAX), d()]),
            Kind::IdOutOfRange,
        ),
        (
            "WELCOME with a float id",
            l(vec![i(2), Value::Float(5.0), d()]),
            Kind::WrongType,
        ),
        (
            "WELCOME with a boolean id",
            l(vec![i(2), Value::Bool(true), d()]),
            Kind::WrongType,
        ),
        (
            "WELCOME with a string id",
            l(vec![i(2), s("5"), d()]),
            Kind::WrongType,
        ),
        (
            "ABORT with 6 elements",
            l(vec![i(3), d(), s("r"), l(vec![]), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "ABORT with a dict reason",
            l(vec![i(3), d(), d()]),
            Kind::WrongType,
        ),
        (
            "GOODBYE with a payload",
            l(vec![i(6), d(), s("wamp.close.normal"), l(vec![])]),
            Kind::WrongLength,
        ),
        (
            "CHALLENGE with a null method",
            l(vec![i(4), Value::Null, d()]),
            Kind::WrongType,
        ),
        (
            "AUTHENTICATE with 2 elements",
            l(vec![i(5), s("sig")]),
            Kind::WrongLength,
        ),
        (
            "ERROR with request type 17",
            l(vec![i(8), i(17), i(1), d(), s("e")]),
            Kind::WrongType,
        ),
        (
            "ERROR with request type 0",
            l(vec![i(8), i(0), i(1), d(), s("e")]),
            Kind::WrongType,
        ),
        (
            "ERROR with a string request type",
            l(vec![i(8), s("48"), i(1), d(), s("e")]),
            Kind::WrongType,
        ),
        (
            "ERROR with 4 elements",
            l(vec![i(8), i(48), i(1), d()]),
            Kind::WrongLength,
        ),
        (
            "ERROR with 8 elements",
            l(vec![i(8), i(48), i(1), d(), s("e"), l(vec![]), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "PUBLISH with a list topic",
            l(vec![i(16), i(1), d(), l(vec![])]),
            Kind::WrongType,
        ),
        (
            "PUBLISH with dict args",
            l(vec![i(16), i(1), d(), s("t"), d()]),
            Kind::WrongType,
        ),
        (
            "PUBLISH with list kwargs",
            l(vec![i(16), i(1), d(), s("t"), l(vec![]), l(vec![])]),
            Kind::WrongType,
        ),
        (
            "PUBLISH with string args",
            l(vec![i(16), i(1), d(), s("t"), s("a")]),
            Kind::WrongType,
        ),
        (
            "PUBLISHED with 4 elements",
            l(vec![i(17), i(1), i(2), i(3)]),
            Kind::WrongLength,
        ),
        (
            "SUBSCRIBE with 5 elements",
            l(vec![i(32), i(1), d(), s("t"), l(vec![])]),
            Kind::WrongLength,
        ),
        (
            "SUBSCRIBE with null options",
            l(vec![i(32), i(1), Value::Null, s("t")]),
            Kind::WrongType,
        ),
        (
            "SUBSCRIBED with subscription 0",
            l(vec![i(33), i(1), i(0)]),
            Kind::IdOutOfRange,
        ),
        (
            "UNSUBSCRIBE with 2 elements",
            l(vec![i(34), i(1)]),
            Kind::WrongLength,
        ),
        (
            "UNSUBSCRIBED with request 0 alone",
            l(vec![i(35), i(0)]),
            Kind::IdOutOfRange,
        ),
        (
            "UNSUBSCRIBED revocation with list details",
            l(vec![i(35), i(0), l(vec![])]),
            Kind::WrongType,
        ),
        (
            "UNSUBSCRIBED with 4 elements",
            l(vec![i(35), i(0), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "UNSUBSCRIBED with 1 element",
            l(vec![i(35)]),
            Kind::WrongLength,
        ),
        (
            "EVENT with publication 2^53+1",
            l(vec![i(36), i(1), i(two_53 + 1), d()]),
            Kind::IdOutOfRange,
        ),
        (
            "CALL with 3 elements",
            l(vec![i(48), i(1), d()]),
            Kind::WrongLength,
        ),
        (
            "CALL with 7 elements",
            l(vec![i(48), i(1), d(), s("p"), l(vec![]), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "CALL with a null procedure",
            l(vec![i(48), i(1), d(), Value::Null]),
            Kind::WrongType,
        ),
        (
            "CALL with a boolean request",
            l(vec![i(48), Value::Bool(false), d(), s("p")]),
            Kind::WrongType,
        ),
        (
            "CANCEL with a payload",
            l(vec![i(49), i(1), d(), l(vec![])]),
            Kind::WrongLength,
        ),
        (
            "RESULT with 6 elements",
            l(vec![i(50), i(1), d(), l(vec![]), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "RESULT with integer kwargs",
            l(vec![i(50), i(1), d(), l(vec![]), i(1)]),
            Kind::WrongType,
        ),
        (
            "REGISTER with 3 elements",
            l(vec![i(64), i(1), d()]),
            Kind::WrongLength,
        ),
        (
            "REGISTERED with a negative registration",
            l(vec![i(65), i(1), i(-1)]),
            Kind::IdOutOfRange,
        ),
        (
            "UNREGISTER with a float registration",
            l(vec![i(66), i(1), Value::Float(1.5)]),
            Kind::WrongType,
        ),
        (
            "UNREGISTERED with 2^53+1",
            l(vec![i(67), i(two_53 + 1)]),
            Kind::IdOutOfRange,
        ),
        (
            "INVOCATION with null details",
            l(vec![i(68), i(1), i(2), Value::Null]),
            Kind::WrongType,
        ),
        (
            "INTERRUPT with 4 elements",
            l(vec![i(69), i(1), d(), d()]),
            Kind::WrongLength,
        ),
        (
            "YIELD with a string request",
            l(vec![i(70), s("1"), d()]),
            Kind::WrongType,
        ),
    ]
}

#[test]
fn structurally_wrong_messages_are_rejected_on_every_serializer() {
    let cases = structural_cases();
    assert!(cases.len() >= 40);
    for ser in serializers() {
        for (case, value, expected) in &cases {
            assert_rejected(ser, &frame(ser, value), *expected, case);
        }
    }
}

#[test]
fn id_above_two_to_the_53_is_rejected() {
    for ser in serializers() {
        let v = l(vec![i(17), i(1), i((1 << 53) + 1)]);
        assert_rejected(
            ser,
            &frame(ser, &v),
            Kind::IdOutOfRange,
            "publication 2^53+1",
        );
        let v = l(vec![i(17), i(1), i(1 << 53)]);
        assert!(ser.decode(&frame(ser, &v)).is_ok(), "2^53 itself is an id");
    }
}

#[test]
fn empty_input_is_malformed_on_every_serializer() {
    for ser in serializers() {
        assert_rejected(ser, b"", Kind::Malformed, "empty input");
    }
}

#[test]
fn trailing_garbage_after_the_message_is_malformed() {
    let v = l(vec![i(17), i(1), i(2)]);
    for ser in serializers() {
        let mut bytes = frame(ser, &v);
        bytes.push(0x01);
        assert_rejected(ser, &bytes, Kind::Malformed, "one trailing byte");
        let mut two = frame(ser, &v);
        two.extend(frame(ser, &v));
        assert_rejected(ser, &two, Kind::Malformed, "two messages in one frame");
    }
    assert_rejected(&Json, b"[17,1,2] x", Kind::Malformed, "trailing text");
    assert!(
        Json.decode(b" [17,1,2] \n").is_ok(),
        "whitespace is not garbage"
    );
}

#[test]
fn truncated_frames_are_malformed() {
    let v = l(vec![
        i(48),
        i(1),
        d(),
        s("com.example.add2"),
        l(vec![i(1), i(2)]),
    ]);
    for ser in serializers() {
        let bytes = frame(ser, &v);
        for cut in 1..bytes.len() {
            assert_rejected(
                ser,
                &bytes[..cut],
                Kind::Malformed,
                &format!("cut at {cut}"),
            );
        }
    }
}

#[test]
fn invalid_utf8_is_malformed_on_every_serializer() {
    // JSON: [48,1,{},"\xff"]
    assert_rejected(
        &Json,
        b"[48,1,{},\"\xff\"]",
        Kind::Malformed,
        "json invalid utf-8",
    );
    // MessagePack: [48, 1, {}, str(1) ff]
    assert_rejected(
        &MsgPack,
        &[0x94, 0x30, 0x01, 0x80, 0xa1, 0xff],
        Kind::Malformed,
        "msgpack str with invalid utf-8",
    );
    // MessagePack: an invalid UTF-8 map key.
    assert_rejected(
        &MsgPack,
        &[0x93, 0x01, 0xa1, b'r', 0x81, 0xa1, 0xfe, 0x01],
        Kind::Malformed,
        "msgpack key with invalid utf-8",
    );
    // CBOR: [48, 1, {}, text(1) ff]
    assert_rejected(
        &Cbor,
        &[0x84, 0x18, 0x30, 0x01, 0xa0, 0x61, 0xff],
        Kind::Malformed,
        "cbor text with invalid utf-8",
    );
    // CBOR: a long text string (past the decoder's scratch buffer) ending in invalid UTF-8.
    let mut long = vec![0x84, 0x18, 0x30, 0x01, 0xa0, 0x79, 0x20, 0x00];
    long.extend(std::iter::repeat_n(b'a', 0x2000 - 1));
    long.push(0xff);
    assert_rejected(
        &Cbor,
        &long,
        Kind::Malformed,
        "long cbor text with invalid utf-8",
    );
}

#[test]
fn non_string_map_keys_are_malformed() {
    // MessagePack: [1, "realm1", {1: 2}]
    assert_rejected(
        &MsgPack,
        &[
            0x93, 0x01, 0xa6, b'r', b'e', b'a', b'l', b'm', b'1', 0x81, 0x01, 0x02,
        ],
        Kind::Malformed,
        "msgpack integer key",
    );
    // MessagePack: a bin key.
    assert_rejected(
        &MsgPack,
        &[0x93, 0x01, 0xa1, b'r', 0x81, 0xc4, 0x01, b'k', 0x02],
        Kind::Malformed,
        "msgpack bin key",
    );
    // MessagePack: a list key, deeply nested so recursion would show.
    let mut list_key = vec![0x93, 0x01, 0xa1, b'r', 0x81];
    list_key.extend(std::iter::repeat_n(0x91, 100_000));
    assert_rejected(&MsgPack, &list_key, Kind::Malformed, "msgpack list key");
    // CBOR: [1, "realm1", {1: 2}]
    assert_rejected(
        &Cbor,
        &[
            0x83, 0x01, 0x66, b'r', b'e', b'a', b'l', b'm', b'1', 0xa1, 0x01, 0x02,
        ],
        Kind::Malformed,
        "cbor integer key",
    );
    // CBOR: a byte-string key.
    assert_rejected(
        &Cbor,
        &[0x83, 0x01, 0x61, b'r', 0xa1, 0x41, b'k', 0x02],
        Kind::Malformed,
        "cbor byte-string key",
    );
    // CBOR: an array key.
    assert_rejected(
        &Cbor,
        &[0x83, 0x01, 0x61, b'r', 0xa1, 0x80, 0x02],
        Kind::Malformed,
        "cbor array key",
    );
}

#[test]
fn nesting_a_hundred_thousand_levels_deep_is_too_deep_on_every_serializer() {
    const N: usize = 100_000;
    let json = "[".repeat(N) + &"]".repeat(N);
    assert_rejected(&Json, json.as_bytes(), Kind::TooDeep, "json deep lists");
    let json_open = "[".repeat(N);
    assert_rejected(
        &Json,
        json_open.as_bytes(),
        Kind::TooDeep,
        "json unterminated deep lists",
    );
    let json_maps = r#"{"a":"#.repeat(N) + &"}".repeat(N);
    assert_rejected(
        &Json,
        json_maps.as_bytes(),
        Kind::TooDeep,
        "json deep dicts",
    );

    let mut msgpack = vec![0x91; N];
    msgpack.push(0x90);
    assert_rejected(&MsgPack, &msgpack, Kind::TooDeep, "msgpack deep lists");
    let mut msgpack_maps: Vec<u8> = [0x81, 0xa1, b'a'].repeat(N);
    msgpack_maps.push(0x80);
    assert_rejected(&MsgPack, &msgpack_maps, Kind::TooDeep, "msgpack deep maps");

    let mut cbor = vec![0x81; N];
    cbor.push(0x80);
    assert_rejected(&Cbor, &cbor, Kind::TooDeep, "cbor deep lists");
    let mut cbor_indefinite = vec![0x9f; N];
    cbor_indefinite.push(0x80);
    assert_rejected(
        &Cbor,
        &cbor_indefinite,
        Kind::TooDeep,
        "cbor deep indefinite lists",
    );
    let mut cbor_maps: Vec<u8> = [0xa1, 0x61, b'a'].repeat(N);
    cbor_maps.push(0xa0);
    assert_rejected(&Cbor, &cbor_maps, Kind::TooDeep, "cbor deep maps");
    let mut cbor_tags = vec![0x83, 0x11, 0x01];
    cbor_tags.extend(std::iter::repeat_n(0xc6, N));
    cbor_tags.push(0x01);
    assert_rejected(&Cbor, &cbor_tags, Kind::TooDeep, "cbor deep tags");
}

#[test]
fn one_level_past_the_depth_limit_is_too_deep_on_every_serializer() {
    // The message list is level 1, the args list level 2.
    let mut v = i(1);
    for _ in 0..MAX_DEPTH - 1 {
        v = l(vec![v]);
    }
    let msg = l(vec![i(48), i(1), d(), s("p"), l(vec![v])]);
    for ser in serializers() {
        assert_rejected(
            ser,
            &frame(ser, &msg),
            Kind::TooDeep,
            "MAX_DEPTH + 1 levels",
        );
    }
}

#[test]
fn bad_base64_after_nul_in_json_is_malformed() {
    for text in [
        r#"[48,1,{},"p",["\u0000not base64!"]]"#,
        r#"[48,1,{},"p",["\u0000AQI"]]"#,
        r#"[48,1,{},"p",[],{"k":"\u0000A"}]"#,
        r#"[1,"\u0000@@",{}]"#,
    ] {
        assert_rejected(&Json, text.as_bytes(), Kind::Malformed, text);
    }
}

#[test]
fn binary_where_a_string_belongs_is_the_wrong_type() {
    assert_rejected(
        &Json,
        br#"[48,1,{},"\u0000AQI="]"#,
        Kind::WrongType,
        "json binary procedure",
    );
    let v = l(vec![i(48), i(1), d(), Value::Bytes(b"com.x".to_vec())]);
    assert_rejected(
        &MsgPack,
        &frame(&MsgPack, &v),
        Kind::WrongType,
        "msgpack bin procedure",
    );
    assert_rejected(
        &Cbor,
        &frame(&Cbor, &v),
        Kind::WrongType,
        "cbor bytes procedure",
    );
}

#[test]
fn json_syntax_errors_are_malformed() {
    for text in [
        "",
        "[",
        "[17,1,2",
        "[17,1,2,]",
        "{\"a\":1",
        "[17 1 2]",
        "[17,1,NaN]",
        "[17,1,'2']",
        "nul",
        "\u{feff}[17,1,2]",
    ] {
        assert_rejected(&Json, text.as_bytes(), Kind::Malformed, text);
    }
}

#[test]
fn json_numbers_that_are_not_ids_are_rejected() {
    assert_rejected(&Json, b"[17,1,2.0]", Kind::WrongType, "float id");
    assert_rejected(&Json, b"[17,1,1e3]", Kind::WrongType, "exponent id");
    assert_rejected(
        &Json,
        b"[17,1,-0]",
        Kind::WrongType,
        "negative zero reads as a float",
    );
    assert_rejected(&Json, b"[17,1,-1]", Kind::IdOutOfRange, "negative id");
    assert_rejected(
        &Json,
        b"[17,1,18446744073709551616]",
        Kind::WrongType,
        "id beyond u64 reads as a float",
    );
    assert_rejected(&Json, b"[17.0,1,2]", Kind::NotAMessage, "float code");
}

#[test]
fn msgpack_extension_types_and_reserved_markers_are_malformed() {
    // [17, 1, fixext1(type 1, 0x2a)]
    assert_rejected(
        &MsgPack,
        &[0x93, 0x11, 0x01, 0xd4, 0x01, 0x2a],
        Kind::Malformed,
        "fixext1",
    );
    assert_rejected(&MsgPack, &[0x93, 0x11, 0x01, 0xc1], Kind::Malformed, "0xc1");
}

#[test]
fn huge_declared_lengths_with_little_data_are_malformed_without_allocating() {
    // MessagePack array32 / map32 / str32 / bin32 claiming 4 GiB.
    for marker in [0xdd, 0xdf, 0xdb, 0xc6] {
        assert_rejected(
            &MsgPack,
            &[marker, 0xff, 0xff, 0xff, 0xff, 0x01],
            Kind::Malformed,
            &format!("msgpack 0x{marker:02x} with length 2^32-1"),
        );
    }
    // CBOR array / map / text / bytes with 64-bit lengths.
    for major in [0x9b, 0xbb, 0x7b, 0x5b] {
        let mut bytes = vec![major];
        bytes.extend([0xff; 8]);
        bytes.push(0x01);
        assert_rejected(
            &Cbor,
            &bytes,
            Kind::Malformed,
            &format!("cbor 0x{major:02x} with length 2^64-1"),
        );
    }
}

#[test]
fn cbor_values_without_a_wamp_meaning_are_malformed() {
    // [17, 1, simple(16)]
    assert_rejected(
        &Cbor,
        &[0x83, 0x11, 0x01, 0xf0],
        Kind::Malformed,
        "simple value",
    );
    // A lone break.
    assert_rejected(&Cbor, &[0xff], Kind::Malformed, "lone break");
    // [17, 1, -2^64]: an integer below i64::MIN.
    let mut bytes = vec![0x83, 0x11, 0x01, 0x3b];
    bytes.extend([0xff; 8]);
    assert_rejected(&Cbor, &bytes, Kind::Malformed, "integer below i64::MIN");
    // A reserved additional-information value (28).
    assert_rejected(
        &Cbor,
        &[0x83, 0x11, 0x01, 0x1c],
        Kind::Malformed,
        "reserved info 28",
    );
}

#[test]
fn cbor_undefined_reads_as_null() {
    // [50, 1, {}, undefined]: args undefined is an empty payload.
    assert!(Cbor.decode(&[0x84, 0x18, 0x32, 0x01, 0xa0, 0xf7]).is_ok());
}
