//! A call in flight: a future that cancels its call at the router when dropped before the
//! result, and can be canceled explicitly with a mode.

use std::future::Future;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use wamp_core::session::CancelMode;
use wamp_core::uri::{self, MatchPolicy};
use wamp_core::value::{Str, Value};

use super::Session;
use crate::error::{CallError, SessionError};
use crate::link::{BoxFuture, CallWaiter, Command, ProgressResults, SessionShared};
use crate::observe;
use crate::options::CallOptions;
use crate::payload::{CallResult, Payload};
use crate::queue::TrySendError;

/// How many progressive results of one call may wait for the caller before the next ones are
/// dropped (and counted).
pub(crate) const PROGRESS_QUEUE: usize = 1024;

impl Session {
    /// Calls `procedure` with a raw payload and options; the whole result comes back. The
    /// returned [`Call`] is a future: await it. Dropping it before the result cancels the
    /// call at the router (mode `killnowait`, or the options' `cancel_mode`);
    /// [`Call::canceler`] cancels it explicitly.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use wamp_client::{CallError, CallOptions, Payload};
    /// let mut kwargs = std::collections::BTreeMap::new();
    /// kwargs.insert("verbose", true);
    /// let payload = Payload::args(&(1, 2))?.with_kwargs(&kwargs)?;
    /// let options = CallOptions::default().timeout(Duration::from_secs(5));
    /// match session.call_with("com.example.echo", payload, options).await {
    ///     Ok(result) => println!("{:?} {:?}", result.payload.args, result.payload.kwargs),
    ///     Err(CallError::Timeout(after)) => println!("no answer within {after:?}"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn call_with(&self, procedure: &str, payload: Payload, options: CallOptions) -> Call {
        self.start_call(Str::new(procedure), payload, options, None)
    }

    /// Starts a call: the one path of every form of call.
    pub(crate) fn start_call(
        &self,
        procedure: Str,
        payload: Payload,
        options: CallOptions,
        progress: Option<ProgressResults>,
    ) -> Call {
        let key = self.next_key();
        let mode = options.cancel_mode.unwrap_or(CancelMode::KillNoWait);
        // The call's span travels with its waiter: the driver records the request id in it,
        // and a failure, and it ends when the answer goes back.
        let span = observe::call_span(&procedure, &self.inner.details);
        if let Err(e) = uri::validate(&procedure, MatchPolicy::Exact, false) {
            let e = e.into();
            observe::record_call_error(&span, &e);
            return Call::failed(self.clone(), key, mode, e);
        }
        let mut dict = options.to_dict();
        if progress.is_some() {
            dict.insert(Str::from_static("receive_progress"), Value::Bool(true));
        }
        if let (false, Some(t)) = (dict.contains_key("timeout"), self.inner.call_timeout) {
            let ms = u64::try_from(t.as_millis().max(1)).unwrap_or(u64::MAX);
            dict.insert(Str::from_static("timeout"), Value::from(ms));
        }
        let (tx, rx) = oneshot::channel();
        let command = Command::Call {
            procedure,
            options: dict,
            payload,
            waiter: CallWaiter {
                reply: tx,
                progress: progress.map(Box::new),
                key,
                span,
            },
        };
        Call {
            state: State::Queued(Some(command), rx),
            session: self.clone(),
            key,
            mode,
        }
    }

    /// Calls `procedure` asking for progressive results (`receive_progress`): `on_progress`
    /// sees each one, in order, before the final result is returned. Up to 1024 progressive
    /// results wait for `on_progress`; beyond that they are dropped and counted (and logged
    /// once per episode).
    ///
    /// Superseded by [`CallBuilder::progress`](crate::CallBuilder::progress), which gives
    /// the progressive results as a typed [`Stream`](futures_util::Stream) and the final
    /// result typed (`session.call(procedure, args).progress::<P>()`); kept for existing code.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use wamp_client::Payload;
    /// let done = session
    ///     .call_with_progress("com.myapp.longop", Payload::args(&(3,)).unwrap(), Default::default(), |p| {
    ///         println!("progress: {:?}", p.payload.args);
    ///     })
    ///     .await?;
    /// println!("result: {:?}", done.payload.args);
    /// # Ok(()) }
    /// ```
    pub async fn call_with_progress(
        &self,
        procedure: &str,
        payload: Payload,
        options: CallOptions,
        mut on_progress: impl FnMut(CallResult) + Send,
    ) -> Result<CallResult, CallError> {
        let (results, progress) =
            ProgressResults::new(PROGRESS_QUEUE, crate::queue::Full::DropNewest);
        let mut call = self.start_call(Str::new(procedure), payload, options, Some(results));
        loop {
            tokio::select! {
                biased;
                Some(p) = progress.recv() => on_progress(p),
                r = &mut call => {
                    // Progressive results sent before the final one come first.
                    while let Some(p) = progress.try_recv() {
                        on_progress(p);
                    }
                    return r;
                }
            }
        }
    }
}

/// A call in flight, from [`Session::call_with`]: await it for the result.
///
/// Dropped before its result, the call is canceled at the router (CANCEL with mode
/// `killnowait` unless [`CallOptions::cancel_mode`](crate::CallOptions::cancel_mode) says
/// otherwise: the callee is interrupted) and nothing about it is left behind; a call dropped
/// before it was even sent is never sent.
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use wamp_client::{CallOptions, CancelMode, Payload};
///
/// let call = session.call_with("com.example.slow", Payload::new(), CallOptions::default());
/// let canceler = call.canceler();
/// tokio::spawn(async move {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     // Interrupt the callee and wait for its answer.
///     canceler.cancel(CancelMode::Kill);
/// });
/// match call.await {
///     Ok(result) => println!("done: {:?}", result.payload.args),
///     Err(e) => println!("{e}"), // wamp.error.canceled, usually
/// }
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing unless awaited, and is canceled when dropped"]
pub struct Call {
    state: State,
    session: Session,
    key: u64,
    /// How the router is asked to cancel the call when it is dropped.
    mode: CancelMode,
}

/// Where a call is. No allocation on the way but a full command queue.
enum State {
    /// Not sent yet: the command, and where its answer will come.
    Queued(
        Option<Command>,
        oneshot::Receiver<Result<CallResult, CallError>>,
    ),
    /// The command queue was full: waiting for room.
    Sending(
        BoxFuture<Result<(), Command>>,
        oneshot::Receiver<Result<CallResult, CallError>>,
    ),
    /// Sent: waiting for the answer.
    Waiting(oneshot::Receiver<Result<CallResult, CallError>>),
    /// Failed before it was sent.
    Failed(Option<CallError>),
    /// Answered (or failed): nothing to cancel.
    Done,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("key", &self.key)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Call {
    fn failed(session: Session, key: u64, mode: CancelMode, e: CallError) -> Self {
        Call {
            state: State::Failed(Some(e)),
            session,
            key,
            mode,
        }
    }

    /// A handle that cancels this call, usable from anywhere while the call is awaited.
    pub fn canceler(&self) -> CallCanceler {
        CallCanceler::new(self.session.downgrade(), self.key)
    }
}

impl Future for Call {
    type Output = Result<CallResult, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Queued(command, _) => {
                    let Some(cmd) = command.take() else {
                        this.state = State::Done;
                        continue;
                    };
                    match this.session.inner.commands.try_send(cmd) {
                        Ok(()) => {
                            let State::Queued(_, rx) =
                                std::mem::replace(&mut this.state, State::Done)
                            else {
                                continue;
                            };
                            this.state = State::Waiting(rx);
                        }
                        Err(TrySendError::Full(cmd)) => {
                            let session = this.session.clone();
                            let sending: BoxFuture<Result<(), Command>> =
                                Box::pin(async move { session.inner.commands.send(cmd).await });
                            let State::Queued(_, rx) =
                                std::mem::replace(&mut this.state, State::Done)
                            else {
                                continue;
                            };
                            this.state = State::Sending(sending, rx);
                        }
                        Err(TrySendError::Closed(_)) => {
                            this.state = State::Done;
                            return Poll::Ready(Err(this.session.lost().into()));
                        }
                    }
                }
                State::Sending(sending, _) => match sending.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => {
                        let State::Sending(_, rx) = std::mem::replace(&mut this.state, State::Done)
                        else {
                            continue;
                        };
                        this.state = State::Waiting(rx);
                    }
                    Poll::Ready(Err(_)) => {
                        this.state = State::Done;
                        return Poll::Ready(Err(this.session.lost().into()));
                    }
                },
                State::Waiting(rx) => {
                    let answer = match Pin::new(rx).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(answer)) => answer,
                        Poll::Ready(Err(_)) => Err(this.session.lost().into()),
                    };
                    this.state = State::Done;
                    return Poll::Ready(answer);
                }
                State::Failed(e) => {
                    let e = e.take();
                    this.state = State::Done;
                    if let Some(e) = e {
                        return Poll::Ready(Err(e));
                    }
                }
                State::Done => {
                    return Poll::Ready(Err(CallError::Session(SessionError::NotJoined)))
                }
            }
        }
    }
}

impl Drop for Call {
    /// A call dropped after it was sent and before its answer (by the caller, a select, a
    /// timeout of its own) is canceled at the router; one never sent is simply never sent.
    fn drop(&mut self) {
        if matches!(self.state, State::Waiting(_) | State::Sending(..)) {
            self.session.send_always(Command::Cancel {
                key: self.key,
                mode: self.mode,
                abandon: true,
            });
        }
    }
}

/// Cancels one call explicitly (see [`Call::canceler`]). Cheap to clone.
#[derive(Clone, Debug)]
pub struct CallCanceler {
    session: Weak<SessionShared>,
    key: u64,
}

impl CallCanceler {
    pub(crate) fn new(session: Weak<SessionShared>, key: u64) -> Self {
        CallCanceler { session, key }
    }

    /// Cancels the call: CANCEL with `mode` goes to the router. With `kill` the call ends with
    /// the callee's answer (usually `wamp.error.canceled`, as
    /// [`CallError::Application`]); with `skip` and `killnowait` it fails at once with
    /// [`CallError::Canceled`] (the callee is interrupted with `killnowait`, left to finish
    /// with `skip`). When the router cannot cancel, the call fails at once in every mode.
    /// Does nothing once the call has ended.
    pub fn cancel(&self, mode: CancelMode) {
        if let Some(inner) = self.session.upgrade() {
            Session::from_inner(inner).send_always(Command::Cancel {
                key: self.key,
                mode,
                abandon: false,
            });
        }
    }
}
