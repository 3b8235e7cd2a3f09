// A service defined by a trait: implementations write `async fn`, callers use the proxy.
use std::sync::Arc;

use wamp::handler::{CallDetails, Kwargs, TypedCallError};
use wamp::{CallError, Component, ComponentHandle, WampError};

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Opts {
    pub shout: bool,
}

#[wamp::service(prefix = "com.echo.", proxy)]
pub trait Echo: Send + Sync + 'static {
    #[register("say")]
    async fn say(&self, word: String, opts: Kwargs<Opts>, call: CallDetails) -> Result<String, WampError>;

    #[register("len")]
    async fn len(word: String) -> usize;

    #[subscribe("heard")]
    async fn heard(&self, word: String);

    #[on_join]
    async fn joined(&self);

    /// Not a handler: an ordinary trait method.
    fn volume(&self) -> u8 {
        3
    }
}

struct Loud;

impl Echo for Loud {
    async fn say(&self, word: String, opts: Kwargs<Opts>, _call: CallDetails) -> Result<String, WampError> {
        Ok(if opts.0.shout { word.to_uppercase() } else { word })
    }

    async fn len(word: String) -> usize {
        word.len()
    }

    async fn heard(&self, _word: String) {}

    async fn joined(&self) {}
}

async fn call(handle: ComponentHandle) {
    let echo = EchoProxy::new(handle);
    let _: Result<String, TypedCallError<WampError>> = echo.say("hi".into(), Opts { shout: true }).await;
    let _: Result<usize, CallError> = echo.len("hi".into()).await;
}

fn main() {
    let comp = Component::builder()
        .transport("ws://127.0.0.1:8080/ws")
        .realm("realm1")
        .attach(Arc::new(Loud).declarations())
        .build()
        .unwrap();
    let _ = (comp, call, Loud.volume());
}
