use super::*;
use serde::{Deserialize, Serialize};
use wamp_core::value::{Dict, Value};

fn invocation(args: Vec<Value>, kwargs: Dict) -> Invocation {
    let mut details = Dict::new();
    details.insert("caller".into(), Value::Int(7));
    details.insert("caller_authid".into(), "joe".into());
    Invocation {
        request: 1,
        registration: 2,
        procedure: "com.example.p".into(),
        payload: Payload::from_parts(args, kwargs),
        details,
        session: None,
        progress: Progress::default(),
    }
}

async fn call<P>(f: impl IntoProcedure<P>, args: Vec<Value>) -> Result<Payload, WampError> {
    procedure(f).call(invocation(args, Dict::new())).await
}

async fn add2(a: i64, b: i64) -> Result<i64, WampError> {
    Ok(a + b)
}

#[tokio::test]
async fn positional_parameters_take_the_positional_arguments() {
    let r = call(add2, vec![2.into(), 3.into()]).await.unwrap();
    assert_eq!(r.args, vec![Value::Int(5)]);
    // The function stays an ordinary function.
    assert_eq!(add2(1, 1).await.unwrap(), 2);
}

#[tokio::test]
async fn a_parameter_that_does_not_fit_names_itself_and_the_function_does_not_run() {
    let e = call(add2, vec![2.into(), "three".into()])
        .await
        .unwrap_err();
    assert_eq!(e.uri, error_uri::INVALID_ARGUMENT);
    let text = format!("{e:?}");
    assert!(
        text.contains("parameter 2") && text.contains("positional argument 1"),
        "{text}"
    );
    let e = call(add2, vec![2.into()]).await.unwrap_err();
    assert!(
        format!("{e:?}").contains("positional argument 1 is missing"),
        "{e:?}"
    );
    let e = call(add2, vec![1.into(), 2.into(), 3.into()])
        .await
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("3 positional arguments given, at most 2"),
        "{e:?}"
    );
}

#[tokio::test]
async fn missing_trailing_option_parameters_are_none() {
    async fn greet(name: String, title: Option<String>) -> Result<String, WampError> {
        Ok(match title {
            Some(t) => format!("{t} {name}"),
            None => name,
        })
    }
    let r = call(greet, vec!["Ada".into()]).await.unwrap();
    assert_eq!(r.args, vec![Value::from("Ada")]);
    let r = call(greet, vec!["Ada".into(), "Dr".into()]).await.unwrap();
    assert_eq!(r.args, vec![Value::from("Dr Ada")]);
}

#[tokio::test]
async fn keyword_arguments_and_call_details_are_picked_out() {
    #[derive(Deserialize)]
    struct Opts {
        #[serde(default)]
        shout: bool,
    }
    async fn echo(
        word: String,
        opts: Kwargs<Opts>,
        call: CallDetails,
    ) -> Result<String, WampError> {
        let w = if opts.0.shout {
            word.to_uppercase()
        } else {
            word
        };
        Ok(format!(
            "{w} to {:?} via {}",
            call.caller_authid, call.procedure
        ))
    }
    let mut kwargs = Dict::new();
    kwargs.insert("shout".into(), Value::Bool(true));
    let r = procedure(echo)
        .call(invocation(vec!["hi".into()], kwargs))
        .await
        .unwrap();
    assert_eq!(
        r.args,
        vec![Value::from("HI to Some(\"joe\") via com.example.p")]
    );
    let r = call(echo, vec!["hi".into()]).await.unwrap();
    assert_eq!(
        r.args,
        vec![Value::from("hi to Some(\"joe\") via com.example.p")]
    );
}

#[tokio::test]
async fn results_unit_payload_and_errors() {
    async fn nothing() -> Result<(), WampError> {
        Ok(())
    }
    assert_eq!(call(nothing, vec![]).await.unwrap(), Payload::new());
    async fn several() -> Result<Payload, WampError> {
        Ok(Payload::from_parts(vec![1.into(), 2.into()], Dict::new()))
    }
    assert_eq!(call(several, vec![]).await.unwrap().args.len(), 2);
    async fn fails() -> Result<i64, WampError> {
        Err(WampError::new("com.example.error.nope"))
    }
    assert_eq!(
        call(fails, vec![]).await.unwrap_err().uri,
        "com.example.error.nope"
    );
}

#[tokio::test]
async fn args_take_the_remaining_positional_arguments() {
    async fn arglen(first: i64, rest: Args<Vec<i64>>) -> (i64, usize) {
        (first, rest.0.len())
    }
    let r = call(arglen, vec![1.into(), 2.into(), 3.into()])
        .await
        .unwrap();
    assert_eq!(r.args, vec![Value::Int(1), Value::Int(2)]);
    let r = call(arglen, vec![1.into()]).await.unwrap();
    assert_eq!(r.args, vec![Value::Int(1), Value::Int(0)]);
    let e = call(arglen, vec![1.into(), "two".into()])
        .await
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("parameter 2: positional arguments from 1 on"),
        "{e:?}"
    );
}

#[tokio::test]
async fn tuples_are_several_positional_results_and_a_vec_is_one() {
    async fn split() -> (String, i64) {
        ("Homer".into(), 39)
    }
    let r = call(split, vec![]).await.unwrap();
    assert_eq!(r.args, vec![Value::from("Homer"), Value::Int(39)]);
    async fn fallible_split() -> Result<(String, String), WampError> {
        Ok(("Homer".into(), "Simpson".into()))
    }
    assert_eq!(call(fallible_split, vec![]).await.unwrap().args.len(), 2);
    async fn single() -> (i64,) {
        (7,)
    }
    assert_eq!(
        call(single, vec![]).await.unwrap().args,
        vec![Value::Int(7)]
    );
    async fn list() -> Vec<i64> {
        vec![1, 2]
    }
    assert_eq!(
        call(list, vec![]).await.unwrap().args,
        vec![Value::List(vec![1.into(), 2.into()])]
    );
    #[derive(Serialize)]
    struct Pair(i64, i64);
    async fn tuple_struct() -> Result<Pair, WampError> {
        Ok(Pair(1, 2))
    }
    // A tuple struct is one value (a list), as serde writes it.
    assert_eq!(call(tuple_struct, vec![]).await.unwrap().args.len(), 1);
}

#[tokio::test]
async fn events_that_do_not_fit_are_counted_not_handled() {
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let handler = event_handler(move |n: u64, d: EventDetails| {
        let s = s.clone();
        async move {
            assert_eq!(d.topic, "com.example.t");
            s.fetch_add(n, Ordering::SeqCst);
        }
    });
    let rejected = handler.rejected();
    let event = |args: Vec<Value>| Event {
        subscription: 1,
        publication: 2,
        topic: "com.example.t".into(),
        payload: Payload::from_parts(args, Dict::new()),
        details: Dict::new(),
    };
    handler.handle(event(vec![5.into()]), None).await;
    handler.handle(event(vec!["five".into()]), None).await;
    handler.handle(event(vec![]), None).await;
    assert_eq!(seen.load(Ordering::SeqCst), 5);
    assert_eq!(rejected.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn state_is_shared_and_a_missing_or_wrong_state_is_refused_before_any_invocation() {
    async fn next(counter: State<AtomicU64>) -> Result<u64, WampError> {
        Ok(counter.fetch_add(1, Ordering::Relaxed))
    }
    let counter = Arc::new(AtomicU64::new(10));
    let p = procedure(next).with_state(counter.clone());
    for want in [10, 11] {
        let r = p.call(invocation(vec![], Dict::new())).await.unwrap();
        assert_eq!(r.args, vec![Value::Int(want)]);
    }
    assert_eq!(counter.load(Ordering::Relaxed), 12);
    assert!(p.check().is_ok());
    // The check, run when the component is built or the handler registered, refuses both.
    let e = procedure(next).check().unwrap_err();
    assert!(
        e.contains("State<core::sync::atomic::AtomicU64> parameter needs state"),
        "{e}"
    );
    let wrong = procedure(next).with_state(Arc::new(String::new()));
    let e = wrong.check().unwrap_err();
    assert!(
        e.contains("cannot take the state given, an Arc<alloc::string::String>"),
        "{e}"
    );
    // Were it skipped, the invocation would still be refused, not run.
    let e = call(next, vec![]).await.unwrap_err();
    assert!(format!("{e:?}").contains("no state of type"), "{e:?}");
    let e = wrong
        .call(invocation(vec![], Dict::new()))
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("no state of type"), "{e:?}");
}

#[tokio::test]
async fn a_fn_of_one_invocation_sees_the_whole_call_and_its_payload_goes_out_as_it_is() {
    async fn echo(inv: Invocation) -> Result<Payload, WampError> {
        assert_eq!(inv.procedure, "com.example.p");
        assert_eq!(inv.caller(), Some(7));
        assert!(inv.session().is_none());
        assert!(!inv.progress().is_wanted());
        Ok(inv.payload)
    }
    let mut kwargs = Dict::new();
    kwargs.insert("k".into(), Value::Int(1));
    let r = procedure(echo)
        .call(invocation(vec![1.into(), 2.into()], kwargs.clone()))
        .await
        .unwrap();
    assert_eq!(r, Payload::from_parts(vec![1.into(), 2.into()], kwargs));
}

#[tokio::test]
async fn a_fn_of_one_event_sees_the_whole_event() {
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let handler = event_handler(move |e: Event| {
        let s = s.clone();
        async move {
            s.fetch_add(e.payload.args.len() as u64, Ordering::SeqCst);
        }
    });
    let event = Event {
        subscription: 1,
        publication: 2,
        topic: "com.example.t".into(),
        payload: Payload::from_parts(vec![1.into(), 2.into(), 3.into()], Dict::new()),
        details: Dict::new(),
    };
    handler.handle(event, None).await;
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn details_of_the_wrong_kind_are_refused() {
    async fn wrong(_d: EventDetails) -> Result<(), WampError> {
        Ok(())
    }
    let e = call(wrong, vec![]).await.unwrap_err();
    assert!(
        format!("{e:?}").contains("event details exist in event handlers only"),
        "{e:?}"
    );
}

fn kwargs(pairs: &[(&str, Value)]) -> Dict {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn call_named<P>(
    f: impl IntoProcedure<P>,
    names: &'static [&'static str],
    args: Vec<Value>,
    kw: &[(&str, Value)],
) -> BoxFuture<Result<Payload, WampError>> {
    let p = procedure(f).with_names(names);
    p.check().unwrap();
    p.call(invocation(args, kwargs(kw)))
}

fn message(e: &WampError) -> String {
    e.args
        .first()
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn parameters_take_keyword_arguments_of_their_names_when_no_positional_one_is_left() {
    let ab = &["a", "b"];
    let r = call_named(add2, ab, vec![], &[("a", 1.into()), ("b", 2.into())]);
    assert_eq!(r.await.unwrap().args, vec![Value::Int(3)]);
    let r = call_named(add2, ab, vec![10.into()], &[("b", 2.into())]);
    assert_eq!(r.await.unwrap().args, vec![Value::Int(12)]);
    // Keyword arguments in any order.
    let r = call_named(add2, ab, vec![], &[("b", 5.into()), ("a", 1.into())]);
    assert_eq!(r.await.unwrap().args, vec![Value::Int(6)]);
}

#[tokio::test]
async fn unknown_keyword_arguments_are_refused_by_name() {
    let e = call_named(
        add2,
        &["a", "b"],
        vec![1.into(), 2.into()],
        &[("c", 3.into())],
    )
    .await
    .unwrap_err();
    assert_eq!(e.uri, error_uri::INVALID_ARGUMENT);
    assert_eq!(
        message(&e),
        "unexpected keyword argument `c`; keyword arguments taken: `a`, `b`"
    );
    // Without names (a plain fn), every keyword argument is unknown.
    let e = procedure(add2)
        .call(invocation(
            vec![1.into(), 2.into()],
            kwargs(&[("a", 1.into())]),
        ))
        .await
        .unwrap_err();
    assert!(
        message(&e).starts_with("unexpected keyword argument `a`"),
        "{e:?}"
    );
}

#[tokio::test]
async fn errors_name_the_parameter_not_its_position() {
    let ab = &["a", "b"];
    let e = call_named(add2, ab, vec![1.into(), "two".into()], &[])
        .await
        .unwrap_err();
    assert!(
        message(&e).starts_with("parameter `b`: positional argument 1: "),
        "{e:?}"
    );
    let e = call_named(add2, ab, vec![1.into()], &[("b", "two".into())])
        .await
        .unwrap_err();
    assert!(
        message(&e).starts_with("parameter `b`: keyword argument: "),
        "{e:?}"
    );
    let e = call_named(add2, ab, vec![1.into()], &[]).await.unwrap_err();
    assert_eq!(
        message(&e),
        "parameter `b`: missing: give it as positional argument 1 or as keyword argument `b`"
    );
    let e = call_named(add2, ab, vec![1.into(), 2.into()], &[("a", 1.into())])
        .await
        .unwrap_err();
    assert_eq!(
        message(&e),
        "parameter `a`: given twice, as positional argument 0 and as keyword argument `a`"
    );
}

#[tokio::test]
async fn kwargs_takes_the_keyword_arguments_no_parameter_takes() {
    async fn f(a: i64, rest: Kwargs<Dict>, b: Option<i64>) -> (i64, Vec<String>, Option<i64>) {
        (a, rest.0.keys().map(str::to_owned).collect(), b)
    }
    let r = call_named(
        f,
        &["a", "rest", "b"],
        vec![],
        &[("a", 1.into()), ("x", 2.into()), ("b", 3.into())],
    )
    .await
    .unwrap();
    assert_eq!(
        r.args,
        vec![Value::Int(1), Value::List(vec!["x".into()]), Value::Int(3)]
    );
}

#[tokio::test]
async fn every_integer_type_is_an_argument_and_a_result() {
    async fn sizes(a: usize, b: isize, c: u128, d: i128, e: u8, f: i16) -> usize {
        a + b as usize + c as usize + d as usize + e as usize + f as usize
    }
    let r = call(
        sizes,
        vec![1.into(), 2.into(), 3.into(), 4.into(), 5.into(), 6.into()],
    );
    assert_eq!(r.await.unwrap().args, vec![Value::Int(21)]);
    for result in [
        procedure(|| async { 1usize }),
        procedure(|| async { -1isize }),
        procedure(|| async { 1u128 }),
        procedure(|| async { -1i128 }),
    ] {
        let r = result.call(invocation(vec![], Dict::new())).await.unwrap();
        assert_eq!(r.args.len(), 1);
    }
    async fn byte(n: u8) -> u8 {
        n
    }
    let e = call_named(byte, &["n"], vec![300.into()], &[])
        .await
        .unwrap_err();
    assert!(
        message(&e).starts_with("parameter `n`: positional argument 0: invalid value"),
        "{e:?}"
    );
}

#[tokio::test]
async fn names_that_do_not_fit_the_parameters_are_a_configuration_error() {
    let p = procedure(add2).with_names(&["a"]);
    assert_eq!(
        p.check().unwrap_err(),
        "1 parameter names given for a handler of 2 parameters"
    );
}

#[tokio::test]
async fn events_fill_parameters_from_keyword_arguments_and_unknown_ones_are_rejected() {
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let handler = event_handler(move |n: u64, step: Option<u64>| {
        let s = s.clone();
        async move {
            s.fetch_add(n * step.unwrap_or(1), Ordering::SeqCst);
        }
    })
    .with_names(&["n", "step"]);
    let rejected = handler.rejected();
    let event = |args: Vec<Value>, kw: &[(&str, Value)]| Event {
        subscription: 1,
        publication: 2,
        topic: "com.example.t".into(),
        payload: Payload::from_parts(args, kwargs(kw)),
        details: Dict::new(),
    };
    handler
        .handle(event(vec![], &[("n", 5.into())]), None)
        .await;
    handler
        .handle(event(vec![2.into()], &[("step", 10.into())]), None)
        .await;
    handler
        .handle(event(vec![1.into()], &[("other", 1.into())]), None)
        .await;
    assert_eq!(seen.load(Ordering::SeqCst), 25);
    assert_eq!(rejected.load(Ordering::SeqCst), 1);
}
