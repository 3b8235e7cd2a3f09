use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wamp::handler::{CallDetails, Kwargs, Progress, State};
use wamp::{register, Session, WampError};

#[derive(serde::Deserialize)]
struct Opts {
    #[serde(default)]
    nice: bool,
}

#[register("com.example.", match = "prefix", invoke = "roundrobin", concurrency = 4, disclose_caller = true)]
async fn everything(
    name: String,
    title: Option<String>,
    opts: Kwargs<Opts>,
    call: CallDetails,
    session: Session,
    counter: State<AtomicU64>,
    progress: Progress,
) -> Result<(String, u64), WampError> {
    progress.send("working");
    let _ = (call.caller, session.id());
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let hello = if opts.0.nice { "Lovely to see you" } else { "Hello" };
    Ok((format!("{hello}, {} {name}", title.unwrap_or_default()), n))
}

#[register("com.example.nothing")]
async fn nothing() {}

#[register("com.example.slow", local_concurrency = 2, queue_capacity = 16, force_reregister = true)]
async fn slow() {}

fn main() {
    let _ = everything::handler().with_state(Arc::new(AtomicU64::new(0)));
    let _ = nothing::handler();
    let _ = slow::handler();
}
