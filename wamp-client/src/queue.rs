//! The command queue from the session handles to the driver.
//!
//! A bounded FIFO under a mutex, taken by the driver a whole batch at a time: the driver swaps
//! the queue's buffer with its own empty one, so in steady state no command costs an
//! allocation (a channel of linked blocks allocates and frees a block every few dozen
//! messages, and with many calls in flight that was a large part of a call's cost). One
//! sender (shared by every handle through `Arc`), one receiver, which polls
//! ([`Receiver::poll_recv_all`]) as one of the sources of the driver's single poll.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Whether the receiver may find something (items, or the sender gone): read without the
    /// lock, so that an idle look costs no locking.
    ready: AtomicBool,
    /// Wakes the receiver when the queue turns non-empty or the sender goes.
    to_receiver: AtomicWaker,
    /// Wakes senders waiting for room.
    room: Notify,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while the lock is held; recover the state if it ever did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A bounded queue holding at most `capacity` items (at least 1).
pub(crate) fn queue<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        ready: AtomicBool::new(false),
        to_receiver: AtomicWaker::new(),
        room: Notify::new(),
        capacity: capacity.max(1),
    });
    (Sender(shared.clone()), Receiver(shared))
}

/// The sending side; dropping it tells the receiver that no more items will come.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

/// Why an item was not queued; it is handed back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TrySendError<T> {
    Full(T),
    Closed(T),
}

impl<T> Sender<T> {
    /// Queues `item`, waiting while the queue is full; hands it back if the receiver is gone.
    pub(crate) async fn send(&self, item: T) -> Result<(), T> {
        let mut item = item;
        loop {
            // Created before looking, so a `notify_waiters` after the look still wakes it.
            let room = self.0.room.notified();
            match self.try_send(item) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(back)) => return Err(back),
                Err(TrySendError::Full(back)) => item = back,
            }
            room.await;
        }
    }

    /// Queues `item` if there is room.
    pub(crate) fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.push(item, false)
    }

    /// Queues `item` even when the queue is full; hands it back only if the receiver is gone.
    /// For what a `Drop` must send and must not lose (the cancel of a dropped call, the
    /// unsubscribe of a dropped stream): each such item stands for a call or a stream that
    /// exists, so their number is bounded by those.
    pub(crate) fn send_always(&self, item: T) -> Result<(), T> {
        match self.push(item, true) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(item) | TrySendError::Full(item)) => Err(item),
        }
    }

    fn push(&self, item: T, always: bool) -> Result<(), TrySendError<T>> {
        let mut state = self.0.lock();
        if state.receiver_gone {
            return Err(TrySendError::Closed(item));
        }
        if !always && state.items.len() >= self.0.capacity {
            return Err(TrySendError::Full(item));
        }
        let was_empty = state.items.is_empty();
        state.items.push_back(item);
        drop(state);
        if was_empty {
            self.0.ready.store(true, Ordering::SeqCst);
            self.0.to_receiver.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.lock().sender_gone = true;
        self.0.ready.store(true, Ordering::SeqCst);
        self.0.to_receiver.wake();
    }
}

/// The receiving side; dropping it drops the queued items and refuses new ones.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

impl<T> Receiver<T> {
    /// Moves every queued item, in order, into `batch` (which must be empty): `Ready(true)`
    /// when there were some, `Ready(false)` once the sender is gone and nothing is left,
    /// `Pending` (the waker registered) otherwise.
    pub(crate) fn poll_recv_all(
        &self,
        cx: &mut Context<'_>,
        batch: &mut VecDeque<T>,
    ) -> Poll<bool> {
        debug_assert!(batch.is_empty());
        if let Poll::Ready(r) = self.try_recv_all(batch) {
            return Poll::Ready(r);
        }
        self.0.to_receiver.register(cx.waker());
        // An item queued between the look and the registration woke nobody: look again.
        self.try_recv_all(batch)
    }

    fn try_recv_all(&self, batch: &mut VecDeque<T>) -> Poll<bool> {
        if !self.0.ready.load(Ordering::SeqCst) {
            return Poll::Pending;
        }
        let state = self.0.lock();
        if !state.items.is_empty() {
            self.take(state, batch);
            return Poll::Ready(true);
        }
        if state.sender_gone {
            return Poll::Ready(false);
        }
        Poll::Pending
    }

    /// Waits for items and moves all of them, in order, into `batch` (which must be empty).
    /// Returns false once the sender is gone and nothing is left.
    #[cfg(test)]
    pub(crate) async fn recv_all(&self, batch: &mut VecDeque<T>) -> bool {
        std::future::poll_fn(|cx| self.poll_recv_all(cx, batch)).await
    }

    /// Appends whatever is queued to `batch`, without waiting.
    pub(crate) fn take_more(&self, batch: &mut VecDeque<T>) {
        let state = self.0.lock();
        if !state.items.is_empty() {
            self.take(state, batch);
        }
    }

    /// Moves the queued items to the end of `batch` (swapping the buffers when `batch` is
    /// empty, so neither allocates) and wakes the senders waiting for room.
    fn take(&self, mut state: MutexGuard<'_, State<T>>, batch: &mut VecDeque<T>) {
        let was_full = state.items.len() >= self.0.capacity;
        if !state.sender_gone {
            // Under the lock: a sender pushing next sees the queue empty and sets it again.
            self.0.ready.store(false, Ordering::SeqCst);
        }
        if batch.is_empty() {
            std::mem::swap(&mut state.items, batch);
        } else {
            batch.append(&mut state.items);
        }
        drop(state);
        if was_full {
            self.0.room.notify_waiters();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.0.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock: an item's drop may run arbitrary code.
        drop(items);
        self.0.room.notify_waiters();
    }
}

/// What a [`delivery`] queue does with an item that finds it full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The new item is dropped.
    DropNewest,
    /// The oldest queued item is dropped to make room.
    DropOldest,
    /// The queue closes the session's [`Gate`] while full: the driver stops reading (an item
    /// that finds it full all the same is dropped, as with `DropNewest`).
    Pause,
}

/// Whether the driver may read: closed while any [`Full::Pause`] queue of its session is full.
/// The driver looks before decoding each message, so a pausing queue never holds more than
/// its capacity (one message delivers at most one item to each queue).
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// How many pausing queues are full.
    full: std::sync::atomic::AtomicUsize,
    /// The driver, waiting for room.
    driver: AtomicWaker,
}

impl Gate {
    /// Whether reading must wait.
    pub(crate) fn is_closed(&self) -> bool {
        self.full.load(Ordering::SeqCst) > 0
    }

    /// Whether reading must wait; if so the driver is woken once it may read again.
    pub(crate) fn poll_closed(&self, cx: &mut Context<'_>) -> bool {
        if !self.is_closed() {
            return false;
        }
        self.driver.register(cx.waker());
        self.is_closed()
    }

    fn filled(&self) {
        self.full.fetch_add(1, Ordering::SeqCst);
    }

    fn emptied(&self) {
        self.full.fetch_sub(1, Ordering::SeqCst);
        self.driver.wake();
    }
}

struct Delivery<T> {
    state: Mutex<DeliveryState<T>>,
    capacity: usize,
    full: Full,
    /// How many items wait, readable without the lock.
    len: std::sync::atomic::AtomicUsize,
}

struct DeliveryState<T> {
    items: VecDeque<T>,
    receiver: Option<std::task::Waker>,
    sender_gone: bool,
    receiver_gone: bool,
    /// The gate a pausing queue closes while full, once the driver has attached it.
    gate: Option<Arc<Gate>>,
    /// Whether this queue holds the gate closed.
    holds_gate: bool,
}

impl<T> Delivery<T> {
    fn lock(&self) -> MutexGuard<'_, DeliveryState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> DeliveryState<T> {
    /// Opens the gate if this queue held it closed.
    fn release_gate(&mut self) {
        if std::mem::take(&mut self.holds_gate) {
            if let Some(g) = &self.gate {
                g.emptied();
            }
        }
    }
}

/// A bounded queue from the driver to a reader of events or progressive results, with what
/// to do when full ([`Full`]). One sender (the driver), one receiver.
pub(crate) fn delivery<T>(capacity: usize, full: Full) -> (DeliverySender<T>, DeliveryReceiver<T>) {
    let shared = Arc::new(Delivery {
        state: Mutex::new(DeliveryState {
            items: VecDeque::new(),
            receiver: None,
            sender_gone: false,
            receiver_gone: false,
            gate: None,
            holds_gate: false,
        }),
        capacity: capacity.max(1),
        full,
        len: std::sync::atomic::AtomicUsize::new(0),
    });
    (DeliverySender(shared.clone()), DeliveryReceiver(shared))
}

/// What became of a delivered item.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivered<T> {
    /// Queued.
    Queued,
    /// The queue was full: this item (the new one, or the oldest) was dropped.
    Dropped(T),
    /// The receiver is gone: the item is handed back.
    Closed(T),
}

/// The driver's side of a [`delivery`] queue; dropping it ends the reader's stream once the
/// queued items are read.
pub(crate) struct DeliverySender<T>(Arc<Delivery<T>>);

impl<T> DeliverySender<T> {
    /// Queues `item`, or drops one as the queue's policy says.
    pub(crate) fn deliver(&self, item: T) -> Delivered<T> {
        let mut state = self.0.lock();
        if state.receiver_gone {
            return Delivered::Closed(item);
        }
        let mut outcome = Delivered::Queued;
        if state.items.len() >= self.0.capacity {
            match self.0.full {
                Full::DropNewest | Full::Pause => return Delivered::Dropped(item),
                Full::DropOldest => {
                    if let Some(oldest) = state.items.pop_front() {
                        outcome = Delivered::Dropped(oldest);
                    }
                }
            }
        }
        state.items.push_back(item);
        self.0.len.store(state.items.len(), Ordering::SeqCst);
        if self.0.full == Full::Pause && state.items.len() >= self.0.capacity && !state.holds_gate {
            if let Some(g) = &state.gate {
                g.filled();
                state.holds_gate = true;
            }
        }
        let waker = state.receiver.take();
        drop(state);
        if let Some(w) = waker {
            w.wake();
        }
        outcome
    }

    /// Lets a pausing queue close `gate` while full (the driver attaches its own).
    pub(crate) fn attach(&self, gate: &Arc<Gate>) {
        if self.0.full == Full::Pause {
            self.0.lock().gate = Some(gate.clone());
        }
    }
}

impl<T> std::fmt::Debug for DeliverySender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverySender")
            .field("capacity", &self.0.capacity)
            .field("full", &self.0.full)
            .finish_non_exhaustive()
    }
}

impl<T> Drop for DeliverySender<T> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.sender_gone = true;
        // Nothing more comes: a full queue no longer holds the session back.
        state.release_gate();
        let waker = state.receiver.take();
        drop(state);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// How many items wait in a [`delivery`] queue, for a handle that does not read it.
pub(crate) struct Depth(Arc<dyn DepthOf>);

trait DepthOf: Send + Sync {
    fn depth(&self) -> usize;
}

impl<T: Send> DepthOf for Delivery<T> {
    fn depth(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }
}

impl Depth {
    /// How many items wait.
    pub(crate) fn get(&self) -> usize {
        self.0.depth()
    }
}

impl Clone for Depth {
    fn clone(&self) -> Self {
        Depth(self.0.clone())
    }
}

impl std::fmt::Debug for Depth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Depth").field(&self.get()).finish()
    }
}

/// The reader's side of a [`delivery`] queue; dropping it drops the queued items and refuses
/// new ones.
pub(crate) struct DeliveryReceiver<T>(Arc<Delivery<T>>);

impl<T> DeliveryReceiver<T> {
    /// The next item; `Ready(None)` once the sender is gone and nothing is left.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.lock();
        if let Some(item) = self.pop(&mut state) {
            return Poll::Ready(Some(item));
        }
        if state.sender_gone || state.receiver_gone {
            return Poll::Ready(None);
        }
        state.receiver = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Waits for the next item; `None` once the sender is gone and nothing is left.
    pub(crate) async fn recv(&self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next item if one waits.
    pub(crate) fn try_recv(&self) -> Option<T> {
        let mut state = self.0.lock();
        self.pop(&mut state)
    }

    /// How many items wait.
    pub(crate) fn len(&self) -> usize {
        self.0.len.load(Ordering::SeqCst)
    }

    /// How many items wait, shared.
    pub(crate) fn depth(&self) -> Depth
    where
        T: Send + 'static,
    {
        Depth(self.0.clone())
    }

    /// Refuses new items and drops the queued ones.
    pub(crate) fn close(&self) {
        let items = {
            let mut state = self.0.lock();
            state.receiver_gone = true;
            state.release_gate();
            self.0.len.store(0, Ordering::SeqCst);
            std::mem::take(&mut state.items)
        };
        drop(items);
    }

    fn pop(&self, state: &mut DeliveryState<T>) -> Option<T> {
        let item = state.items.pop_front()?;
        self.0.len.store(state.items.len(), Ordering::SeqCst);
        if state.items.len() < self.0.capacity {
            state.release_gate();
        }
        Some(item)
    }
}

impl<T> std::fmt::Debug for DeliveryReceiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryReceiver")
            .field("pending", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> Drop for DeliveryReceiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn items_arrive_in_order_in_batches() {
        let (tx, rx) = queue(8);
        for i in 0..5 {
            tx.send(i).await.unwrap();
        }
        let mut batch = VecDeque::new();
        assert!(rx.recv_all(&mut batch).await);
        assert_eq!(batch.drain(..).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        tx.try_send(5).unwrap();
        assert!(rx.recv_all(&mut batch).await);
        tx.try_send(6).unwrap();
        rx.take_more(&mut batch);
        rx.take_more(&mut batch);
        assert_eq!(batch.drain(..).collect::<Vec<_>>(), [5, 6]);
    }

    #[tokio::test]
    async fn the_receiver_wakes_when_an_item_arrives_and_ends_when_the_sender_goes() {
        let (tx, rx) = queue(8);
        let task = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut batch = VecDeque::new();
            while rx.recv_all(&mut batch).await {
                got.extend(batch.drain(..));
            }
            got
        });
        for i in 0..100 {
            tx.send(i).await.unwrap();
            if i % 10 == 0 {
                tokio::task::yield_now().await;
            }
        }
        drop(tx);
        let got = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_full_queue_makes_senders_wait_until_the_receiver_takes_the_batch() {
        let (tx, rx) = queue(2);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
        let tx = Arc::new(tx);
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(3).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        let mut batch = VecDeque::new();
        assert!(rx.recv_all(&mut batch).await);
        assert_eq!(batch.drain(..).collect::<Vec<_>>(), [1, 2]);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(rx.recv_all(&mut batch).await);
        assert_eq!(batch.drain(..).collect::<Vec<_>>(), [3]);
    }

    #[tokio::test]
    async fn send_always_queues_past_a_full_queue() {
        let (tx, rx) = queue(1);
        tx.send(1).await.unwrap();
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        tx.send_always(3).unwrap();
        let mut batch = VecDeque::new();
        assert!(rx.recv_all(&mut batch).await);
        assert_eq!(batch.drain(..).collect::<Vec<_>>(), [1, 3]);
        drop(rx);
        assert_eq!(tx.send_always(4), Err(4));
    }

    #[tokio::test]
    async fn a_dropped_receiver_hands_items_back_and_frees_waiting_senders() {
        let (tx, rx) = queue(1);
        let queued = Arc::new(());
        tx.send(queued.clone()).await.unwrap();
        let tx = Arc::new(tx);
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(Arc::new(())).await.is_err() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(rx);
        assert_eq!(Arc::strong_count(&queued), 1, "queued items are dropped");
        let refused = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert!(refused);
        assert!(matches!(
            tx.try_send(Arc::new(())),
            Err(TrySendError::Closed(_))
        ));
    }

    fn drain<T>(rx: &DeliveryReceiver<T>) -> Vec<T> {
        std::iter::from_fn(|| rx.try_recv()).collect()
    }

    #[test]
    fn drop_newest_keeps_the_first_items_and_hands_back_the_new_one() {
        let (tx, rx) = delivery(3, Full::DropNewest);
        for i in 0..3 {
            assert_eq!(tx.deliver(i), Delivered::Queued);
        }
        assert_eq!(tx.deliver(3), Delivered::Dropped(3));
        assert_eq!(tx.deliver(4), Delivered::Dropped(4));
        assert_eq!(rx.len(), 3);
        assert_eq!(drain(&rx), [0, 1, 2]);
        assert_eq!(rx.len(), 0);
    }

    #[test]
    fn drop_oldest_keeps_the_newest_items_and_hands_back_the_oldest() {
        let (tx, rx) = delivery(3, Full::DropOldest);
        for i in 0..3 {
            assert_eq!(tx.deliver(i), Delivered::Queued);
        }
        assert_eq!(tx.deliver(3), Delivered::Dropped(0));
        assert_eq!(tx.deliver(4), Delivered::Dropped(1));
        assert_eq!(rx.len(), 3);
        assert_eq!(drain(&rx), [2, 3, 4]);
    }

    #[test]
    fn a_full_pausing_queue_closes_the_gate_until_it_has_room() {
        let gate = Arc::new(Gate::default());
        let (tx, rx) = delivery(2, Full::Pause);
        tx.attach(&gate);
        assert_eq!(tx.deliver(1), Delivered::Queued);
        assert!(!gate.is_closed());
        assert_eq!(tx.deliver(2), Delivered::Queued);
        assert!(gate.is_closed(), "full: the driver must stop reading");
        assert_eq!(rx.try_recv(), Some(1));
        assert!(!gate.is_closed(), "room again");
        assert_eq!(tx.deliver(3), Delivered::Queued);
        assert!(gate.is_closed());
        // Two pausing queues: the gate opens once neither is full.
        let (tx2, rx2) = delivery(1, Full::Pause);
        tx2.attach(&gate);
        assert_eq!(tx2.deliver(9), Delivered::Queued);
        assert_eq!(rx.try_recv(), Some(2));
        assert!(gate.is_closed(), "the second queue is still full");
        drop(rx2);
        assert!(!gate.is_closed(), "a dropped reader holds nothing back");
        assert_eq!(tx2.deliver(10), Delivered::Closed(10));
        assert_eq!(tx.deliver(4), Delivered::Queued);
        assert!(gate.is_closed());
        drop(tx);
        assert!(
            !gate.is_closed(),
            "a queue whose sender is gone holds nothing back"
        );
        assert_eq!(drain(&rx), [3, 4]);
    }

    #[tokio::test]
    async fn the_gate_wakes_the_driver_when_a_pausing_queue_has_room() {
        let gate = Arc::new(Gate::default());
        let (tx, rx) = delivery(1, Full::Pause);
        tx.attach(&gate);
        tx.deliver(1);
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move {
                std::future::poll_fn(|cx| {
                    if gate.poll_closed(cx) {
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn the_reader_wakes_for_an_item_and_ends_after_the_last_once_the_sender_goes() {
        let (tx, rx) = delivery(16, Full::DropNewest);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(i) = rx.recv().await {
                got.push(i);
            }
            got
        });
        for i in 0..10 {
            tx.deliver(i);
            tokio::task::yield_now().await;
        }
        drop(tx);
        let got = tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_closed_reader_drops_its_items_refuses_new_ones_and_reports_nothing_pending() {
        let (tx, rx) = delivery(4, Full::DropOldest);
        let depth = rx.depth();
        tx.deliver(Arc::new(1));
        tx.deliver(Arc::new(2));
        assert_eq!(depth.get(), 2);
        rx.close();
        assert_eq!(depth.get(), 0);
        assert!(matches!(tx.deliver(Arc::new(3)), Delivered::Closed(_)));
        assert_eq!(rx.try_recv(), None);
    }
}
