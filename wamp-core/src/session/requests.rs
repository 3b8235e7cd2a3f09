//! The table of pending requests: one entry per request id, holding the waiter the driver
//! gave, what kind of reply the request expects, and a call's deadline. Requests given up by
//! their caller (timed out, dropped) stay as bounded tombstones until the router's last word
//! about them, so a late reply is neither delivered nor taken for a protocol violation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use crate::id::{Id, IdGenerator, IdMap};
use crate::message::RequestType;

/// How many abandoned requests are remembered while waiting for the router's late answer;
/// beyond that the oldest is forgotten (a late reply to it then counts as a reply to an
/// unknown request).
pub const MAX_ABANDONED: usize = 16 * 1024;

/// What a request expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Call,
    Register,
    Unregister(Id),
    Subscribe,
    Unsubscribe(Id),
    Publish,
    /// A liveness probe (a CALL whose answer, RESULT or ERROR, only proves the router alive).
    Probe,
}

impl Kind {
    pub(super) fn request_type(self) -> RequestType {
        match self {
            Kind::Call | Kind::Probe => RequestType::Call,
            Kind::Register => RequestType::Register,
            Kind::Unregister(_) => RequestType::Unregister,
            Kind::Subscribe => RequestType::Subscribe,
            Kind::Unsubscribe(_) => RequestType::Unsubscribe,
            Kind::Publish => RequestType::Publish,
        }
    }
}

/// A deadline of a call: when, and the timeout it came from (reported with the failure and
/// restarted by each progressive result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Deadline {
    pub(super) at: Instant,
    pub(super) timeout: Duration,
}

/// One pending request.
#[derive(Debug)]
pub(super) enum Slot<C, A> {
    /// A call, answered by RESULT or ERROR.
    Call {
        waiter: C,
        deadline: Option<Deadline>,
    },
    /// Any other request, answered by its acknowledgement or ERROR.
    Ack { kind: Kind, waiter: A },
    /// A liveness probe.
    Probe,
    /// Given up by its caller; the router's answer is dropped when it comes.
    Abandoned { kind: Kind },
}

impl<C, A> Slot<C, A> {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Slot::Call { .. } => Kind::Call,
            Slot::Ack { kind, .. } | Slot::Abandoned { kind } => *kind,
            Slot::Probe => Kind::Probe,
        }
    }
}

/// The waiter of a request, handed back with its failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiter<C, A> {
    /// A call's waiter.
    Call(C),
    /// The waiter of a registration, subscription, their removal, or an acknowledged
    /// publication.
    Ack(A),
}

/// The pending requests of one session.
#[derive(Debug)]
pub(super) struct Requests<C, A> {
    ids: IdGenerator,
    slots: IdMap<Slot<C, A>>,
    /// Requests with a waiter (not probes, not tombstones).
    live: usize,
    /// Tombstones, oldest first (some may have been answered since: skipped when evicting).
    abandoned: VecDeque<Id>,
    abandoned_count: usize,
    /// Call deadlines; entries whose call has ended or whose deadline moved are stale.
    deadlines: DeadlineHeap,
    with_deadline: usize,
}

impl<C, A> Default for Requests<C, A> {
    fn default() -> Self {
        Requests {
            ids: IdGenerator::default(),
            slots: IdMap::default(),
            live: 0,
            abandoned: VecDeque::new(),
            abandoned_count: 0,
            deadlines: DeadlineHeap::default(),
            with_deadline: 0,
        }
    }
}

impl<C, A> Requests<C, A> {
    /// Requests waiting for their answer (probes and abandoned requests not counted).
    pub(super) fn live(&self) -> usize {
        self.live
    }

    /// Abandoned requests still remembered.
    pub(super) fn abandoned(&self) -> usize {
        self.abandoned_count
    }

    /// A fresh request id (not one still in use after the counter wrapped).
    pub(super) fn next_id(&mut self) -> Id {
        let mut id = self.ids.next_id();
        while self.slots.contains_key(&id) {
            id = self.ids.next_id();
        }
        id
    }

    /// Adds a request under a fresh id.
    pub(super) fn insert(&mut self, slot: Slot<C, A>) -> Id {
        let id = self.next_id();
        if matches!(slot, Slot::Call { .. } | Slot::Ack { .. }) {
            self.live += 1;
        }
        if let Slot::Call {
            deadline: Some(d), ..
        } = &slot
        {
            self.push_deadline(d.at, id);
        }
        self.slots.insert(id, slot);
        id
    }

    pub(super) fn get(&self, id: Id) -> Option<&Slot<C, A>> {
        self.slots.get(&id)
    }

    /// The waiter of a pending call.
    pub(super) fn call_waiter_mut(&mut self, id: Id) -> Option<&mut C> {
        match self.slots.get_mut(&id) {
            Some(Slot::Call { waiter, .. }) => Some(waiter),
            _ => None,
        }
    }

    /// Removes a request (any state).
    pub(super) fn remove(&mut self, id: Id) -> Option<Slot<C, A>> {
        let slot = self.slots.remove(&id)?;
        match &slot {
            Slot::Call { deadline, .. } => {
                self.live -= 1;
                if deadline.is_some() {
                    self.with_deadline -= 1;
                }
            }
            Slot::Ack { .. } => self.live -= 1,
            Slot::Abandoned { .. } => self.abandoned_count -= 1,
            Slot::Probe => {}
        }
        Some(slot)
    }

    /// Turns a request into a tombstone and hands back its waiter.
    pub(super) fn abandon(&mut self, id: Id) -> Option<Waiter<C, A>> {
        let kind = self.slots.get(&id)?.kind();
        let waiter = match self.remove(id)? {
            Slot::Call { waiter, .. } => Some(Waiter::Call(waiter)),
            Slot::Ack { waiter, .. } => Some(Waiter::Ack(waiter)),
            Slot::Probe | Slot::Abandoned { .. } => None,
        };
        self.slots.insert(id, Slot::Abandoned { kind });
        self.abandoned_count += 1;
        self.abandoned.push_back(id);
        while self.abandoned_count > MAX_ABANDONED {
            let Some(old) = self.abandoned.pop_front() else {
                break;
            };
            if matches!(self.slots.get(&old), Some(Slot::Abandoned { .. })) {
                self.remove(old);
            }
        }
        // Answered tombstones leave stale ids behind: drop them once they dominate.
        if self.abandoned.len() > 2 * self.abandoned_count + 64 {
            let slots = &self.slots;
            self.abandoned
                .retain(|id| matches!(slots.get(id), Some(Slot::Abandoned { .. })));
        }
        waiter
    }

    /// Moves the deadline of a pending call (a progressive result restarts its timer).
    pub(super) fn restart_deadline(&mut self, id: Id, now: Instant) {
        let at = match self.slots.get_mut(&id) {
            Some(Slot::Call {
                deadline: Some(d), ..
            }) => {
                d.at = now + d.timeout;
                d.at
            }
            _ => return,
        };
        self.deadlines.push(at, id);
        self.compact();
    }

    fn push_deadline(&mut self, at: Instant, id: Id) {
        self.with_deadline += 1;
        self.deadlines.push(at, id);
        self.compact();
    }

    /// Rebuilds the heap when stale entries (calls answered before their deadline) outnumber
    /// the live ones: the heap stays within a constant factor of the calls with a deadline.
    fn compact(&mut self) {
        if self.deadlines.len() <= 2 * self.with_deadline + 64 {
            return;
        }
        let live = self.slots.iter().filter_map(|(id, slot)| match slot {
            Slot::Call {
                deadline: Some(d), ..
            } => Some((d.at, *id)),
            _ => None,
        });
        self.deadlines.rebuild(live);
    }

    /// The earliest call deadline.
    pub(super) fn next_deadline(&mut self) -> Option<Instant> {
        let slots = &self.slots;
        self.deadlines.next(|at, id| is_current(slots, at, id))
    }

    /// Abandons and returns the next call whose deadline is at or before `now`, with its
    /// timeout.
    pub(super) fn pop_expired(&mut self, now: Instant) -> Option<(Id, C, Duration)> {
        loop {
            let slots = &self.slots;
            let (at, id) = self
                .deadlines
                .pop_due(now, |at, id| is_current(slots, at, id))?;
            let timeout = match self.slots.get(&id) {
                Some(Slot::Call {
                    deadline: Some(d), ..
                }) if d.at == at => d.timeout,
                _ => continue,
            };
            if let Some(Waiter::Call(waiter)) = self.abandon(id) {
                return Some((id, waiter, timeout));
            }
        }
    }

    /// Empties the table, handing back every waiter in request order.
    pub(super) fn drain_waiters(&mut self) -> Vec<(Id, Waiter<C, A>)> {
        let mut all: Vec<(Id, Slot<C, A>)> = self.slots.drain().collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        self.live = 0;
        self.abandoned_count = 0;
        self.with_deadline = 0;
        self.abandoned.clear();
        self.deadlines.clear();
        all.into_iter()
            .filter_map(|(id, slot)| match slot {
                Slot::Call { waiter, .. } => Some((id, Waiter::Call(waiter))),
                Slot::Ack { waiter, .. } => Some((id, Waiter::Ack(waiter))),
                Slot::Probe | Slot::Abandoned { .. } => None,
            })
            .collect()
    }

    #[cfg(test)]
    pub(super) fn set_ids(&mut self, ids: IdGenerator) {
        self.ids = ids;
    }

    #[cfg(test)]
    pub(super) fn heap_len(&self) -> usize {
        self.deadlines.len()
    }
}

fn is_current<C, A>(slots: &IdMap<Slot<C, A>>, at: Instant, id: Id) -> bool {
    matches!(slots.get(&id), Some(Slot::Call { deadline: Some(d), .. }) if d.at == at)
}

/// Deadlines keyed by id, earliest first, with lazy removal: an entry is *current* when the
/// owner still has that deadline for that id (the caller says, through `is_current`); other
/// entries are skipped when they come up. The owner rebuilds the heap when stale entries pile up.
#[derive(Debug, Default)]
pub(super) struct DeadlineHeap {
    heap: BinaryHeap<Reverse<(Instant, Id)>>,
}

impl DeadlineHeap {
    pub(super) fn push(&mut self, at: Instant, id: Id) {
        self.heap.push(Reverse((at, id)));
    }

    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(super) fn clear(&mut self) {
        self.heap.clear();
    }

    pub(super) fn rebuild(&mut self, entries: impl Iterator<Item = (Instant, Id)>) {
        self.heap = entries.map(Reverse).collect();
    }

    /// The earliest current deadline (stale entries on top are dropped).
    pub(super) fn next(&mut self, is_current: impl Fn(Instant, Id) -> bool) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if is_current(at, id) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// Removes and returns the next current entry due at `now`.
    pub(super) fn pop_due(
        &mut self,
        now: Instant,
        is_current: impl Fn(Instant, Id) -> bool,
    ) -> Option<(Instant, Id)> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if is_current(at, id) {
                return Some((at, id));
            }
        }
        None
    }
}
