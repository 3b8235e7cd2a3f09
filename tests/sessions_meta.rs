//! The typed meta API (`Session::meta`), through Crossbar.io 26.10.1 and through our router,
//! which must give the same typed answers: sessions (count, list, get, join and leave
//! events), registrations and subscriptions (lookup, list, match, get, their callees and
//! subscribers, and their create / register / unregister / delete events).

use std::time::Duration;

use wamp_client::{
    Attachment, CallError, MatchPolicy, MetaStream, RegisterOptions, Session, SubscribeOptions,
};
use wamp_suite::{within, TestRouter};

const LIMIT: Duration = Duration::from_secs(20);

async fn connect(router: &dyn TestRouter) -> Session {
    Session::connect(&router.ws_url(), "realm1").await.unwrap()
}

/// The next event of `stream` that `pick` accepts (other tests of this binary add their own
/// sessions, registrations and subscriptions to the same realm).
async fn next_matching<T: std::fmt::Debug>(
    stream: &mut MetaStream<T>,
    what: &str,
    pick: impl Fn(&T) -> bool,
) -> T {
    within(LIMIT, what, async {
        loop {
            let event = stream.next().await.expect("the meta subscription lives");
            if pick(&event) {
                return event;
            }
        }
    })
    .await
}

async fn add2(a: i64, b: i64) -> i64 {
    a + b
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn sessions_are_counted_listed_and_described(router) {
        let me = connect(router).await;
        let other = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let meta = me.meta();
        assert!(meta.session_count().await.unwrap() >= 2);
        let list = meta.session_list().await.unwrap();
        assert!(list.contains(&me.id()) && list.contains(&other.id()), "{list:?}");
        let role = other.details().authrole.clone().unwrap();
        assert!(meta.session_list_with_roles(&[&role]).await.unwrap().contains(&other.id()));
        assert!(meta.session_list_with_roles(&["nobody"]).await.unwrap().is_empty());
        assert_eq!(meta.session_count_with_roles(&["nobody"]).await.unwrap(), 0);
        let info = meta.session_get(other.id()).await.unwrap();
        let welcome = other.details();
        assert_eq!(info.session, other.id());
        assert_eq!(info.realm.as_deref(), Some("realm1"));
        assert_eq!(info.authid, welcome.authid);
        assert_eq!(info.authrole, welcome.authrole);
        assert_eq!(info.authmethod, welcome.authmethod);
        assert_eq!(info.authprovider, welcome.authprovider);
        let missing = meta.session_get(1).await.unwrap_err();
        assert_eq!(missing.uri(), Some("wamp.error.no_such_session"), "{missing}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_session_is_killed_with_the_reason_and_message_given(router) {
        let admin = connect(router).await;
        let victim = connect(router).await;
        admin
            .meta()
            .session_kill(victim.id(), Some("com.example.bye"), Some("maintenance"))
            .await
            .unwrap();
        let details = within(LIMIT, "the kill", victim.closed()).await;
        assert_eq!(details.reason, "com.example.bye");
        assert_eq!(details.message.as_deref(), Some("maintenance"));
        // The victim has its GOODBYE; the router forgets it once the victim's answer came.
        within(LIMIT, "the router forgetting the killed session", async {
            while admin.meta().session_get(victim.id()).await.is_ok() {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        })
        .await;
        let again = admin.meta().session_kill(victim.id(), None, None).await.unwrap_err();
        assert_eq!(again.uri(), Some("wamp.error.no_such_session"), "{again}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn joins_and_leaves_arrive_as_typed_events(router) {
        let watcher = connect(router).await;
        let mut joins = watcher.meta().on_session_join().await.unwrap();
        let mut leaves = watcher.meta().on_session_leave().await.unwrap();
        let newcomer = connect(router).await;
        let id = newcomer.id();
        let joined = next_matching(&mut joins, "on_join", |j| j.session == id).await;
        assert_eq!(joined.authid, newcomer.details().authid);
        assert_eq!(joined.authrole, newcomer.details().authrole);
        newcomer.leave().await.unwrap();
        let left = next_matching(&mut leaves, "on_leave", |l| l.session == id).await;
        assert_eq!(left.session, id);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn registrations_are_looked_up_matched_listed_and_described(router) {
        let callee = connect(router).await;
        let reg = callee.register("com.meta.reg.add2", add2).await.unwrap();
        let prefix = RegisterOptions::default().match_policy(MatchPolicy::Prefix);
        let pre = callee.register_with("com.meta.reg.pre.", prefix, add2).await.unwrap();
        let meta = connect(router).await;
        let meta = meta.meta();
        assert_eq!(meta.registration_lookup("com.meta.reg.add2", MatchPolicy::Exact).await.unwrap(), Some(reg.id()));
        assert_eq!(meta.registration_lookup("com.meta.reg.add2", MatchPolicy::Prefix).await.unwrap(), None);
        assert_eq!(meta.registration_lookup("com.meta.reg.pre.", MatchPolicy::Prefix).await.unwrap(), Some(pre.id()));
        assert_eq!(meta.registration_match("com.meta.reg.add2").await.unwrap(), Some(reg.id()));
        assert_eq!(meta.registration_match("com.meta.reg.pre.x.y").await.unwrap(), Some(pre.id()));
        assert_eq!(meta.registration_match("com.meta.reg.none").await.unwrap(), None);
        let info = meta.registration_get(reg.id()).await.unwrap();
        assert_eq!(info.id, reg.id());
        assert_eq!(info.uri, "com.meta.reg.add2");
        assert_eq!(info.match_policy, MatchPolicy::Exact);
        assert_eq!(info.invoke.as_deref(), Some("single"));
        assert_eq!(meta.registration_get(pre.id()).await.unwrap().match_policy, MatchPolicy::Prefix);
        let all = meta.registration_list().await.unwrap();
        assert!(all.exact.contains(&reg.id()) && all.prefix.contains(&pre.id()), "{all:?}");
        let mine = meta.registration_list_of(callee.id()).await.unwrap();
        assert_eq!(mine.exact, [reg.id()]);
        assert_eq!(mine.prefix, [pre.id()]);
        assert!(mine.wildcard.is_empty());
        assert_eq!(meta.registration_list_callees(reg.id()).await.unwrap(), [callee.id()]);
        assert_eq!(meta.registration_count_callees(reg.id()).await.unwrap(), 1);
        let missing: CallError = meta.registration_get(1).await.unwrap_err();
        assert_eq!(missing.uri(), Some("wamp.error.no_such_registration"), "{missing}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn registration_changes_arrive_as_typed_events(router) {
        let watcher = connect(router).await;
        let meta = watcher.meta();
        let mut created = meta.on_registration_create().await.unwrap();
        let mut registered = meta.on_registration_register().await.unwrap();
        let mut unregistered = meta.on_registration_unregister().await.unwrap();
        let mut deleted = meta.on_registration_delete().await.unwrap();
        let callee = connect(router).await;
        let me = callee.id();
        let reg = callee.register("com.meta.events.add2", add2).await.unwrap();
        let id = reg.id();
        let c = next_matching(&mut created, "on_create", |c| c.session == me).await;
        assert_eq!(c.info.id, id);
        assert_eq!(c.info.uri, "com.meta.events.add2");
        assert_eq!(c.info.match_policy, MatchPolicy::Exact);
        let is_ours = |a: &Attachment| a.session == me && a.id == id;
        next_matching(&mut registered, "on_register", is_ours).await;
        reg.unregister().await.unwrap();
        next_matching(&mut unregistered, "on_unregister", is_ours).await;
        next_matching(&mut deleted, "on_delete", is_ours).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn subscriptions_are_looked_up_matched_listed_and_described(router) {
        let subscriber = connect(router).await;
        let sub = subscriber.subscribe("com.meta.sub.topic", |_: wamp_client::Event| async {}).await.unwrap();
        let prefix = SubscribeOptions::default().match_policy(MatchPolicy::Prefix);
        let pre = subscriber.subscribe_with("com.meta.sub.", prefix, |_: wamp_client::Event| async {}).await.unwrap();
        let meta = connect(router).await;
        let meta = meta.meta();
        assert_eq!(meta.subscription_lookup("com.meta.sub.topic", MatchPolicy::Exact).await.unwrap(), Some(sub.id()));
        assert_eq!(meta.subscription_lookup("com.meta.sub.", MatchPolicy::Prefix).await.unwrap(), Some(pre.id()));
        assert_eq!(meta.subscription_lookup("com.meta.sub.none", MatchPolicy::Exact).await.unwrap(), None);
        let mut matching = meta.subscription_match("com.meta.sub.topic").await.unwrap();
        matching.sort_unstable();
        let mut expected = vec![sub.id(), pre.id()];
        expected.sort_unstable();
        assert_eq!(matching, expected);
        assert!(meta.subscription_match("com.meta.nothing.here").await.unwrap().is_empty());
        let info = meta.subscription_get(sub.id()).await.unwrap();
        assert_eq!(info.id, sub.id());
        assert_eq!(info.uri, "com.meta.sub.topic");
        assert_eq!(info.match_policy, MatchPolicy::Exact);
        let mine = meta.subscription_list_of(subscriber.id()).await.unwrap();
        assert_eq!(mine.exact, [sub.id()]);
        assert_eq!(mine.prefix, [pre.id()]);
        let all = meta.subscription_list().await.unwrap();
        assert!(all.exact.contains(&sub.id()) && all.prefix.contains(&pre.id()), "{all:?}");
        assert_eq!(meta.subscription_list_subscribers(sub.id()).await.unwrap(), [subscriber.id()]);
        assert_eq!(meta.subscription_count_subscribers(sub.id()).await.unwrap(), 1);
        let missing = meta.subscription_get(1).await.unwrap_err();
        assert_eq!(missing.uri(), Some("wamp.error.no_such_subscription"), "{missing}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn subscription_changes_arrive_as_typed_events(router) {
        let watcher = connect(router).await;
        let meta = watcher.meta();
        let mut created = meta.on_subscription_create().await.unwrap();
        let mut subscribed = meta.on_subscription_subscribe().await.unwrap();
        let mut unsubscribed = meta.on_subscription_unsubscribe().await.unwrap();
        let mut deleted = meta.on_subscription_delete().await.unwrap();
        let subscriber = connect(router).await;
        let me = subscriber.id();
        let sub = subscriber.subscribe("com.meta.events.topic", |_: wamp_client::Event| async {}).await.unwrap();
        let id = sub.id();
        let c = next_matching(&mut created, "on_create", |c| c.session == me).await;
        assert_eq!(c.info.id, id);
        assert_eq!(c.info.uri, "com.meta.events.topic");
        let is_ours = |a: &Attachment| a.session == me && a.id == id;
        next_matching(&mut subscribed, "on_subscribe", is_ours).await;
        sub.unsubscribe().await.unwrap();
        next_matching(&mut unsubscribed, "on_unsubscribe", is_ours).await;
        next_matching(&mut deleted, "on_delete", is_ours).await;
    }
}
