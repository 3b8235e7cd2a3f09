//! Peak memory of decoding one message: a hostile one (an EVENT whose args are millions of tiny
//! integers, just under the default 16 MiB message limit) and two legitimate big ones (a
//! 10 MiB binary value, a list of 100,000 small dicts), on each serializer.
//!
//! ```sh
//! cargo run --release --example decode_peak
//! ```
//!
//! Each case runs in a child process of its own (this program started again with the case's
//! name), so that each peak is measured from a fresh process: the peak resident memory
//! (`VmHWM` in /proc/self/status) never goes down. A child prints the resident memory once the
//! message is built, the peak after decoding it, and the difference: what decoding cost at its
//! peak. Prints figures only; it asserts nothing.

use std::process::Command;
use std::time::Instant;

use wamp_core::serializer::by_name;

/// The default message limit of the client (16 MiB).
const MESSAGE_LIMIT: usize = 16 << 20;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The kinds of message measured.
const KINDS: [&str; 3] = ["tiny-ints", "binary-10mib", "dicts-100k"];

/// The serializers measured.
const SERIALIZERS: [&str; 3] = ["msgpack", "cbor", "json"];

/// An EVENT `[36, 1, 1, {}, args]` whose args list is written by `args`, in `serializer`.
fn event(serializer: &str, args: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(MESSAGE_LIMIT);
    match serializer {
        // fixarray(5), 36, 1, 1, fixmap(0)
        "msgpack" => out.extend_from_slice(&[0x95, 36, 1, 1, 0x80]),
        // array(5), uint8 36, 1, 1, map(0)
        "cbor" => out.extend_from_slice(&[0x85, 0x18, 36, 1, 1, 0xa0]),
        _ => out.extend_from_slice(b"[36,1,1,{},"),
    }
    args(&mut out);
    if serializer == "json" {
        out.push(b']');
    }
    out
}

/// A list header announcing `n` elements.
fn list_header(serializer: &str, n: usize, out: &mut Vec<u8>) {
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    match serializer {
        "msgpack" => {
            out.push(0xdd);
            out.extend_from_slice(&n32.to_be_bytes());
        }
        "cbor" => {
            out.push(0x9a);
            out.extend_from_slice(&n32.to_be_bytes());
        }
        _ => out.push(b'['),
    }
}

/// The message of a case.
fn message(serializer: &str, kind: &str) -> Vec<u8> {
    match kind {
        // As many one-byte integers as fit under the limit (two bytes each in JSON: `1,`).
        "tiny-ints" => event(serializer, |out| {
            let room = MESSAGE_LIMIT - 32;
            if serializer == "json" {
                let n = room / 2;
                out.push(b'[');
                for _ in 0..n - 1 {
                    out.extend_from_slice(b"1,");
                }
                out.extend_from_slice(b"1]");
            } else {
                list_header(serializer, room, out);
                out.resize(out.len() + room, 1);
            }
        }),
        "binary-10mib" => event(serializer, |out| {
            let len = 10 << 20;
            list_header(serializer, 1, out);
            match serializer {
                "msgpack" => {
                    out.push(0xc6);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                    out.resize(out.len() + len, 7);
                }
                "cbor" => {
                    out.push(0x5a);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                    out.resize(out.len() + len, 7);
                }
                _ => {
                    // WAMP's JSON binary: "\u0000" and base64 (of bytes 0x07 0x07 0x07: "BwcH").
                    out.extend_from_slice(b"\"\\u0000");
                    for _ in 0..len / 3 {
                        out.extend_from_slice(b"BwcH");
                    }
                    out.extend_from_slice(b"\"]");
                }
            }
        }),
        _ => event(serializer, |out| {
            // 100,000 dicts {"a": i}.
            let n = 100_000usize;
            list_header(serializer, n, out);
            for index in 0..n {
                let i = (index % 100) as u8;
                match serializer {
                    "msgpack" => out.extend_from_slice(&[0x81, 0xa1, b'a', i]),
                    "cbor" => out.extend_from_slice(&[0xa1, 0x61, b'a', 0x18, i]),
                    _ => {
                        if index > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(format!("{{\"a\":{i}}}").as_bytes());
                    }
                }
            }
            if serializer == "json" {
                out.push(b']');
            }
        }),
    }
}

/// Runs one case in this process and prints its figures.
fn run_case(serializer: &str, kind: &str) {
    let Some(ser) = by_name(serializer) else {
        eprintln!("unknown serializer {serializer}");
        return;
    };
    let bytes = message(serializer, kind);
    let built = status_kib("VmRSS:");
    let started = Instant::now();
    let result = ser.decode(&bytes);
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:");
    let outcome = match &result {
        Ok(_) => "decoded".to_owned(),
        Err(e) => format!("refused: {e}"),
    };
    drop(result);
    println!(
        "{serializer:8} {kind:13} message {:6.2} MiB | rss before {:7.1} MiB, peak {:7.1} MiB, \
         decode peak +{:7.1} MiB ({:5.1}x the message) in {:6.1} ms | {outcome}",
        bytes.len() as f64 / 1048576.0,
        built as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(built) as f64 / 1024.0,
        (peak.saturating_sub(built) * 1024) as f64 / bytes.len() as f64,
        elapsed.as_secs_f64() * 1000.0,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [serializer, kind] = &args[..] {
        run_case(serializer, kind);
        return;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program to run the cases: {e}");
            return;
        }
    };
    println!(
        "size_of::<Value>() = {} bytes",
        std::mem::size_of::<wamp_core::Value>()
    );
    for kind in KINDS {
        for serializer in SERIALIZERS {
            // One fresh process per case; each ends once its one decode is done.
            match Command::new(&exe).args([serializer, kind]).status() {
                Ok(status) if status.success() => {}
                Ok(status) => eprintln!("{serializer} {kind}: the case failed ({status})"),
                Err(e) => eprintln!("{serializer} {kind}: cannot run the case: {e}"),
            }
        }
    }
}
