//! The call builder: `session.call(procedure, args)` with keyword arguments and options
//! chained on, awaited for a typed result ([`CallBuilder`]), the whole result ([`RawCall`]), or
//! read as a stream of typed progressive results ending in the typed final one
//! ([`ProgressiveCall`]). Every form runs through the one [`Call`] state machine, so a dropped
//! builder's future cancels its call the same way.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wamp_core::session::CancelMode;
use wamp_core::value::{to_value, Str, ValueError};

use super::call::{Call, PROGRESS_QUEUE};
use super::Session;
use crate::error::{CallError, SessionError};
use crate::link::{BoxFuture, DropCounter, ProgressResults};
use crate::options::{CallOptions, Overflow};
use crate::payload::{kwargs_dict, CallResult, Payload};
use crate::queue;

/// Finds the session of a call that was not made on a [`Session`] (a component's handle):
/// given the call's deadline, a future of the session to use.
pub(crate) type FindSession =
    Box<dyn FnOnce(Option<Duration>) -> BoxFuture<Result<Session, CallError>> + Send>;

/// Where a call goes.
enum Target {
    Session(Session),
    /// Found when the call starts (a component's current session), with the default
    /// timeout of that session's calls.
    Deferred {
        find: FindSession,
        default_timeout: Option<Duration>,
    },
}

/// Everything a call is made of, until it starts.
struct Request {
    procedure: Str,
    /// The arguments, or why they could not be serialized (said when the call is awaited).
    payload: Result<Payload, ValueError>,
    options: CallOptions,
    progress: Option<ProgressResults>,
}

impl Request {
    fn add_kwargs(&mut self, kwargs: Result<wamp_core::value::Dict, ValueError>) {
        if let Ok(payload) = &mut self.payload {
            match kwargs {
                Ok(k) => payload.kwargs.extend(k),
                Err(e) => self.payload = Err(e),
            }
        }
    }
}

/// A call on its way: the shared engine of [`CallBuilder`], [`RawCall`] and [`ProgressiveCall`].
enum Pending {
    /// Not started.
    Ready(Target, Request),
    /// Waiting for the session to call through (a component's).
    Finding {
        session: BoxFuture<Result<Session, CallError>>,
        request: Box<Request>,
        deadline: Option<Duration>,
        since: Instant,
        waited: bool,
    },
    /// Sent (or being sent); `timeout` is the call's whole timeout when part of it went on
    /// finding the session (a timeout then reports the whole).
    Running {
        call: Call,
        timeout: Option<Duration>,
    },
    Done,
}

impl Pending {
    fn request(&mut self) -> Option<&mut Request> {
        match self {
            Pending::Ready(_, r) => Some(r),
            _ => None,
        }
    }

    /// Starts the call through `session`; fails when the arguments did not serialize.
    fn start(
        &mut self,
        session: &Session,
        request: Request,
        timeout: Option<Duration>,
    ) -> Result<(), CallError> {
        let Request {
            procedure,
            payload,
            options,
            progress,
        } = request;
        let payload = payload.map_err(CallError::Serialize)?;
        if let Some(p) = &progress {
            // A pausing queue pauses this session's reading while full.
            p.tx.attach(&session.inner.gate);
        }
        *self = Pending::Running {
            call: session.start_call(procedure, payload, options, progress),
            timeout,
        };
        Ok(())
    }

    fn poll_result(&mut self, cx: &mut Context<'_>) -> Poll<Result<CallResult, CallError>> {
        loop {
            match self {
                Pending::Ready(..) => {
                    let Pending::Ready(target, request) = std::mem::replace(self, Pending::Done)
                    else {
                        continue;
                    };
                    if let Err(e) = &request.payload {
                        // Nothing is sent, nor waited for.
                        return Poll::Ready(Err(CallError::Serialize(e.clone())));
                    }
                    match target {
                        Target::Session(session) => {
                            if let Err(e) = self.start(&session, request, None) {
                                return Poll::Ready(Err(e));
                            }
                        }
                        Target::Deferred {
                            find,
                            default_timeout,
                        } => {
                            let deadline = request.options.timeout.or(default_timeout);
                            *self = Pending::Finding {
                                session: find(deadline),
                                request: Box::new(request),
                                deadline,
                                since: Instant::now(),
                                waited: false,
                            };
                        }
                    }
                }
                Pending::Finding {
                    session, waited, ..
                } => {
                    let found = match session.as_mut().poll(cx) {
                        Poll::Pending => {
                            *waited = true;
                            return Poll::Pending;
                        }
                        Poll::Ready(found) => found,
                    };
                    let Pending::Finding {
                        request,
                        deadline,
                        since,
                        waited,
                        ..
                    } = std::mem::replace(self, Pending::Done)
                    else {
                        continue;
                    };
                    let session = match found {
                        Ok(s) => s,
                        Err(e) => return Poll::Ready(Err(e)),
                    };
                    let mut request = *request;
                    let mut whole = None;
                    if let (true, Some(d)) = (waited, deadline) {
                        // What is left of the deadline after the wait.
                        let left = d.saturating_sub(since.elapsed());
                        if left.is_zero() {
                            return Poll::Ready(Err(CallError::Timeout(d)));
                        }
                        request.options.timeout = Some(left);
                        whole = Some(d);
                    }
                    if let Err(e) = self.start(&session, request, whole) {
                        return Poll::Ready(Err(e));
                    }
                }
                Pending::Running { call, timeout } => {
                    let result = match Pin::new(call).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(r) => r,
                    };
                    let whole = *timeout;
                    *self = Pending::Done;
                    return Poll::Ready(match (result, whole) {
                        (Err(CallError::Timeout(_)), Some(d)) => Err(CallError::Timeout(d)),
                        (r, _) => r,
                    });
                }
                Pending::Done => {
                    return Poll::Ready(Err(CallError::Session(SessionError::NotJoined)))
                }
            }
        }
    }
}

/// A call with its arguments, keyword arguments and options in one expression, from
/// [`Session::call`] (or [`ComponentHandle::call`](crate::ComponentHandle::call)). Await it
/// for the typed result, or turn it into the whole result ([`raw`](Self::raw)) or a stream of
/// progressive results ([`progress`](Self::progress)).
///
/// The result deserializes the way Autobahn maps it: no result is `()` / `None`, one
/// positional result is that value, keyword results alone are a map (or struct), several
/// positional results are a tuple or `Vec`.
///
/// Nothing is sent before it is awaited (or polled). Dropped before its result, the call is
/// canceled at the router as a dropped [`Call`] is (mode `killnowait` unless
/// [`cancel_mode`](Self::cancel_mode) says otherwise). Arguments that cannot be serialized
/// fail the call with [`CallError::Serialize`] when it is awaited, before anything is sent.
///
/// ```no_run
/// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
/// use std::time::Duration;
///
/// #[derive(serde::Deserialize)]
/// struct Page {
///     items: Vec<String>,
///     more: bool,
/// }
/// let page: Page = session
///     .call("com.example.list", ("fruit",))
///     .kwarg("limit", 10)
///     .timeout(Duration::from_secs(5))
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing unless awaited, and is canceled when dropped"]
pub struct CallBuilder<R> {
    pending: Pending,
    _result: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for CallBuilder<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("CallBuilder");
        if let Some(r) = match &self.pending {
            Pending::Ready(_, r) => Some(r),
            Pending::Finding { request, .. } => Some(&**request),
            _ => None,
        } {
            d.field("procedure", &r.procedure.as_str())
                .field("options", &r.options);
        }
        d.finish_non_exhaustive()
    }
}

impl<R> CallBuilder<R> {
    fn new(target: Target, procedure: &str, payload: Result<Payload, ValueError>) -> Self {
        CallBuilder {
            pending: Pending::Ready(
                target,
                Request {
                    procedure: Str::new(procedure),
                    payload,
                    options: CallOptions::default(),
                    progress: None,
                },
            ),
            _result: PhantomData,
        }
    }

    /// A call through `session` with positional arguments `args`.
    pub(crate) fn on_session<A: Serialize>(session: &Session, procedure: &str, args: A) -> Self {
        CallBuilder::new(
            Target::Session(session.clone()),
            procedure,
            Payload::args(&args),
        )
    }

    /// A call whose session `find` gives when the call starts, within the call's deadline
    /// (its timeout, else `default_timeout`).
    pub(crate) fn deferred<A: Serialize>(
        find: FindSession,
        default_timeout: Option<Duration>,
        procedure: &str,
        args: A,
    ) -> Self {
        CallBuilder::new(
            Target::Deferred {
                find,
                default_timeout,
            },
            procedure,
            Payload::args(&args),
        )
    }

    fn with(mut self, f: impl FnOnce(&mut Request)) -> Self {
        if let Some(r) = self.pending.request() {
            f(r);
        }
        self
    }

    /// Adds keyword argument `name` (any serde value). A value that cannot be serialized
    /// fails the call with [`CallError::Serialize`] when it is awaited.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// let n: u64 = session.call("com.example.count", ()).kwarg("color", "red").await?;
    /// # Ok(()) }
    /// ```
    pub fn kwarg<T: Serialize>(self, name: &str, value: T) -> Self {
        self.with(|r| {
            let kwargs = to_value(&value).map(|v| {
                let mut d = wamp_core::value::Dict::new();
                d.insert(Str::new(name), v);
                d
            });
            r.add_kwargs(kwargs);
        })
    }

    /// Adds the fields of a serde struct (or the entries of a map) as keyword arguments;
    /// later ones replace earlier ones of the same name. Anything that does not serialize to
    /// a map fails the call with [`CallError::Serialize`] when it is awaited.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// #[derive(serde::Serialize)]
    /// struct Filter<'a> {
    ///     color: &'a str,
    ///     limit: u32,
    /// }
    /// let names: Vec<String> = session
    ///     .call("com.example.find", ())
    ///     .kwargs(&Filter { color: "red", limit: 10 })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn kwargs<T: Serialize + ?Sized>(self, kwargs: &T) -> Self {
        self.with(|r| r.add_kwargs(kwargs_dict(kwargs)))
    }

    /// Sets the call's timeout (see [`CallOptions::timeout`]): the call fails with
    /// [`CallError::Timeout`] when no result came within it.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|r| r.options.timeout = Some(timeout))
    }

    /// Asks the router to disclose our session to the callee (see
    /// [`CallOptions::disclose_me`]).
    pub fn disclose_me(self, disclose: bool) -> Self {
        self.with(|r| r.options.disclose_me = Some(disclose))
    }

    /// How the router is asked to cancel the call when its future is dropped before the
    /// result (default `killnowait`; see [`CallOptions::cancel_mode`]).
    pub fn cancel_mode(self, mode: CancelMode) -> Self {
        self.with(|r| r.options.cancel_mode = Some(mode))
    }

    /// Replaces every option set so far with `options` (set it first, then the single
    /// options above).
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use wamp_client::CallOptions;
    /// let mut options = CallOptions::default();
    /// options.extra.insert("rkey".into(), "user-7".into());
    /// let () = session.call("com.example.notify", ()).options(options).disclose_me(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn options(self, options: CallOptions) -> Self {
        self.with(|r| r.options = options)
    }

    /// Asks for progressive results (`receive_progress`): the returned [`ProgressiveCall`] is a
    /// [`Stream`] of each progressive result as a `P` (its one positional result, or the way
    /// a result maps, see [`Payload::decode`]), in order; once it ends,
    /// [`ProgressiveCall::result`] (or awaiting the `ProgressiveCall`) gives the typed final result, or why
    /// the call failed.
    ///
    /// Up to 1024 progressive results wait to be read; beyond that they are dropped and
    /// counted ([`ProgressiveCall::dropped`], logged once per episode). To choose the bound
    /// and what happens beyond it, see [`progress_with`](Self::progress_with).
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use futures_util::StreamExt;
    ///
    /// let mut p = session.call("com.myapp.longop", (3,)).progress::<u32>();
    /// while let Some(step) = p.next().await {
    ///     println!("progress: {}", step?);
    /// }
    /// let done: String = p.result().await?;
    /// # Ok(()) }
    /// ```
    pub fn progress<P>(self) -> ProgressiveCall<P, R> {
        self.progress_with(PROGRESS_QUEUE, Overflow::DropNewest)
    }

    /// [`progress`](Self::progress) with the bound of the queue of progressive results
    /// waiting to be read (`capacity`, at least 1) and what happens to one that finds it full
    /// (`overflow`): dropped ([`Overflow::DropNewest`], as `progress` does), the oldest waiting
    /// one dropped to make room ([`Overflow::DropOldest`]: the reader sees the latest), or
    /// the session pausing its reading until there is room ([`Overflow::Pause`]: nothing is
    /// lost, but every message of the session waits meanwhile; see there). Dropped results
    /// are counted ([`ProgressiveCall::dropped`]) and logged once per episode.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use futures_util::StreamExt;
    /// use wamp_client::Overflow;
    ///
    /// // Only the latest percentage matters: keep the 4 newest.
    /// let mut p = session
    ///     .call("com.myapp.longop", (3,))
    ///     .progress_with::<u32>(4, Overflow::DropOldest);
    /// while let Some(percent) = p.next().await {
    ///     println!("{}% ({} waiting, {} skipped)", percent?, p.pending(), p.dropped());
    /// }
    /// let done: String = p.result().await?;
    /// # Ok(()) }
    /// ```
    pub fn progress_with<P>(
        mut self,
        capacity: usize,
        overflow: Overflow,
    ) -> ProgressiveCall<P, R> {
        let (results, rx) = ProgressResults::new(capacity, overflow.to_full());
        let dropped = results.dropped.share();
        if let Some(r) = self.pending.request() {
            r.progress = Some(results);
        }
        ProgressiveCall {
            pending: self.pending,
            rx,
            dropped,
            finished: None,
            _types: PhantomData,
        }
    }
}

impl CallBuilder<CallResult> {
    /// The whole result instead of a typed one: args, kwargs and RESULT.Details. (The
    /// builder's result type is then [`CallResult`], which the compiler infers.)
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// #[derive(serde::Deserialize)]
    /// struct Totals {
    ///     count: u64,
    /// }
    /// let result = session.call("com.example.stats", ()).raw().await?;
    /// let totals: Totals = result.kwargs_as()?;
    /// # Ok(()) }
    /// ```
    pub fn raw(self) -> RawCall {
        RawCall {
            pending: self.pending,
        }
    }
}

fn decode<T: DeserializeOwned>(r: Result<CallResult, CallError>) -> Result<T, CallError> {
    r?.payload.decode().map_err(CallError::Deserialize)
}

impl<R: DeserializeOwned> Future for CallBuilder<R> {
    type Output = Result<R, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.pending.poll_result(cx).map(decode)
    }
}

/// A call awaited for its whole result, from [`CallBuilder::raw`]; like the builder, it
/// cancels its call when dropped before the result.
#[must_use = "a call does nothing unless awaited, and is canceled when dropped"]
pub struct RawCall {
    pending: Pending,
}

impl std::fmt::Debug for RawCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCall").finish_non_exhaustive()
    }
}

impl Future for RawCall {
    type Output = Result<CallResult, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.pending.poll_result(cx)
    }
}

/// A call with progressive results, from [`CallBuilder::progress`]: a [`Stream`] of the
/// progressive results as `P`, then the final result as `R` from [`result`](Self::result) (or
/// by awaiting the `ProgressiveCall` itself).
///
/// The stream ends when the final result (or an error) has come; an item is an error only
/// when that progressive result does not deserialize into `P` (the stream goes on). The call
/// is sent when the stream is first polled (or the result awaited). Dropped before the final
/// result, the call is canceled at the router.
#[must_use = "a call does nothing unless polled, and is canceled when dropped"]
pub struct ProgressiveCall<P, R> {
    pending: Pending,
    rx: queue::DeliveryReceiver<CallResult>,
    dropped: DropCounter,
    /// The final answer, once it came (the stream may still hold progressive results).
    finished: Option<Result<CallResult, CallError>>,
    _types: PhantomData<fn() -> (P, R)>,
}

impl<P, R> std::fmt::Debug for ProgressiveCall<P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressiveCall")
            .field("finished", &self.finished.is_some())
            .field("dropped", &self.dropped.count())
            .finish_non_exhaustive()
    }
}

impl<P, R> ProgressiveCall<P, R> {
    /// Progressive results dropped because more than the queue's capacity (1024, or the one
    /// given to [`CallBuilder::progress_with`]) waited to be read.
    pub fn dropped(&self) -> u64 {
        self.dropped.count()
    }

    /// How many progressive results wait to be read: never more than the queue's capacity.
    pub fn pending(&self) -> usize {
        self.rx.len()
    }

    /// Waits for the final result and deserializes it. Progressive results not read yet are
    /// discarded (and the ones still to come are not queued).
    pub fn result(self) -> FinalResult<R> {
        self.rx.close();
        FinalResult {
            pending: self.pending,
            finished: self.finished,
            _result: PhantomData,
        }
    }
}

impl<P: DeserializeOwned, R> Stream for ProgressiveCall<P, R> {
    type Item = Result<P, CallError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = |p: CallResult| p.payload.decode().map_err(CallError::Deserialize);
        if this.finished.is_none() {
            if let Poll::Ready(Some(p)) = this.rx.poll_recv(cx) {
                return Poll::Ready(Some(item(p)));
            }
            match this.pending.poll_result(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => this.finished = Some(r),
            }
        }
        // The final answer came: the progressive results sent before it are queued already.
        Poll::Ready(this.rx.try_recv().map(item))
    }
}

impl<P, R: DeserializeOwned> std::future::IntoFuture for ProgressiveCall<P, R> {
    type Output = Result<R, CallError>;
    type IntoFuture = FinalResult<R>;

    /// The same as [`ProgressiveCall::result`].
    fn into_future(self) -> FinalResult<R> {
        self.result()
    }
}

/// The final result of a call with progressive results, from [`ProgressiveCall::result`]. Dropped
/// before it, the call is canceled at the router.
#[must_use = "a call does nothing unless awaited, and is canceled when dropped"]
pub struct FinalResult<R> {
    pending: Pending,
    finished: Option<Result<CallResult, CallError>>,
    _result: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for FinalResult<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinalResult")
            .field("finished", &self.finished.is_some())
            .finish_non_exhaustive()
    }
}

impl<R: DeserializeOwned> Future for FinalResult<R> {
    type Output = Result<R, CallError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(r) = self.finished.take() {
            return Poll::Ready(decode(r));
        }
        self.pending.poll_result(cx).map(decode)
    }
}

impl Session {
    /// Calls `procedure` with positional arguments (a tuple, a `Vec`, any serde value; `()`
    /// for none); await the returned [`CallBuilder`] for the result, deserialized the way
    /// Autobahn maps it: no result is `()` / `None`, one positional result is that value,
    /// several are a tuple or `Vec`, keyword results alone a struct or map.
    ///
    /// Keyword arguments and options chain on before the `.await`; [`CallBuilder::raw`] gives
    /// the whole result and [`CallBuilder::progress`] a stream of progressive results.
    ///
    /// ```no_run
    /// # async fn demo(session: wamp_client::Session) -> Result<(), wamp_client::CallError> {
    /// use std::time::Duration;
    ///
    /// let sum: i64 = session.call("com.example.add2", (2, 3)).await?;
    /// let page: Vec<String> = session
    ///     .call("com.example.list", ("fruit",))
    ///     .kwarg("limit", 10)
    ///     .timeout(Duration::from_secs(5))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn call<A, R>(&self, procedure: &str, args: A) -> CallBuilder<R>
    where
        A: Serialize,
    {
        CallBuilder::on_session(self, procedure, args)
    }
}

#[cfg(test)]
mod tests;
