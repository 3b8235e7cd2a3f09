//! The reliability suite, through the fault proxy and against both routers (`crossbar::NAME`,
//! `ours::NAME`):
//! - the fault matrix: while a component and a caller session keep 1,000 calls in flight (a
//!   callee answering after 20 ms) and a stream of acknowledged publications goes to a
//!   subscriber (the workload of [`wamp_suite::workload`]), the router is frozen for 4 s, then
//!   killed for 3 s, then restarted. Checked: every call ends, with its result or a typed
//!   error, within its timeout (5 s) + 1 s; every *protected* publication (acknowledged while
//!   the subscriber's session was ready before it was sent and the same when the
//!   acknowledgement came, and that session stayed up) is delivered within 5 s; the component
//!   notices the freeze within keepalive interval + timeout + slack,
//!   reconnects after the thaw and after the restart, and calls and publications work again;
//!   resident memory under the same load is within 8 MiB of its level before the faults;
//! - half-open connections (the proxy a black hole) noticed by keepalive (1 s + 1 s), by a
//!   session within interval + timeout + 1.5 s on WebSocket (ping) and RawSocket (probe), and
//!   the component as soon, and back once the proxy forwards again;
//! - 100 reconnect cycles (the proxies dropping every connection) with 100 calls in flight and
//!   the publication stream, with no growth in tasks, descriptors (at most 4) or memory (at
//!   most 4 MiB) between cycle 10 and cycle 100, counted with the workload paused.
//!
//! Freezing: Crossbar.io runs as a process group of its own, which gets SIGSTOP (and SIGCONT
//! from a drop guard, [`wamp_suite::Frozen`], even when the test panics). Our router runs inside
//! this test process, where SIGSTOP would stop the test too: it is frozen by the fault proxies
//! instead ([`FaultMode::Freeze`]: connections stay open, nothing is read either way, the bytes
//! wait in the kernel's buffers), which is what the client sees of a stopped process.
//!
//! The tests take turns (a lock): memory and descriptor counts are process-wide, and 1,000
//! calls in flight keep both cores busy.

use std::time::{Duration, Instant};

use wamp_client::{
    Component, LifecycleEvent, RetryPolicy, Session, TransportConfig, TransportSpec,
};
use wamp_client::{JoinOptions, WampError};
use wamp_suite::measure::{mib, rss_kib, Counts};
use wamp_suite::workload::{Figures, Workload, WorkloadConfig};
use wamp_suite::{
    within, Endpoint, FaultMode, FaultProxy, Frozen, Ours, Router, RouterKind, TestRouter,
};

/// The tests take turns (see the module's docs).
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Bound on the workload working (again): the component ready, the caller joined, calls and
/// publications succeeding.
const WORKING_LIMIT: Duration = Duration::from_secs(30);
/// How long the router stays frozen, and killed.
const FROZEN_FOR: Duration = Duration::from_secs(4);
const KILLED_FOR: Duration = Duration::from_secs(3);
/// Slack on top of keepalive interval + timeout for noticing a lost connection (a loaded
/// 2-core machine runs 1,000 calls meanwhile).
const DETECTION_SLACK: Duration = Duration::from_millis(1500);
/// How long after its timeout a call may take to end (a loaded 2-core machine).
const CALL_END_SLACK: Duration = Duration::from_secs(1);
/// How much more resident memory than before the faults the workload may hold afterwards
/// (under the same load): allocator caches, the router's (ours runs in this process).
const RSS_TOLERANCE_KIB: u64 = 8 * 1024;

/// A private router of either kind, which the test freezes, kills and restarts.
enum Private {
    Crossbar(Router),
    Ours(Ours),
}

/// A frozen router: thawed on drop.
enum Freeze<'a> {
    Process(#[allow(dead_code)] Frozen),
    Proxies(Vec<&'a FaultProxy>),
}

impl Drop for Freeze<'_> {
    fn drop(&mut self) {
        if let Freeze::Proxies(proxies) = self {
            for proxy in proxies.iter() {
                proxy.set_mode(FaultMode::Forward);
            }
        }
    }
}

impl Private {
    fn start(kind: RouterKind) -> Private {
        match kind {
            RouterKind::Crossbar => Private::Crossbar(Router::start()),
            RouterKind::Ours => Private::Ours(Ours::start()),
        }
    }

    fn router(&self) -> &dyn TestRouter {
        match self {
            Private::Crossbar(r) => r,
            Private::Ours(r) => r,
        }
    }

    /// Crossbar.io: SIGSTOP to its processes. Ours (in this process): the proxies freeze.
    fn freeze<'a>(&self, proxies: &[&'a FaultProxy]) -> Freeze<'a> {
        match self {
            Private::Crossbar(r) => {
                let pid = r.pid().expect("crossbar runs");
                Freeze::Process(Frozen::process_group(pid))
            }
            Private::Ours(_) => {
                for proxy in proxies {
                    proxy.set_mode(FaultMode::Freeze);
                }
                Freeze::Proxies(proxies.to_vec())
            }
        }
    }
}

/// Waits (within `limit`) until the workload's component lost a session after `since`;
/// how long after `since` that was.
async fn lost_after(workload: &Workload, since: Instant, limit: Duration) -> Option<Duration> {
    tokio::time::timeout(limit, async {
        loop {
            if let Some(at) = workload.last_leave().filter(|&at| at > since) {
                return at - since;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .ok()
}

/// Asserts what every episode must hold: no call hung, nothing protected lost.
fn assert_sound(what: &str, workload: &Workload, figures: &Figures) {
    let lost = workload.check();
    assert!(
        lost.is_empty(),
        "{what}: protected publications lost: {lost:?}\n{figures}"
    );
    assert_eq!(figures.calls_hung, 0, "{what}: calls hung\n{figures}");
}

/// The keepalive of the half-open tests: a probe after 1 s of silence, 1 s for its answer.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(1);

/// A component and a plain session with keepalive, through a proxy that turns into a black
/// hole: both notice within interval + timeout + slack, reconnecting into the black hole
/// fails, and the component is back once the proxy forwards again.
async fn half_open(router: &dyn TestRouter) {
    let bound = KEEPALIVE_INTERVAL + KEEPALIVE_TIMEOUT + DETECTION_SLACK;
    for endpoint in [Endpoint::Ws, Endpoint::Rs] {
        let proxy = FaultProxy::start(router.addr(endpoint).unwrap());
        let config = TransportConfig::new(&proxy.url(endpoint))
            .unwrap()
            .keepalive(KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT)
            .connect_timeout(Duration::from_secs(2));
        let procedure = format!("com.reliability.half_open.{endpoint}");
        let retry = RetryPolicy::default()
            .initial_retry_delay(Duration::from_millis(100))
            .max_retry_delay(Duration::from_millis(500));
        let comp = Component::builder()
            .transport(TransportSpec::new(config.clone()).retry(retry))
            .realm("realm1")
            .procedure(
                procedure.as_str(),
                |n: u64| async move { Ok::<_, WampError>(n) },
            )
            .build()
            .unwrap();
        let handle = comp.start();
        let mut events = handle.events();
        within(WORKING_LIMIT, "ready", handle.ready())
            .await
            .unwrap();
        // A plain session on the same proxy, with the same keepalive.
        let session = Session::join(&config, JoinOptions::new("realm1"))
            .await
            .unwrap();
        let r: u64 = session.call(&procedure, (7,)).await.unwrap();
        assert_eq!(r, 7);

        proxy.set_mode(FaultMode::BlackHole);
        let holed_at = Instant::now();
        let session_lost = tokio::spawn(async move {
            within(bound * 3, "the session lost", session.closed()).await;
            holed_at.elapsed()
        });
        let component_lost = within(bound * 3, "the component's session lost", async {
            loop {
                match events.next().await {
                    Some(LifecycleEvent::Leave { .. }) => return holed_at.elapsed(),
                    Some(_) => {}
                    None => panic!("the component ended"),
                }
            }
        })
        .await;
        let session_lost = session_lost.await.unwrap();
        println!(
            "{endpoint}: half-open noticed after {component_lost:?} (component), {session_lost:?} (session); bound {bound:?}"
        );
        assert!(
            session_lost <= bound,
            "{endpoint}: the session noticed after {session_lost:?}"
        );
        assert!(
            component_lost <= bound,
            "{endpoint}: the component noticed after {component_lost:?}"
        );
        // Reconnecting into the black hole fails (the connect timeout), until it heals.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!handle.is_ready());
        proxy.set_mode(FaultMode::Forward);
        within(WORKING_LIMIT, "ready again", async {
            loop {
                match events.next().await {
                    Some(LifecycleEvent::Ready { .. }) => return,
                    Some(_) => {}
                    None => panic!("the component ended"),
                }
            }
        })
        .await;
        let r: u64 = within(
            WORKING_LIMIT,
            "a call after healing",
            handle.call(&procedure, (8,)),
        )
        .await
        .unwrap();
        assert_eq!(r, 8);
        within(WORKING_LIMIT, "stop", handle.stop()).await.unwrap();
    }
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_frozen_a_killed_and_a_restarted_router_hang_no_call_lose_no_acknowledged_publication_and_leave_memory_at_its_baseline(kind: RouterKind) {
        let _turn = TURN.lock().await;
        let private = tokio::task::block_in_place(|| Private::start(kind));
        let router = private.router();
        let ws = FaultProxy::start(router.addr(Endpoint::Ws).unwrap());
        let rs = FaultProxy::start(router.addr(Endpoint::Rs).unwrap());
        let config = WorkloadConfig::new(&ws.url(Endpoint::Ws), &rs.url(Endpoint::Rs));
        let (keepalive, call_timeout) = (config.keepalive, config.call_timeout);
        let workload = Workload::start(config);
        assert!(
            workload.until_working(2_000, 20, WORKING_LIMIT).await,
            "the workload works\n{}", workload.figures()
        );
        // The baseline, under load.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let lost = workload.settle(Duration::from_secs(10)).await;
        assert!(lost.is_empty(), "lost before any fault: {lost:?}");
        let baseline = rss_kib();
        println!("{kind}: working, {:.1} MiB resident\n{}", mib(baseline), workload.figures());

        // (b) Frozen: keepalive notices, the calls in flight end, the component comes back
        // once the router is thawed.
        let readies = workload.component_readies();
        let frozen_at = Instant::now();
        let detected = {
            let _frozen = private.freeze(&[&ws, &rs]);
            let bound = keepalive.0 + keepalive.1 + DETECTION_SLACK;
            let detected = lost_after(&workload, frozen_at, FROZEN_FOR.max(bound)).await;
            tokio::time::sleep(FROZEN_FOR.saturating_sub(frozen_at.elapsed())).await;
            let detected = detected.unwrap_or_else(|| panic!("a frozen router not noticed\n{}", workload.figures()));
            assert!(detected <= bound, "the frozen router noticed after {detected:?}, over {bound:?}");
            detected
        };
        assert!(
            workload.until_working(500, 10, WORKING_LIMIT).await,
            "works again after the freeze\n{}", workload.figures()
        );
        assert!(workload.component_readies() > readies, "the component reconnected");
        let lost = workload.settle(Duration::from_secs(10)).await;
        assert!(lost.is_empty(), "lost around the freeze: {lost:?}");
        let figures = workload.figures();
        println!("{kind}: frozen for {FROZEN_FOR:?}, noticed after {detected:?}\n{figures}");
        assert_sound("frozen", &workload, &figures);

        // (a) Killed: every call in flight ends at once or at its timeout.
        let readies = workload.component_readies();
        let killed_at = Instant::now();
        tokio::task::block_in_place(|| private.router().kill());
        let detected = lost_after(&workload, killed_at, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("a killed router not noticed\n{}", workload.figures()));
        // Long enough for the calls waiting for a session to time out.
        tokio::time::sleep(KILLED_FOR.saturating_sub(killed_at.elapsed())).await;
        let figures = workload.figures();
        println!("{kind}: killed, noticed after {detected:?}\n{figures}");
        assert_sound("killed", &workload, &figures);

        // (c) Restarted: the component and the caller come back and work.
        tokio::task::block_in_place(|| private.router().restart());
        let restarted_at = Instant::now();
        assert!(
            workload.until_working(500, 10, WORKING_LIMIT).await,
            "works again after the restart\n{}", workload.figures()
        );
        assert!(workload.component_readies() > readies, "the component reconnected");
        println!("{kind}: restarted, working again after {:?}", restarted_at.elapsed());
        let lost = workload.settle(Duration::from_secs(10)).await;
        assert!(lost.is_empty(), "lost around the restart: {lost:?}");

        // Memory back at its level, under the same load.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss_kib();
        let figures = workload.finish().await;
        println!(
            "{kind}: after the episodes {:.1} MiB resident (baseline {:.1} MiB)\n{figures}",
            mib(after), mib(baseline)
        );
        assert_eq!(figures.calls_hung, 0, "{figures}");
        assert_eq!(figures.lost, 0, "{figures}");
        // Every call ended by its timeout at the latest (none needed the hang slack).
        assert!(
            figures.max_call_latency <= call_timeout + CALL_END_SLACK,
            "a call took {:?}", figures.max_call_latency
        );
        assert!(figures.component_reconnects >= 2, "{figures}");
        assert!(figures.calls_ok > 0 && figures.calls_failed > 0, "{figures}");
        assert!(
            after <= baseline + RSS_TOLERANCE_KIB,
            "resident memory {:.1} MiB after the episodes, {:.1} MiB before",
            mib(after), mib(baseline)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_half_open_connection_is_noticed_by_keepalive_within_interval_plus_timeout_and_the_component_comes_back(router) {
        let _turn = TURN.lock().await;
        half_open(router).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hundred_reconnect_cycles_under_load_leave_no_growth_in_tasks_descriptors_or_memory(router) {
        let _turn = TURN.lock().await;
        const CYCLES: usize = 100;
        const WARM_UP: usize = 10;
        let ws = FaultProxy::start(router.addr(Endpoint::Ws).unwrap());
        let rs = FaultProxy::start(router.addr(Endpoint::Rs).unwrap());
        let mut config = WorkloadConfig::new(&ws.url(Endpoint::Ws), &rs.url(Endpoint::Rs));
        config.calls_in_flight = 100;
        config.callee_delay = Duration::from_millis(1);
        let workload = Workload::start(config);
        assert!(workload.until_working(200, 20, WORKING_LIMIT).await, "{}", workload.figures());
        let started = Instant::now();
        let mut before = None;
        for cycle in 0..=CYCLES {
            if cycle == WARM_UP {
                assert!(workload.pause(Duration::from_secs(10)).await, "calls drain");
                tokio::time::sleep(Duration::from_millis(300)).await;
                before = Some(Counts::now());
                workload.resume();
            }
            if cycle == CYCLES {
                break;
            }
            let (readies, joins) = (workload.component_readies(), workload.caller_joins());
            ws.drop_connections();
            rs.drop_connections();
            within(WORKING_LIMIT, "a reconnect", async {
                while workload.component_readies() == readies || workload.caller_joins() == joins {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await;
            assert!(
                workload.until_working(20, 2, WORKING_LIMIT).await,
                "cycle {cycle}: works again\n{}", workload.figures()
            );
        }
        let cycles_took = started.elapsed();
        assert!(workload.pause(Duration::from_secs(10)).await, "calls drain");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = Counts::now();
        let before = before.unwrap();
        workload.resume();
        let lost = workload.settle(Duration::from_secs(10)).await;
        let figures = workload.finish().await;
        println!(
            "{} cycles in {cycles_took:?}: after {WARM_UP} cycles {before}, after {CYCLES} cycles {after}\n{figures}",
            CYCLES
        );
        assert!(lost.is_empty(), "lost: {lost:?}");
        assert_eq!(figures.calls_hung, 0, "{figures}");
        assert_eq!(figures.lost, 0, "{figures}");
        assert!(figures.component_reconnects >= CYCLES as u64, "{figures}");
        assert!(figures.caller_reconnects >= CYCLES as u64, "{figures}");
        assert!(after.tasks <= before.tasks + 2, "tasks grew: {before} -> {after}");
        assert!(after.fds <= before.fds + 4, "descriptors grew: {before} -> {after}");
        assert!(
            after.rss_kib <= before.rss_kib + 4096,
            "memory grew by more than 4 MiB: {before} -> {after}"
        );
    }
}
