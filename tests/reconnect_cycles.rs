//! 100 connect/drop cycles of a component leave no growth in tasks, file descriptors or
//! memory beyond noise, through Crossbar.io and through our router (`crossbar::NAME`,
//! `ours::NAME`, one after the other). In a test binary of its own, so that no other test
//! shares the process-wide counts.

use std::time::Duration;

use wamp_client::{
    Component, LifecycleEvent, RetryPolicy, TransportConfig, TransportSpec, WampError,
};
use wamp_suite::measure::Counts;
use wamp_suite::{Endpoint, FaultProxy};

const CYCLES: usize = 100;
const WARM_UP: usize = 10;
const LIMIT: Duration = Duration::from_secs(120);

/// The runs against each router take turns: the counts are process-wide (and our router runs
/// in this process, so its descriptors and memory count too).
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_hundred_connect_drop_cycles_leave_no_growth_in_tasks_descriptors_or_memory(router) {
        let _turn = TURN.lock().await;
        for endpoint in [Endpoint::Ws, Endpoint::Rs] {
            let proxy = FaultProxy::start(router.addr(endpoint).unwrap());
            let url = proxy.url(endpoint);
            let retry = RetryPolicy::default().initial_retry_delay(Duration::from_millis(50));
            let comp = Component::builder()
                .transport(TransportSpec::new(TransportConfig::new(&url).unwrap()).retry(retry))
                .realm("realm1")
                .procedure("com.cycles.add2", |a: i64, b: i64| async move {
                    Ok::<_, WampError>(a + b)
                })
                .subscription("com.cycles.topic", |_e: wamp_client::Event| async {})
                .build()
                .unwrap();
            let handle = comp.start();
            let mut events = handle.events();
            let mut before = None;
            tokio::time::timeout(LIMIT, async {
                for cycle in 0..=CYCLES {
                    loop {
                        match events.next().await {
                            Some(LifecycleEvent::Ready { .. }) => break,
                            Some(_) => {}
                            None => panic!("the component ended at cycle {cycle}"),
                        }
                    }
                    if cycle == WARM_UP {
                        before = Some(Counts::now());
                    }
                    if cycle < CYCLES {
                        proxy.drop_connections();
                    }
                }
            })
            .await
            .expect("100 reconnects in time");
            let before = before.unwrap();
            let after = Counts::now();
            println!("{url}: after {WARM_UP} cycles {before:?}, after {CYCLES} cycles {after:?}");
            assert!(
                after.tasks <= before.tasks + 2,
                "tasks grew: {before:?} -> {after:?}"
            );
            assert!(
                after.fds <= before.fds + 2,
                "file descriptors grew: {before:?} -> {after:?}"
            );
            assert!(
                after.rss_kib <= before.rss_kib + 2048,
                "memory grew by more than 2 MiB: {before:?} -> {after:?}"
            );
            assert_eq!(proxy.accepted(), CYCLES + 1);
            handle.stop().await.unwrap();
        }
    }
}
