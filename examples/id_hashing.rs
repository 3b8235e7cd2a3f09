//! How the hash tables of `wamp_core::id` fare when the peer chooses the ids: CPU time per
//! insert, lookup and remove of 60,000 ids into a table, for three sets of ids:
//!
//! - sequential ids `1..=60000` (our own request ids look like this);
//! - random ids in `1..=2^53` (what routers such as Crossbar hand out);
//! - colliding ids: 60,000 valid ids whose hashes under the unkeyed [`IdHasher`] share their
//!   low 20 bits and their top 7 bits, which is what std's tables (hashbrown) use for the
//!   bucket and the tag: in every table of up to 2^20 buckets they all start in one bucket
//!   with one tag, so each operation probes and compares all the ids before it.
//!
//! The colliding ids are found by inverting the old hash. `IdHasher` hashes an id `n` to
//! `h ^ (h >> 29)` with `h = n * C` (wrapping, `C` odd): both steps are bijections of `u64`.
//! So the program picks hash values of the chosen shape (fixed low 20 and top 7 bits, the 37
//! middle bits counting up), undoes the xorshift (`h = x ^ (x >> 29) ^ (x >> 58)`) and the
//! multiply (by `C`'s inverse modulo 2^64), and keeps the preimages that are valid ids (about
//! one in 2^11); each one is checked against the real `IdHasher`.
//!
//! Tables: the old `IdMap` (unkeyed multiply-xorshift), the new `PeerIdMap` (folded multiply
//! with random keys per table), and std's `HashMap` with `RandomState` (SipHash-1-3), for
//! reference. Each figure is the best of a few rounds, tables and id sets alternating within
//! a round. Prints figures only; it asserts nothing.
//!
//! Then the same end to end: a client session on the fake router of `wamp_client::testing`
//! (RawSocket, MessagePack, in-memory pipes) registers an echo procedure, and the router sends
//! it 60,000 INVOCATIONs with sequential ids, then with colliding ids (in batches of 1,000,
//! reading the YIELDs after each batch). The client runs alone on a thread of its own (a
//! current-thread runtime), so the figure is that thread's CPU time: the driver's reads,
//! decoding, tables, handler tasks and writes, none of the router's work.
//!
//! ```sh
//! cargo run --release --example id_hashing
//! ```

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::hint::black_box;

use std::time::Duration;

use cpu_time::{ProcessTime, ThreadTime};
use tokio::sync::oneshot;
use wamp_client::testing::FakeRouter;
use wamp_client::{Invocation, JoinOptions, Session, WampError};
use wamp_core::id::{is_valid_id, Id, IdHasher, PeerIdState};
use wamp_core::message::Message;
use wamp_core::serializer::MsgPack;
use wamp_core::{Dict, Value};

/// Ids per set.
const COUNT: usize = 60_000;

/// Rounds of measurement (the best of them is kept).
const ROUNDS: usize = 3;

/// `IdHasher`'s multiplier.
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The low 20 and top 7 bits every colliding hash has.
const LOW_BITS: u64 = 0x5_a5a5;
const TOP_BITS: u64 = 0x55 << 57;

fn old_hash(id: Id) -> u64 {
    BuildHasherDefault::<IdHasher>::default().hash_one(id)
}

/// Up to `count` valid ids whose old hashes are `TOP_BITS | middle << 20 | LOW_BITS`.
fn colliding_ids(count: usize) -> Vec<Id> {
    // Newton's iteration for the inverse modulo 2^64: correct low bits double each step.
    let mut inverse = MULTIPLIER;
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(MULTIPLIER.wrapping_mul(inverse)));
    }
    let mut ids = Vec::with_capacity(count);
    let mut mismatches = 0usize;
    // 2^37 hash values of that shape; about 2^26 of them give valid ids.
    for middle in 0..1u64 << 37 {
        let hash = TOP_BITS | middle << 20 | LOW_BITS;
        let id = (hash ^ (hash >> 29) ^ (hash >> 58)).wrapping_mul(inverse);
        if !is_valid_id(id) {
            continue;
        }
        if old_hash(id) != hash {
            // IdHasher is no longer what this program inverts.
            mismatches += 1;
            if mismatches > 10 {
                eprintln!("IdHasher is not the multiply-xorshift this program inverts");
                break;
            }
            continue;
        }
        ids.push(id);
        if ids.len() == count {
            break;
        }
    }
    ids
}

/// `count` random ids in `1..=2^53` (splitmix64 from a fixed seed, so runs compare).
fn random_ids(count: usize) -> Vec<Id> {
    let mut x: u64 = 0x0123_4567_89ab_cdef;
    (0..count)
        .map(|_| {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) + 1
        })
        .collect()
}

/// CPU nanoseconds per insert, lookup and remove of `ids` in a new table hashed by `S`.
fn measure<S: BuildHasher + Default>(ids: &[Id]) -> [f64; 3] {
    let per_op = |t: ProcessTime| t.elapsed().as_nanos() as f64 / ids.len() as f64;
    let mut table: HashMap<Id, u64, S> = HashMap::with_hasher(S::default());
    let t = ProcessTime::now();
    for &id in ids {
        table.insert(id, id);
    }
    let insert = per_op(t);
    let t = ProcessTime::now();
    let mut sum = 0u64;
    for id in ids {
        sum = sum.wrapping_add(table.get(black_box(id)).copied().unwrap_or(0));
    }
    black_box(sum);
    let lookup = per_op(t);
    let t = ProcessTime::now();
    for id in ids {
        black_box(table.remove(id));
    }
    let remove = per_op(t);
    [insert, lookup, remove]
}

/// The tables compared.
const TABLES: [&str; 3] = ["IdMap (old)", "PeerIdMap (new)", "RandomState"];

fn measure_table(table: usize, ids: &[Id]) -> [f64; 3] {
    match table {
        0 => measure::<BuildHasherDefault<IdHasher>>(ids),
        1 => measure::<PeerIdState>(ids),
        _ => measure::<RandomState>(ids),
    }
}

/// Invocations the fake router sends before it reads their answers.
const BATCH: usize = 1000;

/// The CPU time of a client session answering one INVOCATION per id of `ids`, sent by the fake
/// router: the client's thread only, from its registration until the last answer is read.
fn client_cpu(ids: &[Id]) -> Duration {
    let mut router = FakeRouter::rawsocket(MsgPack).buffer_size(1 << 20);
    let config = router.config();
    let (ready_tx, ready_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let client = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let session = Session::join(&config, JoinOptions::new("realm1"))
                .await
                .expect("join the fake router");
            let echo = |inv: Invocation| async move { Ok::<_, WampError>(inv.payload) };
            let registration = session
                .register("com.example.echo", echo)
                .await
                .expect("register");
            let cpu = ThreadTime::now();
            let _ = ready_tx.send(());
            let _ = done_rx.await;
            let cpu = cpu.elapsed();
            drop(registration);
            cpu
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut peer = router.accept().await;
        peer.welcome().await;
        peer.answer_register(1).await;
        ready_rx.await.expect("the client registered");
        for batch in ids.chunks(BATCH) {
            for &id in batch {
                peer.invoke(id, 1, Dict::new(), vec![Value::from(id)]).await;
            }
            for _ in batch {
                match peer.recv().await {
                    Some(Message::Yield { .. }) => {}
                    other => panic!("expected YIELD, got {other:?}"),
                }
            }
        }
        let _ = done_tx.send(());
    });
    client.join().expect("the client thread")
}

fn main() {
    let t = ProcessTime::now();
    let colliding = colliding_ids(COUNT);
    println!(
        "found {} colliding ids in {:.2} s of CPU (old hashes: low 20 bits {:#x}, top 7 bits {:#x})",
        colliding.len(),
        t.elapsed().as_secs_f64(),
        LOW_BITS,
        TOP_BITS >> 57
    );
    if colliding.len() < COUNT {
        println!("(fewer than {COUNT}: the figures are for those)");
    }
    let sets: [(&str, Vec<Id>); 3] = [
        ("sequential", (1..=COUNT as u64).collect()),
        ("random", random_ids(COUNT)),
        ("colliding", colliding),
    ];
    // best[table][set] = [insert, lookup, remove] ns per operation.
    let mut best = [[[f64::INFINITY; 3]; 3]; 3];
    for round in 0..ROUNDS {
        // Alternate the order of the tables from round to round.
        for k in 0..TABLES.len() {
            let table = (k + round) % TABLES.len();
            for (s, (_, ids)) in sets.iter().enumerate() {
                let figures = measure_table(table, ids);
                for (b, f) in best[table][s].iter_mut().zip(figures) {
                    *b = b.min(f);
                }
            }
        }
    }
    println!(
        "\nCPU ns per operation, {COUNT} ids, best of {ROUNDS} rounds (insert / lookup / remove):"
    );
    for (t, name) in TABLES.iter().enumerate() {
        let total = |s: usize| best[t][s].iter().sum::<f64>();
        for (s, (set, _)) in sets.iter().enumerate() {
            let [i, l, r] = best[t][s];
            println!("  {name:16} {set:10}  {i:9.1} / {l:9.1} / {r:9.1}");
        }
        println!(
            "  {name:16} colliding/sequential {:7.1}x, random/sequential {:5.2}x (all three operations)",
            total(2) / total(0),
            total(1) / total(0),
        );
    }

    // End to end: the client's CPU for 60,000 invocations, sequential and colliding ids
    // alternating, the best of the rounds.
    let sequential: Vec<Id> = (1..=COUNT as u64).collect();
    let colliding = &sets[2].1;
    let mut best = [Duration::MAX; 2];
    for round in 0..ROUNDS {
        for k in 0..2 {
            let which = (k + round) % 2;
            let ids = if which == 0 { &sequential } else { colliding };
            best[which] = best[which].min(client_cpu(ids));
        }
    }
    let per_call = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "\nEnd to end, client thread CPU for {COUNT} invocations over a session on the fake router \
         (RawSocket, MessagePack), best of {ROUNDS} rounds:"
    );
    println!(
        "  sequential ids  {:9.1} ms ({:.2} µs per invocation)",
        best[0].as_secs_f64() * 1e3,
        per_call(best[0], sequential.len())
    );
    println!(
        "  colliding ids   {:9.1} ms ({:.2} µs per invocation)",
        best[1].as_secs_f64() * 1e3,
        per_call(best[1], colliding.len())
    );
    println!(
        "  colliding/sequential {:.2}x (target: within 2x)",
        best[1].as_secs_f64() / best[0].as_secs_f64()
    );
}
