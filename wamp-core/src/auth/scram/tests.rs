use super::*;

fn hex(bytes: &[u8]) -> String {
    hex_encode(bytes)
}

fn dict(entries: &[(&str, Value)]) -> Dict {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// RFC 7677 §3: `user` / `pencil`, PBKDF2-SHA256 with 4096 rounds, `c=biws` (the spec's form).
#[test]
fn the_rfc_7677_vector_holds_for_the_shared_primitives() {
    let salt_text = "W22ZaJ0SNY7soEsUEjb6gQ==";
    let salt = STANDARD.decode(salt_text).unwrap();
    let sp = Kdf::Pbkdf2 { iterations: 4096 }
        .salted_password(b"pencil", &salt)
        .unwrap();
    let keys = Keys::new(&sp);
    assert_eq!(
        hex(&keys.stored_key),
        "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6"
    );
    assert_eq!(
        hex(&*keys.server_key),
        "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5"
    );
    let message = auth_message(
        "user",
        "rOprNGfwEbeRWgbNEkqO",
        "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        salt_text,
        4096,
        "biws",
    );
    assert_eq!(
        STANDARD.encode(keys.client_proof(&message)),
        "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    );
    assert_eq!(
        STANDARD.encode(keys.server_signature(&message)),
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    );
}

/// Autobahn `test_wamp_auth.py` `test_argon2id_static` (the `argon2` tool's output).
#[test]
fn argon2id_matches_the_reference_vector_and_the_key_is_its_unpadded_base64_text() {
    let sp = Kdf::Argon2id13 {
        iterations: 32,
        memory: 512,
    }
    .salted_password(b"p4ssw0rd", b"1234567890abcdef")
    .unwrap();
    assert_eq!(sp.len(), 43);
    assert_eq!(
        hex(&STANDARD_NO_PAD.decode(&*sp).unwrap()),
        "ee4a8acf9d5958354fb79a95ae20692d05e42591ba49fae85eb6700e8b0ed293"
    );
}

/// Autobahn `test_wamp_auth.py` `test_pbkdf2_static`: the raw output is the key.
#[test]
fn pbkdf2_matches_the_reference_vector_and_the_key_is_the_raw_output() {
    let sp = Kdf::Pbkdf2 { iterations: 8 }
        .salted_password(b"p4ssw0rd", b"1234567890abcdef")
        .unwrap();
    assert_eq!(
        hex(&sp),
        "f6991a28c75f43751e0d75499fd7b8649f659118ddc1d61cee5883af547d15f5"
    );
}

/// Autobahn `test_wamp_auth.py` `TestScram.test_basic`: its client nonce and salt are hex texts
/// used as base64, and its router nonce does not extend the client's (Autobahn does not check),
/// so this drives the primitives directly. The server signature is the one Autobahn's
/// `on_welcome` accepts for the same exchange.
#[test]
fn autobahns_scram_test_basic_vector_holds() {
    let client_nonce = "31323334353637383930616263646566";
    let nonce = "1234567890abcdeffedcba0987654321";
    let salt_text = "31323334353637383930616263646566";
    let kdf = Kdf::Argon2id13 {
        iterations: 32,
        memory: 512,
    };
    let sp = kdf
        .salted_password(b"p4ssw0rd", &STANDARD.decode(salt_text).unwrap())
        .unwrap();
    assert_eq!(&*sp, b"ln5cGpkOOh/ThoEnXRHtHituN5dFKX2gIvPAdugG1NY");
    let message = auth_message("username", client_nonce, nonce, salt_text, 32, "");
    assert_eq!(
        message,
        "n=username,r=31323334353637383930616263646566,r=1234567890abcdeffedcba0987654321,\
         s=31323334353637383930616263646566,i=32,c=,r=1234567890abcdeffedcba0987654321"
    );
    let keys = Keys::new(&sp);
    assert_eq!(
        STANDARD.encode(keys.client_proof(&message)),
        "f5r3loERzGVSuimE+lvO0bWna2zyswBo0HrZkaaEy38="
    );
    assert_eq!(
        STANDARD.encode(keys.server_signature(&message)),
        "hNxIqEr5aKBN23w/LWOZ7s71mf5zfEIIE9Rn2baeXck="
    );
}

/// Autobahn `test_wamp_scram.py`: `derive_scram_credential("foobar@example.com", "secret123")`,
/// and an exchange with that principal that Crossbar.io 26.10.1's `PendingAuthScram` accepted
/// (client nonce bytes 0x11 × 16, router bytes 0x22 × 16).
///
/// Argon2 with 4096 passes: fast only because the workspace optimizes `argon2` and `blake2`
/// in debug builds too (see `Cargo.toml`).
#[test]
fn autobahns_derive_scram_credential_vector_and_a_crossbar_exchange_hold() {
    let email = "foobar@example.com";
    let salt = &Sha256::digest(email.as_bytes())[..16];
    assert_eq!(hex(salt), "3bc3ca01dd1d501ca1c22e1c5d7d16fe");
    let kdf = Kdf::Argon2id13 {
        iterations: 4096,
        memory: 512,
    };
    let credential = derive_credential("secret123", salt, kdf).unwrap();
    assert_eq!(
        hex(&credential.stored_key),
        "e796c2f0a51770303ee4616bc630a66774d51a55003154aff2a54ec7c4ac0e38"
    );
    assert_eq!(
        hex(&credential.server_key),
        "8de7864c316f3c2356fd76cfdab696db55bc70e680fe5180e2f731e2345acca2"
    );
    let mut client = ScramClient::new(email, "secret123", &client_nonce([0x11; 16]));
    let (proof, _) = client.answer(&crossbar_challenge(&credential)).unwrap();
    assert_eq!(proof, "qfsc/5YoLgn14LlwtSZHdxVEfhd7zFP9YhihmFvc/gM=");
    let welcome = dict(&[(
        "scram_server_signature",
        Value::from("ZuSu8dyfxuLu8WvF+EB/jSzhYhXUQwnqbJEy7lpmuYQ="),
    )]);
    assert_eq!(client.verify_welcome(&welcome), Ok(()));
}

/// The CHALLENGE Crossbar.io sends for `credential` when the client's nonce bytes are 0x11 × 16
/// and its own are 0x22 × 16.
fn crossbar_challenge(credential: &Credential) -> Dict {
    let mut nonce = [0x11u8; 32];
    nonce[16..].fill(0x22);
    credential.challenge_extra(&nonce)
}

/// Recorded by driving Crossbar.io 26.10.1's `crossbar.router.auth.scram.PendingAuthScram`
/// (static principal made with argon2-cffi like Autobahn's `derive_scram_credential`, but
/// t = 4, m = 64) with this client: Crossbar accepted the proof and sent this signature.
#[test]
fn crossbar_accepts_our_argon2_proof_and_we_accept_its_signature() {
    let password = "s3cret p\u{e4}ssword";
    let salt: Vec<u8> = (0..16).collect();
    let credential = derive_credential(
        password,
        &salt,
        Kdf::Argon2id13 {
            iterations: 4,
            memory: 64,
        },
    )
    .unwrap();
    assert_eq!(
        hex(&credential.stored_key),
        "37ed2e27d8a23270b20fb0a34290555cbe72a1b0763232c953f057af26ecd2e7"
    );
    assert_eq!(
        hex(&credential.server_key),
        "6b68d046b10dbf0af42051b26ae2235e5e65629c3ad237a135754725b7dc1460"
    );
    let extra = crossbar_challenge(&credential);
    assert_eq!(
        extra,
        dict(&[
            (
                "nonce",
                Value::from("ERERERERERERERERERERESIiIiIiIiIiIiIiIiIiIiI=")
            ),
            ("kdf", Value::from("argon2id-13")),
            ("salt", Value::from("AAECAwQFBgcICQoLDA0ODw==")),
            ("iterations", Value::from(4)),
            ("memory", Value::from(64)),
        ])
    );
    let mut client = ScramClient::new("alice", password, &client_nonce([0x11; 16]));
    let (proof, authenticate_extra) = client.answer(&extra).unwrap();
    assert_eq!(proof, "1JIoGhDl7Jq8umocOWPOgaPTI8M/Qy0U42SXvVpKOcw=");
    assert!(authenticate_extra.is_empty());
    assert_eq!(
        client.auth_message(),
        Some(
            "n=alice,r=EREREREREREREREREREREQ==,r=ERERERERERERERERERERESIiIiIiIiIiIiIiIiIiIiI=,\
             s=AAECAwQFBgcICQoLDA0ODw==,i=4,c=,r=ERERERERERERERERERERESIiIiIiIiIiIiIiIiIiIiI="
        )
    );
    let signature = "GnBhtRgPcFAVUVUg/PxO4LGpH/bIasBT9DGB7sSxe7U=";
    assert_eq!(
        credential.server_signature(client.auth_message().unwrap()),
        signature
    );
    assert!(credential.verify_proof(client.auth_message().unwrap(), &proof));
    let welcome = dict(&[("scram_server_signature", Value::from(signature))]);
    assert_eq!(client.verify_welcome(&welcome), Ok(()));
}

/// As above with a `pbkdf2` principal (stored and server keys from Python's
/// `hashlib.pbkdf2_hmac` raw output): Crossbar.io accepted the proof.
#[test]
fn crossbar_accepts_our_pbkdf2_proof_with_a_raw_output_credential() {
    let salt: Vec<u8> = (0..16).collect();
    let credential = derive_credential("pencil", &salt, Kdf::Pbkdf2 { iterations: 4096 }).unwrap();
    assert_eq!(
        hex(&credential.stored_key),
        "cc709da25db4e38fd9c96ccf2e2ee8c40a4291a98ac3d67e13853f400a5dff96"
    );
    assert_eq!(
        hex(&credential.server_key),
        "75de697813a2b559cb345bbb566c0ff8788369ac383940afdfde9e5425a16221"
    );
    let mut client = ScramClient::new("bob@example.com", "pencil", &client_nonce([0x11; 16]));
    let (proof, _) = client.answer(&crossbar_challenge(&credential)).unwrap();
    assert_eq!(proof, "wyvCmZCWKD6A81Gxp6vylbQmKdBVoiPe23jF+ErUxX8=");
    let welcome = dict(&[(
        "scram_server_signature",
        Value::from("tvlM/AgMeORK8JmJYujRamVOUbB9OSgxT3+myuq3qHg="),
    )]);
    assert_eq!(client.verify_welcome(&welcome), Ok(()));
}

#[test]
fn the_crossbar_principal_has_the_config_fields_in_hex() {
    let salt: Vec<u8> = (0..16).collect();
    let credential = derive_credential("pencil", &salt, Kdf::Pbkdf2 { iterations: 4096 }).unwrap();
    assert_eq!(
        credential.to_crossbar_principal(),
        dict(&[
            ("kdf", Value::from("pbkdf2")),
            ("iterations", Value::from(4096)),
            ("memory", Value::from(0)),
            ("salt", Value::from("000102030405060708090a0b0c0d0e0f")),
            (
                "stored-key",
                Value::from("cc709da25db4e38fd9c96ccf2e2ee8c40a4291a98ac3d67e13853f400a5dff96")
            ),
            (
                "server-key",
                Value::from("75de697813a2b559cb345bbb566c0ff8788369ac383940afdfde9e5425a16221")
            ),
        ])
    );
    let shown = format!("{credential:?}");
    assert!(
        !shown.contains("cc709da2") && !shown.contains("75de6978"),
        "{shown}"
    );
}

fn cheap_credential() -> Credential {
    derive_credential(
        "pw",
        b"saltsalt",
        Kdf::Argon2id13 {
            iterations: 1,
            memory: 8,
        },
    )
    .unwrap()
}

#[test]
fn a_wrong_password_gives_a_proof_the_router_refuses() {
    let credential = cheap_credential();
    let mut client = ScramClient::new("alice", "not pw", &client_nonce([0x11; 16]));
    let (proof, _) = client.answer(&crossbar_challenge(&credential)).unwrap();
    assert!(!credential.verify_proof(client.auth_message().unwrap(), &proof));
    assert!(!credential.verify_proof(client.auth_message().unwrap(), "not base64!"));
    assert!(!credential.verify_proof(client.auth_message().unwrap(), "AAAA"));
}

#[test]
fn the_argon2id13_spelling_of_the_spec_is_accepted_too() {
    let credential = cheap_credential();
    let mut extra = crossbar_challenge(&credential);
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    let (dashed, _) = client.answer(&extra).unwrap();
    extra.insert("kdf".into(), Value::from("argon2id13"));
    let (undashed, _) = client.answer(&extra).unwrap();
    assert_eq!(dashed, undashed);
    assert!(credential.verify_proof(client.auth_message().unwrap(), &undashed));
}

#[test]
fn the_router_nonce_must_extend_ours_as_bytes_or_as_text() {
    let credential = cheap_credential();
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    let mut extra = crossbar_challenge(&credential);
    // Crossbar's form: our bytes, then its bytes.
    assert!(client.answer(&extra).is_ok());
    // The spec's form: our text, then its text.
    let text = format!("{}abc", client.nonce());
    extra.insert("nonce".into(), Value::from(text));
    assert!(client.answer(&extra).is_ok());
    let refused = [
        client.nonce().to_owned(),        // nothing added
        STANDARD.encode([0x11u8; 16]),    // the same bytes, nothing added
        STANDARD.encode([0x12u8; 32]),    // someone else's bytes
        "x".repeat(40),                   // not ours, not base64
        format!("abc{}", client.nonce()), // ours, not at the start
        String::new(),
    ];
    for nonce in refused {
        extra.insert("nonce".into(), Value::from(nonce.as_str()));
        assert_eq!(
            client.answer(&extra),
            Err(AuthError::NonceMismatch { method: "scram" }),
            "{nonce:?}"
        );
    }
}

#[test]
fn missing_or_mistyped_challenge_fields_are_errors() {
    let full = crossbar_challenge(&cheap_credential());
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    for field in ["nonce", "salt", "kdf", "iterations", "memory"] {
        let mut extra = full.clone();
        extra.remove(field);
        assert_eq!(
            client.answer(&extra),
            Err(AuthError::MissingField {
                method: "scram",
                field
            })
        );
        extra.insert(field.into(), Value::Null);
        assert_eq!(
            client.answer(&extra),
            Err(AuthError::MissingField {
                method: "scram",
                field
            })
        );
        extra.insert(field.into(), Value::List(vec![]));
        assert!(
            matches!(client.answer(&extra), Err(AuthError::InvalidField { field: f, .. }) if f == field),
            "{field}"
        );
    }
    let mut extra = full.clone();
    extra.insert("salt".into(), Value::from("not base64!"));
    assert_eq!(
        client.answer(&extra),
        Err(AuthError::InvalidField {
            method: "scram",
            field: "salt",
            expected: "base64"
        })
    );
    // PBKDF2 does not need `memory`.
    let mut pbkdf2 = full;
    pbkdf2.insert("kdf".into(), Value::from("pbkdf2"));
    pbkdf2.remove("memory");
    assert!(client.answer(&pbkdf2).is_ok());
}

#[test]
fn an_unknown_kdf_is_named_in_the_error_cut_to_64_characters() {
    let mut extra = crossbar_challenge(&cheap_credential());
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    extra.insert("kdf".into(), Value::from("scrypt"));
    let err = client.answer(&extra).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scram: unsupported key derivation function `scrypt`"
    );
    extra.insert("kdf".into(), Value::from("k".repeat(10_000)));
    match client.answer(&extra) {
        Err(AuthError::UnsupportedKdf { kdf, .. }) => assert_eq!(kdf.len(), 64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_channel_binding_in_the_challenge_is_refused() {
    let mut extra = crossbar_challenge(&cheap_credential());
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    extra.insert("channel_binding".into(), Value::Null);
    assert!(client.answer(&extra).is_ok());
    extra.insert("channel_binding".into(), Value::from(""));
    assert!(client.answer(&extra).is_ok());
    extra.insert("channel_binding".into(), Value::from("tls-unique"));
    assert_eq!(
        client.answer(&extra),
        Err(AuthError::ChannelBindingMismatch { method: "scram" })
    );
}

#[test]
fn hostile_kdf_costs_are_refused_before_any_work() {
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    let base = crossbar_challenge(&cheap_credential());
    let with = |kdf: &str, iterations: u64, memory: u64| {
        let mut extra = base.clone();
        extra.insert("kdf".into(), Value::from(kdf));
        extra.insert("iterations".into(), Value::from(iterations));
        extra.insert("memory".into(), Value::from(memory));
        extra
    };
    let limit = |field: &'static str, found: u64, max: u64| {
        Err(AuthError::LimitExceeded {
            method: "scram",
            field,
            found,
            max,
        })
    };
    assert_eq!(
        client.answer(&with("pbkdf2", 1_000_001, 0)),
        limit("iterations", 1_000_001, 1_000_000)
    );
    assert_eq!(
        client.answer(&with("argon2id-13", 65_537, 8)),
        limit("iterations", 65_537, 65_536)
    );
    assert_eq!(
        client.answer(&with("argon2id-13", 1, 65_537)),
        limit("memory", 65_537, 65_536)
    );
    assert_eq!(
        client.answer(&with("argon2id-13", u64::MAX, u64::MAX)),
        limit("iterations", u64::MAX, 65_536)
    );
    // Each within its own limit, but too much together: 4096 passes over 2 MiB.
    assert_eq!(
        client.answer(&with("argon2id-13", 4096, 2048)),
        limit("iterations", 4096, 2048)
    );
    for (kdf, iterations, memory, field) in [
        ("pbkdf2", 0, 0, "iterations"),
        ("argon2id-13", 0, 512, "iterations"),
        ("argon2id-13", 1, 0, "memory"),
        ("argon2id-13", 1, 7, "memory"),
    ] {
        assert!(
            matches!(
                client.answer(&with(kdf, iterations, memory)),
                Err(AuthError::InvalidField { field: f, .. }) if f == field
            ),
            "{kdf} {iterations} {memory}"
        );
    }
    let mut short_salt = with("argon2id-13", 1, 8);
    short_salt.insert("salt".into(), Value::from(STANDARD.encode([1u8; 7])));
    assert_eq!(
        client.answer(&short_salt),
        Err(AuthError::InvalidField {
            method: "scram",
            field: "salt",
            expected: "base64 of at least 8 bytes"
        })
    );
    let mut negative = base.clone();
    negative.insert("iterations".into(), Value::from(-1));
    assert!(matches!(
        client.answer(&negative),
        Err(AuthError::InvalidField {
            field: "iterations",
            ..
        })
    ));
    assert_eq!(
        client.auth_message(),
        None,
        "no refused CHALLENGE counts as answered"
    );
}

#[test]
fn the_limits_are_pinned() {
    assert_eq!(MAX_PBKDF2_ITERATIONS, 1_000_000);
    assert_eq!(MAX_ARGON2_ITERATIONS, 65_536);
    assert_eq!(MAX_ARGON2_MEMORY, 65_536);
    assert_eq!(MAX_ARGON2_WORK, 4_194_304);
    // Crossbar's default credential (4096 passes, 512 KiB) is within them, with room to spare.
    assert!(Kdf::Argon2id13 {
        iterations: 4096,
        memory: 512
    }
    .check(16)
    .is_ok());
    assert!(Kdf::Argon2id13 {
        iterations: 8192,
        memory: 512
    }
    .check(16)
    .is_ok());
    assert!(Kdf::Argon2id13 {
        iterations: 64,
        memory: 65_536
    }
    .check(16)
    .is_ok());
}

#[test]
fn derive_credential_refuses_costs_a_client_would_refuse() {
    assert!(derive_credential("pw", b"saltsalt", Kdf::Pbkdf2 { iterations: 0 }).is_err());
    assert!(derive_credential(
        "pw",
        b"short",
        Kdf::Argon2id13 {
            iterations: 1,
            memory: 8
        }
    )
    .is_err());
    assert!(derive_credential(
        "pw",
        b"saltsalt",
        Kdf::Argon2id13 {
            iterations: 1,
            memory: MAX_ARGON2_MEMORY + 1
        }
    )
    .is_err());
}

#[test]
fn the_welcome_signature_must_be_present_and_right() {
    let credential = cheap_credential();
    let mut client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    assert_eq!(
        client.verify_welcome(&Dict::new()),
        Err(AuthError::NotAnswered { method: "scram" })
    );
    client.answer(&crossbar_challenge(&credential)).unwrap();
    let good = credential.server_signature(client.auth_message().unwrap());
    let welcome = |v: Value| dict(&[("scram_server_signature", v)]);
    assert_eq!(
        client.verify_welcome(&welcome(Value::from(good.as_str()))),
        Ok(())
    );
    assert_eq!(
        client.verify_welcome(&Dict::new()),
        Err(AuthError::MissingField {
            method: "scram",
            field: "scram_server_signature"
        })
    );
    // The spec's field name is not Crossbar's.
    assert!(client
        .verify_welcome(&dict(&[("verifier", Value::from(good.as_str()))]))
        .is_err());
    let mismatch = Err(AuthError::ServerSignatureMismatch { method: "scram" });
    // A router that does not know the password.
    let impostor = derive_credential(
        "other",
        b"saltsalt",
        Kdf::Argon2id13 {
            iterations: 1,
            memory: 8,
        },
    )
    .unwrap();
    let wrong = impostor.server_signature(client.auth_message().unwrap());
    assert_eq!(
        client.verify_welcome(&welcome(Value::from(wrong))),
        mismatch
    );
    assert_eq!(client.verify_welcome(&welcome(Value::from("!!"))), mismatch);
    assert_eq!(
        client.verify_welcome(&welcome(Value::from("AAAA"))),
        mismatch
    );
    assert_eq!(client.verify_welcome(&welcome(Value::from(""))), mismatch);
    assert_eq!(
        client.verify_welcome(&welcome(Value::from(format!("{good}AAAA")))),
        mismatch
    );
    assert!(client.verify_welcome(&welcome(Value::Int(1))).is_err());
}

#[test]
fn authids_must_be_non_empty_printable_ascii() {
    let extra = crossbar_challenge(&cheap_credential());
    let nonce = client_nonce([0x11; 16]);
    assert!(ScramClient::new("a b,c=d~", "pw", &nonce)
        .answer(&extra)
        .is_ok());
    for bad in ["", "zo\u{eb}", "tab\there", "nul\0", "del\u{7f}"] {
        let mut client = ScramClient::new(bad, "pw", &nonce);
        assert!(
            matches!(
                client.answer(&extra),
                Err(AuthError::InvalidAuthid {
                    method: "scram",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_client_nonce_that_is_not_base64_still_works_in_the_specs_text_form() {
    let credential = cheap_credential();
    let mut extra = crossbar_challenge(&credential);
    extra.insert("nonce".into(), Value::from("my-nonce+router-part"));
    let mut client = ScramClient::new("alice", "pw", "my-nonce");
    let (proof, _) = client.answer(&extra).unwrap();
    assert!(credential.verify_proof(client.auth_message().unwrap(), &proof));
    extra.insert("nonce".into(), Value::from("someone-else"));
    assert!(client.answer(&extra).is_err());
    // An empty nonce is extended by nothing.
    let mut empty = ScramClient::new("alice", "pw", "");
    extra.insert("nonce".into(), Value::from(STANDARD.encode([1u8; 32])));
    assert_eq!(
        empty.answer(&extra),
        Err(AuthError::NonceMismatch { method: "scram" })
    );
}

#[test]
fn hello_extra_carries_only_the_client_nonce() {
    let client = ScramClient::new("alice", "pw", &client_nonce([0x11; 16]));
    assert_eq!(client.nonce(), "EREREREREREREREREREREQ==");
    assert_eq!(client.authid(), "alice");
    assert_eq!(
        client.hello_extra(),
        dict(&[("nonce", Value::from("EREREREREREREREREREREQ=="))])
    );
}

#[test]
fn neither_debug_nor_errors_show_the_password() {
    let mut client = ScramClient::new("alice", "hunter2-password", &client_nonce([0x11; 16]));
    let shown = format!("{client:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"));
    let mut extra = crossbar_challenge(&cheap_credential());
    extra.insert("iterations".into(), Value::from(u64::MAX));
    let err = client.answer(&extra).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.starts_with("scram: "), "{err}");
}
