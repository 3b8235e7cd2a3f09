//! Floods against the scripted fake router of `wamp_client::testing` (misbehaviour testing: no
//! real router sends this fast), showing that memory stays bounded:
//! - 1,000,000 events to a subscription whose handler sleeps 10 ms, under each overflow
//!   policy (drop newest, drop oldest, pause) with the default queue bound;
//! - 100,000 invocations to a callee that sleeps 2 s, with the default invocation limits.
//!
//! The resident memory is sampled every 10 ms; each test prints its figures and asserts the
//! growth of the peak over the memory before the flood. In a test binary of its own, the
//! tests taking turns: resident memory is process-wide.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wamp_client::testing::FakeRouter;
use wamp_client::{JoinOptions, Overflow, SubscribeOptions};
use wamp_core::message::Message;
use wamp_core::serializer::{MsgPack, Serializer};
use wamp_core::{Dict, Value};
use wamp_suite::measure::{mib, RssSampler};
use wamp_suite::within;

/// The tests take turns: resident memory is process-wide.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const EVENTS: u64 = 1_000_000;
const INVOCATIONS: u64 = 100_000;
/// The events go out in chunks of this many frames.
const CHUNK: u64 = 1_000;
const SUBSCRIPTION: u64 = 5;
const REGISTRATION: u64 = 7;
const LIMIT: Duration = Duration::from_secs(90);
/// How long the pausing subscription is flooded: its handler takes 10 ms an event, so the
/// million would take hours; the flood is held back by the paused reading instead.
const PAUSE_WINDOW: Duration = Duration::from_secs(3);
/// Bound on the growth of resident memory during an event flood (the queue holds at most
/// 1,000 events; the rest is the pipe, the read buffer and the allocator).
const EVENT_FLOOD_GROWTH_KIB: u64 = 8 * 1024;
/// Bound on the growth of resident memory during the invocation flood: 10,000 handlers
/// running (the default per-session limit), 1,000 waiting, 89,000 answers written to a pipe of
/// 16 MiB that the fake router reads only once it has sent every invocation.
const INVOCATION_FLOOD_GROWTH_KIB: u64 = 32 * 1024;

/// RawSocket frames of `n` copies of one EVENT, ready to write.
fn event_frames(n: u64) -> Vec<u8> {
    let mut payload = Vec::new();
    MsgPack
        .encode(
            &Message::Event {
                subscription: SUBSCRIPTION,
                publication: 1,
                details: Dict::new(),
                args: vec![Value::from(1u64)],
                kwargs: Dict::new(),
            },
            &mut payload,
        )
        .unwrap();
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frames = Vec::new();
    for _ in 0..n {
        frames.extend_from_slice(&[0, len[1], len[2], len[3]]);
        frames.extend_from_slice(&payload);
    }
    frames
}

/// What an event flood did.
#[derive(Debug)]
struct EventFlood {
    sent: u64,
    handled: u64,
    dropped: u64,
    pending: usize,
    took: Duration,
    start_kib: u64,
    peak_kib: u64,
}

/// Floods a subscription with `overflow` and a handler sleeping 10 ms with [`EVENTS`] events,
/// until every event was handled, queued or dropped (or, with `window`, for that long).
async fn event_flood(overflow: Overflow, window: Option<Duration>) -> EventFlood {
    let mut router = FakeRouter::rawsocket(MsgPack);
    let config = router.config().no_keepalive();
    let (session, mut peer) = router.join(&config, JoinOptions::new("realm1")).await;
    let handled = Arc::new(AtomicU64::new(0));
    let options = SubscribeOptions::default().overflow(overflow);
    let subscribing = session.subscribe_with("com.flood.events", options, {
        let handled = Arc::clone(&handled);
        move |_n: u64| {
            let handled = Arc::clone(&handled);
            async move {
                handled.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let (sub, topic) = tokio::join!(subscribing, peer.answer_subscribe(SUBSCRIPTION));
    let sub = sub.unwrap();
    assert_eq!(topic, "com.flood.events");

    let sampler = RssSampler::start(Duration::from_millis(10));
    let started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let flooding = tokio::spawn({
        let sent = Arc::clone(&sent);
        async move {
            let chunk = event_frames(CHUNK);
            for _ in 0..EVENTS / CHUNK {
                peer.write_bytes(&chunk).await;
                sent.fetch_add(CHUNK, Ordering::SeqCst);
            }
            peer
        }
    });
    let took = match window {
        Some(window) => {
            tokio::time::sleep(window).await;
            started.elapsed()
        }
        None => {
            within(LIMIT, "every event handled, queued or dropped", async {
                while handled.load(Ordering::SeqCst) + sub.pending() as u64 + sub.dropped() < EVENTS
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await;
            started.elapsed()
        }
    };
    let flood = EventFlood {
        sent: sent.load(Ordering::SeqCst),
        handled: handled.load(Ordering::SeqCst),
        dropped: sub.dropped(),
        pending: sub.pending(),
        took,
        start_kib: sampler.start_kib(),
        peak_kib: sampler.peak_kib(),
    };
    flooding.abort();
    drop(session);
    println!(
        "{overflow:?}: {} events sent in {:.1} s, {} handled, {} queued, {} dropped; resident {:.1} MiB before, {:.1} MiB at the peak (+{:.1} MiB)",
        flood.sent,
        flood.took.as_secs_f64(),
        flood.handled,
        flood.pending,
        flood.dropped,
        mib(flood.start_kib),
        mib(flood.peak_kib),
        mib(flood.peak_kib.saturating_sub(flood.start_kib)),
    );
    flood
}

fn assert_bounded(flood: &EventFlood) {
    let growth = flood.peak_kib.saturating_sub(flood.start_kib);
    assert!(
        growth <= EVENT_FLOOD_GROWTH_KIB,
        "resident memory grew by {:.1} MiB: {flood:?}",
        mib(growth)
    );
    assert!(
        flood.pending <= SubscribeOptions::DEFAULT_QUEUE_CAPACITY,
        "{flood:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_to_a_sleeping_handler_that_drops_the_newest_stay_within_bounded_memory() {
    let _turn = TURN.lock().await;
    let flood = event_flood(Overflow::DropNewest, None).await;
    assert_eq!(flood.sent, EVENTS);
    assert!(flood.dropped > EVENTS / 2, "{flood:?}");
    assert_bounded(&flood);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_to_a_sleeping_handler_that_drops_the_oldest_stay_within_bounded_memory() {
    let _turn = TURN.lock().await;
    let flood = event_flood(Overflow::DropOldest, None).await;
    assert_eq!(flood.sent, EVENTS);
    assert!(flood.dropped > EVENTS / 2, "{flood:?}");
    assert_bounded(&flood);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_to_a_sleeping_handler_that_pauses_are_held_back_with_bounded_memory() {
    let _turn = TURN.lock().await;
    let flood = event_flood(Overflow::Pause, Some(PAUSE_WINDOW)).await;
    assert_eq!(flood.dropped, 0, "pausing drops nothing: {flood:?}");
    // The router could send only what the pipe, the read buffer and the queue hold, plus
    // what the handler took meanwhile: the rest is held back at the router.
    assert!(
        flood.sent < EVENTS / 10,
        "the flood was not held back: {flood:?}"
    );
    assert!(flood.handled > 0, "{flood:?}");
    assert_bounded(&flood);
}

/// What the fake router's side of the invocation flood counted.
#[derive(Debug, Default)]
struct Answers {
    yields: u64,
    unavailable: u64,
}

impl Answers {
    fn take(&mut self, msg: Option<Message>, session: &wamp_client::Session) {
        match msg {
            Some(Message::Yield { .. }) => self.yields += 1,
            Some(Message::Error { error, .. }) if error.as_ref() == "wamp.error.unavailable" => {
                self.unavailable += 1
            }
            other => panic!(
                "unexpected answer after {self:?}: {other:?}; session closed: {:?}",
                session.close_details()
            ),
        }
    }

    fn total(&self) -> u64 {
        self.yields + self.unavailable
    }
}

/// Sends [`INVOCATIONS`] invocations of a callee sleeping 2 s (default invocation limits) and
/// reads every answer: reading what came after each 1,000 sent when `interleave` (as a router
/// reads while it writes), or only once everything is sent. Returns the answers and the
/// growth of resident memory.
async fn invocation_flood(interleave: bool) -> (Answers, u64) {
    let mut router = FakeRouter::rawsocket(MsgPack).buffer_size(16 << 20);
    let config = router.config().no_keepalive();
    let (session, mut peer) = router.join(&config, JoinOptions::new("realm1")).await;
    let registering = session.register("com.flood.slow", || async {
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let (reg, procedure) = tokio::join!(registering, peer.answer_register(REGISTRATION));
    let _reg = reg.unwrap();
    assert_eq!(procedure, "com.flood.slow");

    let sampler = RssSampler::start(Duration::from_millis(10));
    let started = Instant::now();
    let mut answers = Answers::default();
    within(LIMIT, "the invocation flood answered", async {
        for request in 1..=INVOCATIONS {
            peer.invoke(request, REGISTRATION, Dict::new(), vec![])
                .await;
            if interleave && request % 1_000 == 0 {
                // What has come so far (a read is cancel-safe: it only appends to a buffer).
                while let Ok(msg) =
                    tokio::time::timeout(Duration::from_millis(1), peer.recv()).await
                {
                    answers.take(msg, &session);
                }
            }
        }
        while answers.total() < INVOCATIONS {
            let msg = peer.recv().await;
            answers.take(msg, &session);
        }
    })
    .await;
    let took = started.elapsed();
    let (start, peak) = (sampler.start_kib(), sampler.peak_kib());
    let growth = peak.saturating_sub(start);
    println!(
        "{INVOCATIONS} invocations (interleaved: {interleave}) answered in {:.1} s: {} ran, {} unavailable; resident {:.1} MiB before, {:.1} MiB at the peak (+{:.1} MiB)",
        took.as_secs_f64(),
        answers.yields,
        answers.unavailable,
        mib(start),
        mib(peak),
        mib(growth)
    );
    let admitted =
        (JoinOptions::DEFAULT_MAX_INVOCATIONS + JoinOptions::DEFAULT_INVOCATION_QUEUE) as u64;
    assert!(answers.yields >= admitted.min(INVOCATIONS), "{answers:?}");
    assert_eq!(answers.total(), INVOCATIONS);
    (answers, growth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_invocations_to_a_slow_callee_stay_within_bounded_memory() {
    let _turn = TURN.lock().await;
    let (_, growth) = invocation_flood(true).await;
    assert!(
        growth <= INVOCATION_FLOOD_GROWTH_KIB,
        "resident memory grew by {:.1} MiB",
        mib(growth)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_invocations_sent_before_any_answer_is_read_are_all_answered() {
    let _turn = TURN.lock().await;
    invocation_flood(false).await;
}
