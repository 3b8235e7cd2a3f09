//! What one message may decode to: a message whose values would take more memory than its
//! `decode_limit` is refused with `ProtocolError::DecodeLimit` on every serializer, and
//! legitimate big messages still decode.

use wamp_core::message::Message;
use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};
use wamp_core::value::{decode_limit, Dict, Value, DECODE_LIMIT_FLOOR};
use wamp_core::ProtocolError;

/// The client's default message limit.
const MESSAGE_LIMIT: usize = 16 << 20;

/// The opening of EVENT `[36, 1, 1, {}, <args>]`, up to its args, in `ser`'s format.
fn event_head(ser: &dyn Serializer) -> Vec<u8> {
    match ser.name() {
        "msgpack" => vec![0x95, 36, 1, 1, 0x80],
        "cbor" => vec![0x85, 0x18, 36, 1, 1, 0xa0],
        _ => b"[36,1,1,{},".to_vec(),
    }
}

/// An EVENT whose args are `n` copies of the integer 1 (one byte each in MessagePack and CBOR,
/// `1,` in JSON), with a header declaring `declared` elements (binary formats).
fn ones(ser: &dyn Serializer, n: usize, declared: u32) -> Vec<u8> {
    let mut out = event_head(ser);
    out.reserve(2 * n + 8);
    match ser.name() {
        "msgpack" => {
            out.push(0xdd);
            out.extend_from_slice(&declared.to_be_bytes());
            out.resize(out.len() + n, 1);
        }
        "cbor" => {
            out.push(0x9a);
            out.extend_from_slice(&declared.to_be_bytes());
            out.resize(out.len() + n, 1);
        }
        _ => {
            out.push(b'[');
            for _ in 0..n.saturating_sub(1) {
                out.extend_from_slice(b"1,");
            }
            out.extend_from_slice(b"1]]");
        }
    }
    out
}

/// The slots the message's own list of 5 elements takes: CBOR builds it, MessagePack reads
/// the elements straight into the message.
fn own_list_slots(ser: &dyn Serializer) -> usize {
    if ser.name() == "cbor" {
        5
    } else {
        0
    }
}

/// Whether `ser` decodes `bytes` back to `msg` (without printing either: they are big).
fn decodes_to(ser: &dyn Serializer, bytes: &[u8], msg: &Message) -> bool {
    match ser.decode(bytes) {
        Ok(back) => back == *msg,
        Err(e) => panic!("{} refused the message: {e}", ser.name()),
    }
}

fn assert_over_the_limit(ser: &dyn Serializer, bytes: &[u8]) {
    match ser.decode(bytes) {
        Err(e @ ProtocolError::DecodeLimit { size, limit }) => {
            assert_eq!(size, bytes.len(), "{}", ser.name());
            assert_eq!(limit, decode_limit(bytes.len()), "{}", ser.name());
            let text = e.to_string();
            assert!(
                text.contains(&format!("limit of {limit} bytes")),
                "{}: {text}",
                ser.name()
            );
        }
        Err(e) => panic!(
            "{} refused the message with the wrong error: {e}",
            ser.name()
        ),
        Ok(_) => panic!("{} decoded a message over its limit", ser.name()),
    }
}

#[test]
fn sixteen_million_one_byte_integers_are_refused_by_the_binary_serializers() {
    for ser in [&MsgPack as &dyn Serializer, &Cbor] {
        // Just under the message limit: 16 MiB of positive fixints, 512 MiB once decoded.
        let n = MESSAGE_LIMIT - 16;
        let bytes = ones(ser, n, n as u32);
        assert!(bytes.len() <= MESSAGE_LIMIT);
        assert_over_the_limit(ser, &bytes);
    }
}

#[test]
fn sixteen_mib_of_json_ones_are_refused() {
    let n = (MESSAGE_LIMIT - 16) / 2;
    let bytes = ones(&Json, n, 0);
    assert!(bytes.len() <= MESSAGE_LIMIT);
    assert_over_the_limit(&Json, &bytes);
}

#[test]
fn a_list_as_big_as_the_floor_decodes_and_one_more_element_is_refused() {
    // A 2 MiB message is under the floor: its values may take 64 MiB, 32 bytes a list slot.
    // Its details reserve nothing.
    for ser in [&MsgPack as &dyn Serializer, &Cbor] {
        let fits = DECODE_LIMIT_FLOOR / std::mem::size_of::<Value>() - own_list_slots(ser);
        let bytes = ones(ser, fits, fits as u32);
        assert_eq!(decode_limit(bytes.len()), DECODE_LIMIT_FLOOR);
        match ser.decode(&bytes) {
            Ok(Message::Event { args, .. }) => assert_eq!(args.len(), fits, "{}", ser.name()),
            Ok(_) => panic!("{} decoded another message", ser.name()),
            Err(e) => panic!("{} refused the message: {e}", ser.name()),
        }
        let bytes = ones(ser, fits + 1, fits as u32 + 1);
        assert_over_the_limit(ser, &bytes);
    }
}

#[test]
fn a_tiny_message_declaring_four_billion_elements_is_malformed_not_over_the_limit() {
    // Room is reserved only for what the remaining bytes could hold, so the declared length
    // is not charged: the message is malformed (cut short, or a map key is not a string).
    for ser in [&MsgPack as &dyn Serializer, &Cbor] {
        for declared_map in [false, true] {
            let mut bytes = ones(ser, 100, u32::MAX);
            if declared_map {
                // The same length on a map header.
                let at = event_head(ser).len();
                bytes[at] = if ser.name() == "msgpack" { 0xdf } else { 0xba };
            }
            match ser.decode(&bytes) {
                Err(ProtocolError::Malformed { .. }) => {}
                other => panic!("{} map {declared_map}: {other:?}", ser.name()),
            }
        }
    }
}

/// An EVENT with these args and kwargs.
fn event(args: Vec<Value>, kwargs: Dict) -> Message {
    Message::Event {
        subscription: 1,
        publication: 2,
        details: Dict::new(),
        args,
        kwargs,
    }
}

#[test]
fn a_ten_mib_binary_value_still_decodes_on_every_serializer() {
    let msg = event(vec![Value::Bytes(vec![7; 10 << 20])], Dict::new());
    for ser in [&MsgPack as &dyn Serializer, &Cbor, &Json] {
        let mut bytes = Vec::new();
        ser.encode(&msg, &mut bytes).unwrap();
        assert!(bytes.len() <= MESSAGE_LIMIT);
        assert!(decodes_to(ser, &bytes, &msg), "{}", ser.name());
    }
}

#[test]
fn a_list_of_100000_dicts_still_decodes_on_every_serializer() {
    let args = (0..100_000)
        .map(|i| {
            let mut d = Dict::new();
            d.insert("id".into(), Value::Int(i));
            d.insert("name".into(), Value::from(format!("item {i}")));
            Value::Dict(d)
        })
        .collect();
    let kwargs: Dict = (0..1000)
        .map(|i| (format!("key {i}"), Value::List(vec![Value::Null; 10])))
        .collect();
    let msg = event(args, kwargs);
    for ser in [&MsgPack as &dyn Serializer, &Cbor, &Json] {
        let mut bytes = Vec::new();
        ser.encode(&msg, &mut bytes).unwrap();
        assert!(decodes_to(ser, &bytes, &msg), "{}", ser.name());
    }
}

#[test]
fn the_length_of_a_string_counts_towards_the_limit() {
    // Under the floor (messages up to 8 MiB): a 4 MiB string and as many one-byte integers
    // as the remaining 60 MiB hold, 32 bytes each, fit exactly; one more integer does not.
    let text = Value::from("x".repeat(4 << 20));
    let slots = (DECODE_LIMIT_FLOOR - (4 << 20)) / std::mem::size_of::<Value>();
    for ser in [&MsgPack as &dyn Serializer, &Cbor] {
        // The args list holds the integers and the string.
        let ints = slots - own_list_slots(ser) - 1;
        for (extra, fits) in [(0, true), (1, false)] {
            let mut args = vec![Value::Int(1); ints + extra];
            args.push(text.clone());
            let msg = event(args, Dict::new());
            let mut bytes = Vec::new();
            ser.encode(&msg, &mut bytes).unwrap();
            assert_eq!(decode_limit(bytes.len()), DECODE_LIMIT_FLOOR);
            if fits {
                assert!(decodes_to(ser, &bytes, &msg), "{}", ser.name());
            } else {
                assert_over_the_limit(ser, &bytes);
            }
        }
    }
}
