//! Autobahn's WAMP example suite in Rust (`examples/<stem>_backend.rs`,
//! `examples/<stem>_frontend.rs`), run against Crossbar.io and against our router (each test
//! runs on both: `crossbar::NAME`, `ours::NAME`) with their `crossbardemo` realm, and
//! mixed with the Autobahn|Python peers of the same examples (`tests/peers/autobahn/`, written
//! to `tests/peers/autobahn/EXAMPLES.md`): for each example, a Rust backend with a Rust
//! frontend, a Rust backend with a Python frontend, and a Python backend with a Rust
//! frontend. Each run checks the frontend's exit status and its output against the checked
//! lines of EXAMPLES.md.
//!
//! The three pairings of an example run at once, each on its own router, so that they cannot
//! see each other's events; examples that share URIs (the `com.myapp.topic*` ones, quickstart
//! and overview) take turns on a router.
//!
//! The examples are binaries built by `cargo test` (or `cargo build --examples`).

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use wamp_suite::{example_binary, Peer, RouterKind, TestRouter};

/// How long a backend may take to be ready, and a frontend to finish.
const READY_LIMIT: Duration = Duration::from_secs(60);
const FINISH_LIMIT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Rust,
    Python,
}

/// The pairings: (backend, frontend); each runs on the router of the same index.
const PAIRINGS: [(Side, Side); 3] = [
    (Side::Rust, Side::Rust),
    (Side::Rust, Side::Python),
    (Side::Python, Side::Rust),
];

/// The three routers of `kind`, one per pairing, started at once on first use.
fn routers(kind: RouterKind) -> &'static [Box<dyn TestRouter>; 3] {
    type Routers = OnceLock<[Box<dyn TestRouter>; 3]>;
    static CROSSBAR: Routers = OnceLock::new();
    static OURS: Routers = OnceLock::new();
    let routers = match kind {
        RouterKind::Crossbar => &CROSSBAR,
        RouterKind::Ours => &OURS,
    };
    routers.get_or_init(|| {
        std::thread::scope(|s| {
            let starting = [(); 3].map(|()| s.spawn(move || kind.start()));
            starting.map(|h| h.join().expect("a router starts"))
        })
    })
}

/// The examples that share URIs with another example.
fn uri_group(stem: &str) -> &str {
    match stem {
        "quickstart" | "overview" => "com.myapp.add2",
        "rpc_progress" | "rpc_cancel" => "com.myapp.longop",
        s if s.starts_with("pubsub_") => "com.myapp.topic",
        s => s,
    }
}

/// One lock per router and URI group.
type Turns = Mutex<HashMap<(RouterKind, usize, String), Arc<Mutex<()>>>>;

/// Serializes the examples of one URI group on one router.
fn turn(kind: RouterKind, router: usize, stem: &str) -> Arc<Mutex<()>> {
    static TURNS: OnceLock<Turns> = OnceLock::new();
    let mut turns = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    turns
        .entry((kind, router, uri_group(stem).to_owned()))
        .or_default()
        .clone()
}

/// Starts one side of an example against `url`.
fn start(side: Side, stem: &str, role: &str, url: &str) -> Peer {
    let name = format!("{stem}_{role}");
    match side {
        Side::Rust => {
            let mut command = Command::new(example_binary(&name));
            command
                .env("AUTOBAHN_DEMO_ROUTER", url)
                .env("WAMP_PEER_WATCH_STDIN", "1")
                .env("NO_COLOR", "1");
            Peer::command(&format!("{name} (Rust)"), command)
        }
        Side::Python => Peer::spawn_with(&format!("autobahn/{name}.py"), |c| {
            c.env("AUTOBAHN_DEMO_ROUTER", url);
        }),
    }
}

/// Runs `stem`'s backend and frontend in the pairing `index` and returns the frontend's
/// output, or what went wrong.
fn run_pairing(kind: RouterKind, stem: &str, index: usize) -> Vec<String> {
    let (back, front) = PAIRINGS[index];
    let url = routers(kind)[index].ws_url();
    let turn = turn(kind, index, stem);
    let _turn = turn.lock().unwrap_or_else(|e| e.into_inner());
    let mut backend = start(back, stem, "backend", &url);
    backend.expect_line("backend ready", READY_LIMIT);
    let mut frontend = start(front, stem, "frontend", &url);
    frontend.finish(FINISH_LIMIT)
    // The backend is killed when dropped.
}

/// Runs the three pairings of `stem` at once and checks each frontend's output.
fn check_example(kind: RouterKind, stem: &str, check: fn(&[String]) -> Result<(), String>) {
    let failures: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..PAIRINGS.len())
            .map(|i| s.spawn(move || run_pairing(kind, stem, i)))
            .collect();
        runs.into_iter()
            .enumerate()
            .filter_map(|(i, run)| {
                let (back, front) = PAIRINGS[i];
                let what = format!("{stem} on {kind}: {back:?} backend, {front:?} frontend");
                match run.join() {
                    Err(panic) => Some(format!("{what}: {}", panic_text(&panic))),
                    Ok(lines) => check(&lines).err().map(|e| {
                        format!("{what}: {e}\n--- frontend output:\n{}", lines.join("\n"))
                    }),
                }
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panicked".into())
}

// ---- what the checks are made of

fn count_exact(lines: &[String], text: &str) -> usize {
    lines.iter().filter(|l| *l == text).count()
}

fn with_prefix<'a>(lines: &'a [String], prefix: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(prefix))
        .collect()
}

fn expect_count(
    lines: &[String],
    prefix: &str,
    ok: impl Fn(usize) -> bool,
    want: &str,
) -> Result<(), String> {
    let n = with_prefix(lines, prefix).len();
    if ok(n) {
        Ok(())
    } else {
        Err(format!("{n} lines start with {prefix:?}; expected {want}"))
    }
}

/// The lines that match one of `matchers` (a prefix each), in order, must be exactly
/// `expected` (a line each: `=text` exact, otherwise a prefix).
fn expect_sequence(lines: &[String], expected: &[&str]) -> Result<(), String> {
    let matches = |line: &str, e: &str| match e.strip_prefix('=') {
        Some(exact) => line == exact,
        None => line.starts_with(e),
    };
    let relevant: Vec<&String> = lines
        .iter()
        .filter(|l| expected.iter().any(|e| matches(l, e)))
        .collect();
    let fits = relevant.len() == expected.len()
        && relevant.iter().zip(expected).all(|(l, e)| matches(l, e));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "expected, in this order: {expected:?}; the matching lines were: {relevant:?}"
        ))
    }
}

fn exact_in_order(lines: &[String], expected: &[&str]) -> Result<(), String> {
    let expected: Vec<String> = expected.iter().map(|e| format!("={e}")).collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expect_sequence(lines, &expected)
}

wamp_suite::on_both_routers! {
    // ---- the examples and their checked lines (EXAMPLES.md)

    #[test]
    fn quickstart_subscribes_registers_publishes_calls_and_leaves(kind: RouterKind) {
        let url = routers(kind)[0].ws_url();
        let turn = turn(kind, 0, "quickstart");
        let _turn = turn.lock().unwrap_or_else(|e| e.into_inner());
        let mut command = Command::new(example_binary("quickstart"));
        command
            .env("AUTOBAHN_DEMO_ROUTER", url)
            .env("NO_COLOR", "1");
        let out = Peer::command("quickstart", command)
            .finish(FINISH_LIMIT)
            .join("\n");
        for line in [
            "session ready",
            "event received: Hello, world",
            "call result: 5",
            "done",
        ] {
            assert!(out.contains(line), "no {line:?} in:\n{out}");
        }
    }

    #[test]
    fn overview_calls_add2_and_receives_hello_events(kind: RouterKind) {
        check_example(kind, "overview", |lines| {
            if count_exact(lines, "Got result: 5") != 1 {
                return Err("`Got result: 5` not exactly once".into());
            }
            expect_count(
                lines,
                "Got event: \"Hello, world!\"",
                |n| n >= 2,
                "at least 2",
            )
        });
    }

    #[test]
    fn pubsub_basic_receives_five_consecutive_counter_events(kind: RouterKind) {
        check_example(kind, "pubsub_basic", |lines| {
            let events = with_prefix(lines, "Got event: ");
            let numbers: Vec<i64> = events.iter().filter_map(|e| e.parse().ok()).collect();
            let consecutive = numbers.windows(2).all(|w| w[1] == w[0] + 1);
            if events.len() == 5 && numbers.len() == 5 && consecutive {
                Ok(())
            } else {
                Err(format!(
                    "expected 5 consecutive integer events, got {events:?}"
                ))
            }
        });
    }

    #[test]
    fn pubsub_complex_receives_heartbeats_without_payload_and_events_with_keywords(kind: RouterKind) {
        check_example(kind, "pubsub_complex", |lines| {
            expect_count(
                lines,
                "Got heartbeat, publication ID: ",
                |n| n >= 3,
                "at least 3",
            )?;
            expect_count(
                lines,
                "Got event: b=23 c=\"Hello\" d.foo=[1,2,3] a=",
                |n| n >= 3,
                "at least 3",
            )
        });
    }

    #[test]
    fn pubsub_options_discloses_the_publisher_of_acknowledged_events(kind: RouterKind) {
        check_example(kind, "pubsub_options", |lines| {
            expect_count(
                lines,
                "Got event with publisher disclosed: ",
                |n| n == 5,
                "5",
            )?;
            expect_count(lines, "Got event without publisher: ", |n| n == 0, "none")
        });
    }

    #[test]
    fn pubsub_unsubscribe_unsubscribes_after_five_events_and_subscribes_again(kind: RouterKind) {
        check_example(kind, "pubsub_unsubscribe", |lines| {
            let mut expected = vec!["Subscribed with subscription ID "];
            expected.extend(["Got event: "; 5]);
            expected.push("=Unsubscribed .. continue in 2s ..");
            expected.push("Subscribed with subscription ID ");
            expected.extend(["Got event: "; 5]);
            expect_sequence(lines, &expected)
        });
    }

    #[test]
    fn pubsub_decorators_declares_both_subscriptions_with_macros(kind: RouterKind) {
        check_example(kind, "pubsub_decorators", |lines| {
            expect_count(
                lines,
                "Ok, subscribed handler with subscription ID ",
                |n| n == 2,
                "2",
            )?;
            expect_count(lines, "Got event on topic1: ", |n| n == 5, "5")?;
            if count_exact(lines, "Got event on topic2: \"Hello world.\"") < 3 {
                return Err("fewer than 3 `Got event on topic2: \"Hello world.\"`".into());
            }
            Ok(())
        });
    }

    #[test]
    fn rpc_timeservice_returns_the_time(kind: RouterKind) {
        check_example(kind, "rpc_timeservice", |lines| {
            let times = with_prefix(lines, "Current time from time service: ");
            let well_formed = |t: &str| {
                let t = t.as_bytes();
                t.len() == 22
                    && t[0] == b'"'
                    && t[21] == b'"'
                    && t[20] == b'Z'
                    && t[11] == b'T'
                    && [5, 8].iter().all(|&i| t[i] == b'-')
                    && [14, 17].iter().all(|&i| t[i] == b':')
            };
            match times.as_slice() {
                [t] if well_formed(t) => Ok(()),
                _ => Err(format!("expected one RFC 3339 time, got {times:?}")),
            }
        });
    }

    #[test]
    fn rpc_slowsquare_answers_the_quick_square_while_the_slow_one_runs(kind: RouterKind) {
        check_example(kind, "rpc_slowsquare", |lines| {
            expect_sequence(
                lines,
                &[
                    "Quick Square: 9, ms: ",
                    "Slow Square: 9, ms: ",
                    "=All finished.",
                ],
            )?;
            let slow: Vec<f64> = with_prefix(lines, "Slow Square: 9, ms: ")
                .iter()
                .filter_map(|ms| ms.parse().ok())
                .collect();
            match slow.as_slice() {
                [ms] if *ms >= 1900.0 => Ok(()),
                _ => Err(format!(
                    "the slow square took {slow:?} ms, expected at least 1900"
                )),
            }
        });
    }

    #[test]
    fn rpc_arguments_binds_positional_keyword_and_default_arguments(kind: RouterKind) {
        check_example(kind, "rpc_arguments", |lines| {
            exact_in_order(
                lines,
                &[
                    "Pinged!",
                    "Add2: 5",
                    "Starred 1: \"somebody starred 0x\"",
                    "Starred 2: \"Homer starred 0x\"",
                    "Starred 3: \"somebody starred 5x\"",
                    "Starred 4: \"Homer starred 5x\"",
                    "Orders 1: [\"Product 0\",\"Product 1\",\"Product 2\",\"Product 3\",\"Product 4\"]",
                    "Orders 2: [\"Product 0\",\"Product 1\",\"Product 2\",\"Product 3\",\"Product 4\",\"Product 5\",\"Product 6\",\"Product 7\",\"Product 8\",\"Product 9\"]",
                    "Arglen 1: [0,0]",
                    "Arglen 2: [3,0]",
                    "Arglen 3: [0,3]",
                    "Arglen 4: [3,3]",
                ],
            )
        });
    }

    #[test]
    fn rpc_complex_returns_keyword_results_and_two_positional_results(kind: RouterKind) {
        check_example(kind, "rpc_complex", |lines| {
            exact_in_order(
                lines,
                &[
                    "Result: 6 + 8i",
                    "Forename: \"Homer\", Surname: \"Simpson\"",
                ],
            )
        });
    }

    #[test]
    fn rpc_errors_carry_their_uri_args_and_kwargs(kind: RouterKind) {
        check_example(kind, "rpc_errors", |lines| {
            exact_in_order(
                lines,
                &[
                    "sqrt(2): 1.4142135623730951",
                    "sqrt(0) failed: wamp.error.runtime_error args=[\"don't ask foolish questions;)\"] kwargs={}",
                    "sqrt(-2) failed: wamp.error.runtime_error args=[\"math domain error\"] kwargs={}",
                    "checkname(\"foo\") failed: com.myapp.error.reserved args=[] kwargs={}",
                    "checkname(\"a\") failed: com.myapp.error.mixed_case args=[\"a\",\"A\"] kwargs={}",
                    "checkname(\"***********\") failed: com.myapp.error.invalid_length args=[] kwargs={\"max\":10,\"min\":3}",
                    "checkname(\"Hello\") failed: com.myapp.error.mixed_case args=[\"hello\",\"HELLO\"] kwargs={}",
                    "compare(3, 17) failed: com.myapp.error1 args=[14] kwargs={}",
                ],
            )
        });
    }

    #[test]
    fn rpc_progress_delivers_progressive_results_before_the_final_one(kind: RouterKind) {
        check_example(kind, "rpc_progress", |lines| {
            exact_in_order(
                lines,
                &["Progress: 0", "Progress: 1", "Progress: 2", "Final: 3"],
            )
        });
    }

    #[test]
    fn rpc_cancel_interrupts_the_callee_of_a_canceled_call(kind: RouterKind) {
        check_example(kind, "rpc_cancel", |lines| {
            exact_in_order(
                lines,
                &["Progress: 0", "Progress: 1", "Canceled", "Interrupted: 1"],
            )
        });
    }

    #[test]
    fn session_meta_looks_sessions_up_kills_the_worker_and_gets_its_testament(kind: RouterKind) {
        check_example(kind, "session_meta", |lines| {
            exact_in_order(
                lines,
                &[
                    "Me: realm=crossbardemo authrole=anonymous authmethod=anonymous",
                    "Worker: authrole=anonymous",
                    "Callees of com.myapp.worker: 1",
                    "Killed the worker",
                    "Left: the worker",
                    "Testament: \"worker gone\"",
                ],
            )
        });
    }

    #[test]
    fn rpc_options_discloses_the_caller_and_excludes_it_from_the_event(kind: RouterKind) {
        check_example(kind, "rpc_options", |lines| {
            exact_in_order(lines, &["Squared 2 = 4", "Squared 0 = 0", "Squared -2 = 4"])?;
            let event = |n: i64| format!("Someone requested to square non-positive: {n}");
            match (
                count_exact(lines, &event(-2)),
                count_exact(lines, &event(0)),
            ) {
                (1, 0) => Ok(()),
                (_, 0) => Err("not exactly one event for -2".into()),
                _ => Err("the caller was not excluded from the event for 0".into()),
            }
        });
    }

    #[test]
    fn rpc_decorators_registers_a_service_declared_with_macros(kind: RouterKind) {
        check_example(kind, "rpc_decorators", |lines| {
            exact_in_order(
                lines,
                &[
                    "com.mathservice.add2: 5",
                    "com.mathservice.mul2: 6",
                    "com.mathservice.div2: 0.6666666666666666",
                ],
            )
        });
    }

    #[test]
    fn pubsub_retained_gives_a_late_subscriber_each_topics_retained_event(kind: RouterKind) {
        check_example(kind, "pubsub_retained", |lines| {
            for topic in ["com.example.no_history_here", "com.example.history"] {
                let line = format!(
                    "Got event on {topic}: \"some data, topic was '{topic}'\" retained=true"
                );
                let n = count_exact(lines, &line);
                if n != 1 {
                    return Err(format!("{n} lines {line:?}; expected 1"));
                }
            }
            expect_count(lines, "Got event on ", |n| n == 2, "2")
        });
    }

    #[test]
    fn rpc_shared_calls_two_roundrobin_callees_in_turn_and_refuses_a_single_registration(kind: RouterKind) {
        check_example(kind, "rpc_shared", |lines| {
            let names = with_prefix(lines, "call answered by: ");
            if names.len() != 6 || names.iter().any(|n| *n != "\"a\"" && *n != "\"b\"") {
                return Err(format!("expected 6 answers by \"a\" or \"b\", got {names:?}"));
            }
            if names.windows(2).any(|w| w[0] == w[1]) {
                return Err(format!("the callees did not answer in turn: {names:?}"));
            }
            expect_count(
                lines,
                "register with invoke single failed: wamp.error.procedure_exists_with_different_invocation_policy args=",
                |n| n == 1,
                "1",
            )
        });
    }
}
