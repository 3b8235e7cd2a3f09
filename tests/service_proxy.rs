//! `#[service(prefix = "...", proxy)]`: a service's procedures and topics under a prefix
//! (Autobahn's `register(obj, prefix=...)`), and its typed caller proxy (WampSharp's
//! `GetCalleeProxy<T>`): the callee's methods and the caller's proxy come from one
//! definition, an impl block or a trait (which a crate of its own can hold, shared by the
//! callers and the callees). Through Crossbar.io and our router (`crossbar::NAME`,
//! `ours::NAME`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use wamp_client::handler::{ApplicationError, CallDetails, Kwargs, TypedCallError};
use wamp_client::{service, CallError, Component, Payload, PublishOptions, Session};

const LIMIT: Duration = Duration::from_secs(30);

/// The inventory's errors.
#[derive(Debug, Clone, PartialEq, ApplicationError)]
enum InventoryError {
    #[wamp(uri = "com.inventory.error.unknown_sku")]
    UnknownSku { sku: String },
    #[wamp(uri = "com.inventory.error.out_of_stock")]
    OutOfStock { sku: String, left: u32 },
}

/// Options of `find`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Find {
    #[serde(default)]
    prefix: String,
}

/// The inventory service: its procedures and topic are under `com.inventory.`.
struct Inventory {
    stock: Mutex<BTreeMap<String, u32>>,
    restocked: mpsc::UnboundedSender<(String, u32)>,
}

#[service(prefix = "com.inventory.", proxy)]
impl Inventory {
    /// Adds `count` items of `sku`; returns how many there are.
    #[register("add")]
    async fn add(&self, sku: String, count: u32) -> u32 {
        let mut stock = self.stock.lock().unwrap();
        let n = stock.entry(sku).or_default();
        *n += count;
        *n
    }

    /// Takes `count` items of `sku`; returns how many are left.
    #[register("take")]
    async fn take(
        &self,
        sku: String,
        count: u32,
        call: CallDetails,
    ) -> Result<u32, InventoryError> {
        assert_eq!(call.procedure, "com.inventory.take");
        let mut stock = self.stock.lock().unwrap();
        let Some(n) = stock.get_mut(&sku) else {
            return Err(InventoryError::UnknownSku { sku });
        };
        if *n < count {
            return Err(InventoryError::OutOfStock { sku, left: *n });
        }
        *n -= count;
        Ok(*n)
    }

    /// The SKUs starting with a prefix.
    #[register("find")]
    async fn find(&self, options: Kwargs<Find>) -> Vec<String> {
        let stock = self.stock.lock().unwrap();
        stock
            .keys()
            .filter(|k| k.starts_with(&options.0.prefix))
            .cloned()
            .collect()
    }

    /// How many SKUs there are, as a usize.
    #[register("count")]
    async fn count(&self) -> usize {
        self.stock.lock().unwrap().len()
    }

    /// Someone restocked.
    #[wamp_client::subscribe("restocked")]
    async fn on_restocked(&self, sku: String, count: u32) {
        let _ = self.restocked.send((sku, count));
    }
}

/// The definition callers and callees share (it could be a crate of its own): no code.
mod api {
    use wamp_client::handler::ApplicationError;
    use wamp_client::service;

    /// The greeter's errors.
    #[derive(Debug, PartialEq, ApplicationError)]
    pub enum GreetError {
        /// Nobody to greet.
        #[wamp(uri = "com.greeter.error.nobody")]
        Nobody,
    }

    /// The greeter: what it does, not how.
    #[service(prefix = "com.greeter.", proxy = "GreeterClient")]
    pub trait Greeter: Send + Sync + 'static {
        /// Greets `name`, `times` times.
        #[register("greet")]
        async fn greet(&self, name: String, times: usize) -> Result<String, GreetError>;

        /// How many greetings so far.
        #[register("count")]
        async fn count(&self) -> u64;
    }
}

/// A callee's implementation of the greeter.
#[derive(Default)]
struct Greeter {
    greeted: std::sync::atomic::AtomicU64,
}

impl api::Greeter for Greeter {
    async fn greet(&self, name: String, times: usize) -> Result<String, api::GreetError> {
        if name.is_empty() {
            return Err(api::GreetError::Nobody);
        }
        self.greeted
            .fetch_add(times as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(vec![format!("Hello, {name}!"); times].join(" "))
    }

    async fn count(&self) -> u64 {
        self.greeted.load(std::sync::atomic::Ordering::Relaxed)
    }
}

wamp_suite::on_both_routers! {
    #[tokio::test(flavor = "multi_thread")]
    async fn a_service_defined_by_a_trait_is_implemented_by_a_callee_and_called_through_its_proxy(router) {
        use api::Greeter as _;
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .attach(Arc::new(Greeter::default()).declarations())
            .build()
            .unwrap();
        let handle = comp.start();
        tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");
        let session = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        let greeter = api::GreeterClient::new(session.clone());
        assert_eq!(greeter.greet("Ada".into(), 2).await.unwrap(), "Hello, Ada! Hello, Ada!");
        assert_eq!(
            greeter.greet(String::new(), 1).await.unwrap_err(),
            TypedCallError::Application(api::GreetError::Nobody)
        );
        assert_eq!(greeter.count().await.unwrap(), 2);
        // The procedures are under the prefix.
        let n: u64 = session.call("com.greeter.count", ()).await.unwrap();
        assert_eq!(n, 2);
        handle.stop().await.unwrap();
    }


    #[tokio::test(flavor = "multi_thread")]
    async fn a_services_procedures_and_topics_take_its_prefix_and_its_proxy_calls_them(router) {
        let (tx, mut restocked) = mpsc::unbounded_channel();
        let inventory = Inventory { stock: Mutex::default(), restocked: tx };
        let comp = Component::builder()
            .transport(router.ws_url())
            .realm("realm1")
            .attach(inventory)
            .build()
            .unwrap();
        let handle = comp.start();
        tokio::time::timeout(LIMIT, handle.ready())
            .await
            .expect("ready in time")
            .expect("the component is ready");

        let session = Session::connect(&router.rs_url(), "realm1").await.unwrap();
        // The prefixed URI, called by hand.
        let n: u32 = session.call("com.inventory.add", ("apple", 3)).await.unwrap();
        assert_eq!(n, 3);
        let err = session.call::<_, u32>("add", ("apple", 3)).await.unwrap_err();
        assert_eq!(err.uri(), Some("wamp.error.no_such_procedure"));

        // The proxy: typed methods, typed results, typed errors.
        let inventory = InventoryProxy::new(session.clone());
        assert_eq!(inventory.add("apple".into(), 2).await.unwrap(), 5);
        assert_eq!(inventory.add("pear".into(), 1).await.unwrap(), 1);
        assert_eq!(inventory.take("apple".into(), 4).await.unwrap(), 1);
        match inventory.take("apple".into(), 4).await {
            Err(TypedCallError::Application(InventoryError::OutOfStock { sku, left })) => {
                assert_eq!((sku.as_str(), left), ("apple", 1));
            }
            other => panic!("{other:?}"),
        }
        let err = inventory.take("plum".into(), 1).await.unwrap_err();
        assert_eq!(
            err.application(),
            Some(&InventoryError::UnknownSku { sku: "plum".into() })
        );
        assert_eq!(inventory.find(Find { prefix: "p".into() }).await.unwrap(), vec!["pear"]);
        assert_eq!(inventory.find(Find::default()).await.unwrap().len(), 2);
        let n: usize = inventory.count().await.unwrap();
        assert_eq!(n, 2);

        // Through the component's handle too; and when it is stopped, the call fails.
        let through_handle = InventoryProxy::new(handle.clone());
        assert_eq!(through_handle.count().await.unwrap(), 2);

        // The topic takes the prefix too.
        let p = Payload::args(&("apple", 10)).unwrap();
        session
            .publish_with("com.inventory.restocked", p, PublishOptions::acknowledged())
            .await
            .unwrap();
        let got = tokio::time::timeout(LIMIT, restocked.recv()).await.unwrap().unwrap();
        assert_eq!(got, ("apple".to_string(), 10));

        handle.stop().await.unwrap();
        let err = through_handle.count().await.unwrap_err();
        assert!(matches!(err, CallError::Session(_)), "{err:?}");
        // With the callee gone, the proxy reports the router's answer.
        let err = inventory.add("apple".into(), 1).await.unwrap_err();
        assert_eq!(err.uri(), Some("wamp.error.no_such_procedure"));
    }
}
