//! Flow control the user chooses, through Crossbar.io 26.10.1 and through our router (every
//! test runs against both: `crossbar::NAME`, `ours::NAME`):
//! - a subscription's bounded queue and its overflow policy: the newest events dropped, the
//!   oldest dropped (the newest kept), or the session's reading paused (nothing lost, the
//!   queue never above its bound), for a slow stream reader and a slow handler;
//! - a call's progressive results in a bounded queue with the same three policies;
//! - a session's invocations bounded: a flood of 20,000 invocations to a slow callee runs at
//!   most `max_invocations` at once, queues a bounded number and answers the rest
//!   `wamp.error.unavailable`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use wamp_client::{
    Component, Event, EventStream, Invocation, JoinOptions, Overflow, Payload, Session,
    SubscribeOptions, WampError,
};
use wamp_suite::{within, CapturedLog, TestRouter};

const LIMIT: Duration = Duration::from_secs(60);
/// How many events (or progressive results) a burst has.
const BURST: u64 = 5_000;
/// The queue bound of the tests.
const BOUND: usize = 100;

/// Waits (polling, within [`LIMIT`]) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    within(LIMIT, what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

fn number(event: &Event) -> u64 {
    event.payload.args_as::<(u64,)>().expect("one number").0
}

/// The WARN lines logged in this test binary (a subscriber installed once, for every test).
#[derive(Clone, Default)]
struct Warnings(CapturedLog);

impl Warnings {
    /// The lines logged that contain `needle`.
    fn lines_with(&self, needle: &str) -> usize {
        self.0.text().lines().filter(|l| l.contains(needle)).count()
    }
}

fn warnings() -> &'static Warnings {
    static WARNINGS: OnceLock<Warnings> = OnceLock::new();
    WARNINGS.get_or_init(|| {
        let captured = Warnings::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(captured.0.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    })
}

/// A subscriber's stream of `topic` with a queue of [`BOUND`] and `overflow`, and a publisher.
async fn stream_and_publisher(
    router: &dyn TestRouter,
    topic: &str,
    overflow: Overflow,
) -> (Session, EventStream, Session) {
    let subscriber = Session::connect(&router.ws_url(), "realm1").await.unwrap();
    let options = SubscribeOptions::default()
        .queue_capacity(BOUND)
        .overflow(overflow);
    let stream = subscriber.subscribe_stream(topic, options).await.unwrap();
    let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
    (subscriber, stream, publisher)
}

/// Publishes `0..BURST` on `topic`, as fast as the session takes them.
async fn burst(publisher: &Session, topic: &str) {
    within(LIMIT, "the burst", async {
        for i in 0..BURST {
            publisher.publish(topic, (i,)).await.unwrap();
        }
    })
    .await;
}

/// A callee of `procedure` that sends `n` progressive results `0..n` (letting its session
/// send them every 50) and then the final result `n`.
async fn progressive_callee(router: &dyn TestRouter, procedure: &str) -> Session {
    let callee = Session::connect(&router.ws_url(), "realm1").await.unwrap();
    callee
        .register(procedure, |inv: Invocation| async move {
            let n: u64 = inv.payload.arg(0).unwrap_or(0);
            for i in 0..n {
                assert!(inv.progress().send(i), "progress wanted and sent");
                if i % 50 == 49 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            Ok::<_, WampError>(Payload::args(&(n,)).unwrap())
        })
        .await
        .unwrap();
    callee
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_drop_newest_subscription_keeps_the_first_events_and_counts_the_rest(router) {
        let topic = "com.flow.drop_newest";
        let (_s, mut stream, publisher) = stream_and_publisher(router, topic, Overflow::DropNewest).await;
        // The reader does not read until every event has come or been dropped.
        burst(&publisher, topic).await;
        until("every event queued or dropped", || {
            stream.pending() as u64 + stream.dropped() == BURST
        })
        .await;
        assert_eq!(stream.pending(), BOUND);
        assert_eq!(stream.dropped(), BURST - BOUND as u64);
        for want in 0..BOUND as u64 {
            let e = within(LIMIT, "a queued event", stream.next()).await.unwrap();
            assert_eq!(number(&e), want);
        }
        assert_eq!(stream.pending(), 0);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_overflow_episode_logs_one_warning_however_many_events_it_drops(router) {
        let warnings = warnings();
        // A topic of this router's own: both routers' tests share the log.
        let port: String = router.ws_url().chars().filter(char::is_ascii_digit).collect();
        let topic = format!("com.flow.log_once.p{port}");
        let (_s, mut stream, publisher) = stream_and_publisher(router, &topic, Overflow::DropNewest).await;
        burst(&publisher, &topic).await;
        until("every event queued or dropped", || {
            stream.pending() as u64 + stream.dropped() == BURST
        })
        .await;
        assert_eq!(stream.dropped(), BURST - BOUND as u64);
        assert_eq!(warnings.lines_with(&topic), 1, "one warning for {} drops", stream.dropped());
        // Reading ends the episode; the next burst starts another, with one more warning.
        for _ in 0..BOUND {
            within(LIMIT, "a queued event", stream.next()).await.unwrap();
        }
        burst(&publisher, &topic).await;
        until("every event queued or dropped", || {
            stream.pending() as u64 + stream.dropped() == 2 * BURST - BOUND as u64
        })
        .await;
        assert_eq!(warnings.lines_with(&topic), 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_drop_oldest_subscription_keeps_the_newest_events(router) {
        let topic = "com.flow.drop_oldest";
        let (_s, mut stream, publisher) = stream_and_publisher(router, topic, Overflow::DropOldest).await;
        burst(&publisher, topic).await;
        until("every event queued or dropped", || {
            stream.pending() as u64 + stream.dropped() == BURST
        })
        .await;
        assert_eq!(stream.pending(), BOUND);
        assert_eq!(stream.dropped(), BURST - BOUND as u64);
        for want in BURST - BOUND as u64..BURST {
            let e = within(LIMIT, "a queued event", stream.next()).await.unwrap();
            assert_eq!(number(&e), want, "the newest are kept, in order");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_pausing_subscription_loses_nothing_and_never_holds_more_than_its_bound(router) {
        let topic = "com.flow.pause";
        let (_s, mut stream, publisher) = stream_and_publisher(router, topic, Overflow::Pause).await;
        let publishing = tokio::spawn(async move { burst(&publisher, topic).await; publisher });
        let mut most = 0;
        for want in 0..BURST {
            let Some(e) = within(LIMIT, "the next event", stream.next()).await else {
                panic!("ended early at {want}, closed: {:?}", _s.close_details());
            };
            assert_eq!(number(&e), want, "every event, in order");
            most = most.max(stream.pending());
            assert!(stream.pending() <= BOUND, "{} events wait", stream.pending());
            // A slow reader (about 25,000 events a second, slower than the publisher), yet
            // not so slow that a loaded machine stalls it past our router's slow-consumer
            // timeout (2 s), which would cut it off.
            if want % 50 == 49 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        assert_eq!(stream.dropped(), 0);
        assert!(most >= BOUND / 2, "the queue filled up ({most}): the reader was the slow one");
        let _publisher = within(LIMIT, "the publisher", publishing).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_slow_handler_on_a_pausing_subscription_sees_every_event_with_a_bounded_queue(router) {
        let topic = "com.flow.pause_handler";
        let subscriber = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let in_order = Arc::new(AtomicUsize::new(1));
        let options = SubscribeOptions::default().queue_capacity(BOUND).overflow(Overflow::Pause);
        let sub = subscriber
            .subscribe_with(topic, options, {
                let (seen, in_order) = (seen.clone(), in_order.clone());
                move |n: u64| {
                    let (seen, in_order) = (seen.clone(), in_order.clone());
                    async move {
                        if seen.fetch_add(1, Ordering::SeqCst) as u64 != n {
                            in_order.store(0, Ordering::SeqCst);
                        }
                        // Slow (see the pausing stream's test), not too slow.
                        if n % 50 == 49 {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                    }
                }
            })
            .await
            .unwrap();
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let publishing = tokio::spawn(async move { burst(&publisher, topic).await; publisher });
        let mut most = 0;
        until("every event handled", || {
            most = most.max(sub.pending());
            seen.load(Ordering::SeqCst) as u64 == BURST
        })
        .await;
        assert!(most <= BOUND, "{most} events waited");
        assert_eq!(in_order.load(Ordering::SeqCst), 1, "every event, in order");
        assert_eq!(sub.dropped(), 0);
        let _publisher = within(LIMIT, "the publisher", publishing).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_slow_handler_on_a_drop_newest_subscription_drops_and_counts_what_does_not_fit(router) {
        let topic = "com.flow.newest_handler";
        let subscriber = Session::connect(&router.ws_url(), "realm1").await.unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let last = Arc::new(AtomicUsize::new(0));
        let options = SubscribeOptions::default().queue_capacity(BOUND);
        let sub = subscriber
            .subscribe_with(topic, options, {
                let (seen, last) = (seen.clone(), last.clone());
                move |n: u64| {
                    let (seen, last) = (seen.clone(), last.clone());
                    async move {
                        seen.fetch_add(1, Ordering::SeqCst);
                        assert!(n as usize >= last.swap(n as usize, Ordering::SeqCst), "in order");
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            })
            .await
            .unwrap();
        let publisher = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        burst(&publisher, topic).await;
        until("every event handled or dropped", || {
            seen.load(Ordering::SeqCst) as u64 + sub.dropped() == BURST
        })
        .await;
        assert!(sub.dropped() > 0, "a handler sleeping 1 ms cannot keep up with a burst");
        assert!(sub.pending() <= BOUND);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn progressive_results_beyond_a_drop_newest_queue_are_dropped_and_counted(router) {
        let _callee = progressive_callee(router, "com.flow.progress_newest").await;
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let mut p = caller
            .call::<_, u64>("com.flow.progress_newest", (BURST,))
            .progress_with::<u64>(BOUND, Overflow::DropNewest);
        // The first is read at once (the call goes out), the rest only once all have come.
        assert_eq!(within(LIMIT, "the first result", p.next()).await.unwrap().unwrap(), 0);
        until("every result queued or dropped", || p.pending() as u64 + p.dropped() == BURST - 1).await;
        assert_eq!(p.pending(), BOUND);
        let mut rest = Vec::new();
        while let Some(x) = within(LIMIT, "a progressive result", p.next()).await {
            rest.push(x.unwrap());
        }
        // The oldest are kept: 1 .. BOUND - 1 for sure (the last place may have gone to a
        // later one when results came while the first was being read), in order.
        assert_eq!(rest.len(), BOUND);
        assert_eq!(rest[..BOUND - 1], (1..BOUND as u64).collect::<Vec<_>>());
        assert!(rest.windows(2).all(|w| w[0] < w[1]), "{rest:?}");
        assert_eq!(p.dropped(), BURST - 1 - BOUND as u64);
        assert_eq!(within(LIMIT, "the final result", p.result()).await.unwrap(), BURST);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn progressive_results_beyond_a_drop_oldest_queue_leave_the_newest(router) {
        let _callee = progressive_callee(router, "com.flow.progress_oldest").await;
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let mut p = caller
            .call::<_, u64>("com.flow.progress_oldest", (BURST,))
            .progress_with::<u64>(BOUND, Overflow::DropOldest);
        // The first one read is the oldest still queued (0, unless more than BOUND came
        // before the reader woke).
        let first = within(LIMIT, "the first result", p.next()).await.unwrap().unwrap();
        assert!(first < BURST - BOUND as u64, "{first}");
        until("every result queued or dropped", || p.pending() as u64 + p.dropped() == BURST - 1).await;
        let mut rest = Vec::new();
        while let Some(x) = within(LIMIT, "a progressive result", p.next()).await {
            rest.push(x.unwrap());
        }
        // The newest are kept, in order, up to the last one sent.
        assert_eq!(rest.len(), BOUND, "{rest:?}");
        assert_eq!(rest.last(), Some(&(BURST - 1)), "{rest:?}");
        assert!(rest.windows(2).all(|w| w[0] < w[1]), "{rest:?}");
        assert!(rest[0] >= BURST - 2 * BOUND as u64, "{rest:?}");
        assert_eq!(within(LIMIT, "the final result", p.result()).await.unwrap(), BURST);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn progressive_results_into_a_pausing_queue_all_arrive_and_never_exceed_the_bound(router) {
        let _callee = progressive_callee(router, "com.flow.progress_pause").await;
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let mut p = caller
            .call::<_, u64>("com.flow.progress_pause", (BURST,))
            .progress_with::<u64>(BOUND, Overflow::Pause);
        let mut want = 0;
        while let Some(x) = within(LIMIT, "a progressive result", p.next()).await {
            assert_eq!(x.unwrap(), want, "every result, in order");
            assert!(p.pending() <= BOUND, "{} results wait", p.pending());
            want += 1;
            if want % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        if want != BURST {
            let r = p.result().await;
            panic!("ended early at {want}: {r:?}, closed: {:?}", caller.close_details());
        }
        assert_eq!(p.dropped(), 0);
        assert_eq!(within(LIMIT, "the final result", p.result()).await.unwrap(), BURST);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_flood_of_invocations_runs_at_most_the_session_limit_and_the_rest_are_unavailable(router) {
        const FLOOD: usize = 20_000;
        const RUNNING: usize = 50;
        const WAITING: usize = 500;
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let callee = Session::join(
            &wamp_client::TransportConfig::new(&router.ws_url()).unwrap(),
            JoinOptions::new("realm1").max_invocations(RUNNING).invocation_queue(WAITING),
        )
        .await
        .unwrap();
        callee
            .register("com.flow.slow", {
                let (running, most) = (running.clone(), most.clone());
                move || {
                    let (running, most) = (running.clone(), most.clone());
                    async move {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            })
            .await
            .unwrap();
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let started = Instant::now();
        let mut calls: FuturesUnordered<_> =
            (0..FLOOD).map(|_| caller.call::<_, ()>("com.flow.slow", ())).collect();
        let (mut ok, mut unavailable) = (0, 0);
        while let Some(r) = within(LIMIT, "the next answer", calls.next()).await {
            match r {
                Ok(()) => ok += 1,
                Err(e) if e.uri() == Some("wamp.error.unavailable") => unavailable += 1,
                Err(e) => panic!("unexpected answer: {e}"),
            }
        }
        assert_eq!(ok + unavailable, FLOOD);
        assert!(most.load(Ordering::SeqCst) <= RUNNING, "{} ran at once", most.load(Ordering::SeqCst));
        assert_eq!(most.load(Ordering::SeqCst), RUNNING, "the limit was reached");
        assert!(ok >= RUNNING + WAITING, "those that fit ran ({ok})");
        assert!(unavailable > FLOOD / 2, "the rest were refused ({unavailable})");
        assert!(started.elapsed() < LIMIT);
        // The callee is fine afterwards.
        within(LIMIT, "a call after the flood", caller.call::<_, ()>("com.flow.slow", ())).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_component_with_max_invocations_bounds_the_invocations_of_its_sessions(router) {
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .join_options(JoinOptions::new("realm1").invocation_queue(1))
            .max_invocations(1)
            .procedure("com.flow.component_slow", || async {
                tokio::time::sleep(Duration::from_millis(500)).await;
            })
            .build()
            .unwrap();
        let handle = comp.start();
        within(LIMIT, "ready", handle.ready()).await.unwrap();
        let caller = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        // One runs, one waits, the third is refused.
        let calls: FuturesUnordered<_> = (0..3)
            .map(|_| caller.call::<_, ()>("com.flow.component_slow", ()))
            .collect();
        let answers: Vec<_> = within(LIMIT, "the answers", calls.collect()).await;
        let refused = answers
            .iter()
            .filter(|r| matches!(r, Err(e) if e.uri() == Some("wamp.error.unavailable")))
            .count();
        assert_eq!(refused, 1, "{answers:?}");
        assert_eq!(answers.iter().filter(|r| r.is_ok()).count(), 2);
        within(LIMIT, "stop", handle.stop()).await.unwrap();
    }
}
