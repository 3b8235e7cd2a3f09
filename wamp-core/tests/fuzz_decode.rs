//! Property tests: no input makes a decoder panic, and arbitrary payloads round-trip.
//!
//! The number of cases per property comes from `WAMP_FUZZ_CASES` (default 2000).

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use wamp_core::message::{Message, RequestType};
use wamp_core::serializer::{Cbor, Json, MsgPack, Serializer};
use wamp_core::value::{Dict, Value};

fn cases() -> u32 {
    std::env::var("WAMP_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Never write regression files into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn serializers() -> [&'static dyn Serializer; 3] {
    [&Json, &MsgPack, &Cbor]
}

/// Valid encodings to mutate: a few messages on every serializer.
fn seeds() -> Vec<Vec<u8>> {
    let mut kwargs = Dict::new();
    kwargs.insert("k".into(), Value::List(vec![Value::Bytes(vec![1, 2, 3])]));
    kwargs.insert("n".into(), Value::UInt(u64::MAX));
    let msgs = [
        Message::Call {
            request: 1,
            options: Dict::new(),
            procedure: "com.example.add2".into(),
            args: vec![Value::Int(2), Value::Float(3.5), Value::String("x".into())],
            kwargs: kwargs.clone(),
        },
        Message::Error {
            request_type: RequestType::Invocation,
            request: 9,
            details: Dict::new(),
            error: "wamp.error.runtime_error".into(),
            args: vec![Value::Null],
            kwargs,
        },
        Message::Unsubscribed {
            request: 0,
            details: Some(Dict::new()),
        },
        Message::Hello {
            realm: "realm1".into(),
            details: Dict::new(),
        },
    ];
    let mut out = Vec::new();
    for ser in serializers() {
        for msg in &msgs {
            let mut bytes = Vec::new();
            ser.encode(msg, &mut bytes).unwrap();
            out.push(bytes);
        }
    }
    out
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
    Duplicate(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match m {
        Mutation::Flip(i, b) => bytes[i.index(len)] ^= b,
        Mutation::Set(i, b) => bytes[i.index(len)] = *b,
        Mutation::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
        Mutation::Remove(i) => {
            bytes.remove(i.index(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len)),
        Mutation::Duplicate(a, b) => {
            let (a, b) = (a.index(len), b.index(len));
            let (lo, hi) = (a.min(b), a.max(b));
            let chunk = bytes[lo..=hi].to_vec();
            bytes.splice(hi + 1..hi + 1, chunk);
        }
    }
}

/// Arbitrary payload values every serializer can carry: finite floats, strings that do not
/// start with U+0000 (JSON would read them back as binary), string keys.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Value::UInt),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        text().prop_map(|s| Value::from(s.trim_start_matches('\0'))),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|m| Value::Dict(m.into_iter().collect())),
        ]
    })
}

/// Short strings of any characters, U+0000 included.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter)
}

fn payload() -> impl Strategy<Value = (Vec<Value>, Dict)> {
    (
        prop::collection::vec(value(), 0..4),
        prop::collection::btree_map(text(), value(), 0..4).prop_map(|m| m.into_iter().collect()),
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_make_a_decoder_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for ser in serializers() {
            let _ = ser.decode(&bytes);
        }
    }

    #[test]
    fn arbitrary_json_like_text_never_makes_the_json_decoder_panic(
        text in r#"[\[\]{}",:0-9a-z\\ \-.eE]{0,64}"#
    ) {
        let _ = Json.decode(text.as_bytes());
    }

    #[test]
    fn mutated_valid_encodings_never_make_a_decoder_panic(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        for ser in serializers() {
            let _ = ser.decode(&bytes);
        }
    }

    #[test]
    fn the_msgpack_encoder_writes_what_rmp_serde_writes(
        (args, kwargs) in payload(),
        request in 1..=(1u64 << 53),
        procedure in text(),
    ) {
        let msg = Message::Call {
            request,
            options: kwargs.clone(),
            procedure: procedure.into(),
            args,
            kwargs,
        };
        let mut ours = Vec::new();
        MsgPack.encode(&msg, &mut ours).unwrap();
        prop_assert_eq!(ours, rmp_serde::to_vec(&msg).unwrap());
    }

    #[test]
    fn arbitrary_payloads_round_trip_through_every_serializer(
        (args, kwargs) in payload(),
        request in 1..=(1u64 << 53),
    ) {
        let msg = Message::Event {
            subscription: request,
            publication: request,
            details: Dict::new(),
            args,
            kwargs,
        };
        for ser in serializers() {
            let mut bytes = Vec::new();
            ser.encode(&msg, &mut bytes).unwrap();
            let back = ser.decode(&bytes);
            prop_assert_eq!(back.as_ref(), Ok(&msg), "{}", ser.name());
        }
    }
}
