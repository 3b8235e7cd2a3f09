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
}
