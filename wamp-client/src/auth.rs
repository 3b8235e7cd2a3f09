//! How a session or a component authenticates: Autobahn's `authentication={method: settings}`
//! as a typed list of methods with their settings ([`Authentication`], given to
//! [`JoinOptions::authentication`](crate::JoinOptions::authentication) or
//! [`ComponentBuilder::authentication`](crate::ComponentBuilder::authentication)), answered by
//! one [`Authenticator`] per attempt.
//!
//! Secrets (tickets, WAMP-CRA secrets, SCRAM passwords) and private keys are kept in
//! zeroizing buffers and never printed: `Debug` shows the method names only.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use wamp_core::auth::cryptosign::SigningKey;
use wamp_core::auth::scram::ScramClient;
use wamp_core::auth::wampcra;
use wamp_core::auth::AuthError;
use wamp_core::session::SessionDetails;
use wamp_core::uri::error_uri;
use wamp_core::value::{Dict, Str, Value};
use wamp_core::WampError;
use zeroize::Zeroizing;

/// What an authenticator answers a CHALLENGE with, later: the signature and extra for
/// AUTHENTICATE, or an error to abort the join.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<(String, Dict), WampError>> + Send>>;

/// Answers CHALLENGE messages during the join (ticket, WAMP-CRA, cryptosign, ...).
///
/// [`Authentication`] makes one for its methods; implement it for a method of your own and
/// give it with [`JoinOptions::authenticate`](crate::JoinOptions::authenticate), or offer it
/// among other methods (and from a component) with [`AuthMethod::custom`].
///
/// Implement [`authenticate`](Self::authenticate) when the answer is at hand, or
/// [`authenticate_async`](Self::authenticate_async) when it must be waited for (a remote
/// signer, an HSM, a token service). The join's timeout bounds the wait: a late answer is
/// dropped with the join.
///
/// ```
/// use std::sync::Arc;
/// use wamp_client::{AuthFuture, Authenticator, WampError};
/// use wamp_core::Dict;
///
/// /// Asks a signing service for each signature.
/// struct RemoteSigner {
///     service: Arc<dyn Fn(String) -> String + Send + Sync>,
/// }
///
/// impl Authenticator for RemoteSigner {
///     fn authenticate_async(&self, _method: &str, extra: &Dict) -> AuthFuture {
///         let service = self.service.clone();
///         let challenge = extra.get("challenge").and_then(|v| v.as_str()).unwrap_or("").to_owned();
///         Box::pin(async move {
///             // e.g. an HTTP request to the signer
///             tokio::task::yield_now().await;
///             Ok::<_, WampError>((service(challenge), Dict::new()))
///         })
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// The signature and extra for AUTHENTICATE, or an error to abort the join. The default
    /// refuses: implement this or [`authenticate_async`](Self::authenticate_async).
    fn authenticate(&self, method: &str, extra: &Dict) -> Result<(String, Dict), WampError> {
        let _ = extra;
        Err(refuse(
            method,
            "this authenticator does not answer challenges",
        ))
    }

    /// The answer to a CHALLENGE, awaited by the session while the join's deadline runs. The
    /// default answers at once with [`authenticate`](Self::authenticate).
    fn authenticate_async(&self, method: &str, extra: &Dict) -> AuthFuture {
        Box::pin(std::future::ready(self.authenticate(method, extra)))
    }

    /// Checks the router's side of the authentication in WELCOME (SCRAM's server signature,
    /// a router's cryptosign proof); an error ends the session at once. Accepts by default.
    fn verify_welcome(&self, details: &SessionDetails) -> Result<(), WampError> {
        let _ = details;
        Ok(())
    }
}

/// What one attempt offers in HELLO, with the authenticator that answers the router.
pub(crate) struct Offer {
    pub(crate) authmethods: Vec<String>,
    pub(crate) authid: Option<String>,
    pub(crate) authrole: Option<String>,
    pub(crate) authextra: Dict,
    pub(crate) authenticator: Option<Arc<dyn Authenticator>>,
}

/// A secret (ticket, WAMP-CRA secret, SCRAM password): zeroized when dropped, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

impl<S: Into<String>> From<S> for Secret {
    fn from(s: S) -> Self {
        Secret(Zeroizing::new(s.into()))
    }
}

/// Where a cryptosign private key comes from; read and checked by
/// [`ComponentBuilder::build`](crate::ComponentBuilder::build).
#[derive(Clone)]
pub struct CryptosignKey(KeySource);

#[derive(Clone)]
enum KeySource {
    Seed(Zeroizing<Vec<u8>>),
    Hex(Zeroizing<String>),
    File(PathBuf),
    Loaded(Arc<SigningKey>),
}

impl CryptosignKey {
    /// A 32-byte Ed25519 seed.
    pub fn seed(bytes: impl Into<Vec<u8>>) -> Self {
        CryptosignKey(KeySource::Seed(Zeroizing::new(bytes.into())))
    }

    /// A 32-byte Ed25519 seed as 64 hex characters.
    pub fn hex(seed: impl Into<String>) -> Self {
        CryptosignKey(KeySource::Hex(Zeroizing::new(seed.into())))
    }

    /// A file holding a hex seed or an unencrypted OpenSSH Ed25519 private key.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        CryptosignKey(KeySource::File(path.into()))
    }

    /// Reads and checks the key; the error names where it came from, never its content.
    fn load(&self) -> Result<Arc<SigningKey>, String> {
        match &self.0 {
            KeySource::Seed(bytes) => SigningKey::from_seed(bytes)
                .map(Arc::new)
                .map_err(|e| format!("cryptosign seed: {e}")),
            KeySource::Hex(text) => SigningKey::from_hex(text)
                .map(Arc::new)
                .map_err(|e| format!("cryptosign hex seed: {e}")),
            KeySource::File(path) => {
                let text = Zeroizing::new(
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cryptosign key file {}: {e}", path.display()))?,
                );
                SigningKey::from_file_contents(&text)
                    .map(Arc::new)
                    .map_err(|e| format!("cryptosign key file {}: {e}", path.display()))
            }
            KeySource::Loaded(key) => Ok(key.clone()),
        }
    }
}

impl fmt::Debug for CryptosignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            KeySource::File(path) => write!(f, "CryptosignKey(file {})", path.display()),
            KeySource::Loaded(key) => write!(f, "CryptosignKey({key:?})"),
            _ => f.write_str("CryptosignKey(<hidden>)"),
        }
    }
}

/// One authentication method a component offers, with its settings.
///
/// ```
/// use wamp_client::{AuthMethod, CryptosignKey};
///
/// let ticket = AuthMethod::ticket("a-short-lived-token");
/// let cra = AuthMethod::wampcra("secret123");
/// let key = AuthMethod::cryptosign(CryptosignKey::file("/etc/myapp/client.key"));
/// let scram = AuthMethod::scram("pencil");
/// assert_eq!(format!("{ticket:?} {cra:?} {key:?} {scram:?}"), "ticket wampcra cryptosign scram");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum AuthMethod {
    /// `anonymous`: no credentials.
    Anonymous,
    /// `ticket`: the ticket is sent as it is (use TLS).
    Ticket(Secret),
    /// `wampcra`: challenge-response with a shared secret (plain or salted by the router).
    WampCra(Secret),
    /// `cryptosign`: an Ed25519 key; its public key is offered in `authextra.pubkey`.
    Cryptosign(CryptosignKey),
    /// `scram` (WAMP-SCRAM, as Crossbar.io implements it): the password never leaves the
    /// client, and the router proves that it knows it.
    Scram(Secret),
    /// A method answered by an [`Authenticator`] of your own (which may await: a remote
    /// signer, an HSM), offered under its name.
    Custom(CustomMethod),
}

/// A method of [`AuthMethod::custom`]: its name and its authenticator.
#[derive(Clone)]
pub struct CustomMethod {
    name: &'static str,
    authenticator: Arc<dyn Authenticator>,
}

impl AuthMethod {
    /// `ticket` with this ticket.
    pub fn ticket(ticket: impl Into<String>) -> Self {
        AuthMethod::Ticket(ticket.into().into())
    }

    /// `wampcra` with this secret.
    pub fn wampcra(secret: impl Into<String>) -> Self {
        AuthMethod::WampCra(secret.into().into())
    }

    /// `cryptosign` with this key.
    pub fn cryptosign(key: CryptosignKey) -> Self {
        AuthMethod::Cryptosign(key)
    }

    /// `scram` with this password.
    pub fn scram(password: impl Into<String>) -> Self {
        AuthMethod::Scram(password.into().into())
    }

    /// The method `name` (`ticket`, `cryptosign`, one of your own), answered by
    /// `authenticator`: for answers that must be awaited, or computed elsewhere.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wamp_client::{AuthFuture, AuthMethod, Authentication, Authenticator};
    /// use wamp_core::Dict;
    ///
    /// struct TicketService;
    /// impl Authenticator for TicketService {
    ///     fn authenticate_async(&self, _method: &str, _extra: &Dict) -> AuthFuture {
    ///         Box::pin(async { Ok(("a fresh ticket".to_owned(), Dict::new())) })
    ///     }
    /// }
    ///
    /// let auth = Authentication::new()
    ///     .authid("joe")
    ///     .method(AuthMethod::custom("ticket", Arc::new(TicketService)));
    /// assert_eq!(auth.methods()[0].name(), "ticket");
    /// ```
    pub fn custom(name: &'static str, authenticator: Arc<dyn Authenticator>) -> Self {
        AuthMethod::Custom(CustomMethod {
            name,
            authenticator,
        })
    }

    /// The method's name in HELLO's `authmethods`.
    pub fn name(&self) -> &'static str {
        match self {
            AuthMethod::Anonymous => "anonymous",
            AuthMethod::Ticket(_) => "ticket",
            AuthMethod::WampCra(_) => "wampcra",
            AuthMethod::Cryptosign(_) => "cryptosign",
            AuthMethod::Scram(_) => "scram",
            AuthMethod::Custom(c) => c.name,
        }
    }
}

impl fmt::Debug for CustomMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl fmt::Debug for AuthMethod {
    // Secrets and keys are never shown: the method's name only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The authentication settings of a component: the methods offered, in order of preference,
/// and the `authid`, `authrole` and `authextra` announced (all methods share them, as in
/// Autobahn). The default offers nothing, which routers treat as anonymous.
///
/// ```
/// use wamp_client::{AuthMethod, Authentication, Component};
///
/// let comp = Component::builder()
///     .transport("wss://router.example.com/ws")
///     .realm("realm1")
///     .authentication(
///         Authentication::new()
///             .authid("joe")
///             .method(AuthMethod::scram("pencil"))
///             .method(AuthMethod::ticket("fallback-ticket")),
///     )
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Authentication {
    methods: Vec<AuthMethod>,
    authid: Option<String>,
    authrole: Option<String>,
    authextra: Dict,
}

impl Authentication {
    /// No method offered yet.
    pub fn new() -> Self {
        Authentication::default()
    }

    /// Offers `method` after those added before; a method offered again replaces its
    /// earlier settings (keeping its place).
    pub fn method(mut self, method: AuthMethod) -> Self {
        match self.methods.iter_mut().find(|m| m.name() == method.name()) {
            Some(m) => *m = method,
            None => self.methods.push(method),
        }
        self
    }

    /// The `authid` to announce.
    pub fn authid(mut self, authid: impl Into<String>) -> Self {
        self.authid = Some(authid.into());
        self
    }

    /// The `authrole` to ask for.
    pub fn authrole(mut self, authrole: impl Into<String>) -> Self {
        self.authrole = Some(authrole.into());
        self
    }

    /// Adds an `authextra` entry.
    pub fn authextra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.authextra.insert(Str::new(key), value.into());
        self
    }

    /// The methods offered.
    pub fn methods(&self) -> &[AuthMethod] {
        &self.methods
    }

    /// Reads and checks every key, so that a bad key is reported when the component is
    /// built (or when a credential provider's answer is used), naming the setting.
    pub(crate) fn load_keys(mut self) -> Result<Self, String> {
        for m in &mut self.methods {
            if let AuthMethod::Cryptosign(key) = m {
                *key = CryptosignKey(KeySource::Loaded(key.load()?));
            }
        }
        Ok(self)
    }

    /// What one attempt offers: the methods, authid, authrole and authextra, and a fresh
    /// authenticator (a new SCRAM nonce each time).
    pub(crate) fn offer(&self) -> Result<Offer, String> {
        let mut authextra = self.authextra.clone();
        let mut answers = Answers::default();
        for m in &self.methods {
            match m {
                AuthMethod::Anonymous => {}
                AuthMethod::Custom(c) => answers.custom.push((c.name, c.authenticator.clone())),
                AuthMethod::Ticket(t) => answers.ticket = Some(t.clone()),
                AuthMethod::WampCra(s) => answers.wampcra = Some(s.clone()),
                AuthMethod::Cryptosign(key) => {
                    let key = key.load()?;
                    authextra.insert(Str::from_static("pubkey"), key.public_key_hex().into());
                    answers.cryptosign = Some(key);
                }
                AuthMethod::Scram(password) => {
                    let authid = self.authid.as_deref().ok_or(
                        "scram needs an authid (the user name): set Authentication::authid",
                    )?;
                    let nonce = wamp_core::auth::scram::client_nonce(rand::random());
                    let client = ScramClient::new(authid, password.expose(), &nonce);
                    for (k, v) in client.hello_extra().iter() {
                        authextra.insert(k.clone(), v.clone());
                    }
                    answers.scram = Some(Mutex::new(client));
                }
            }
        }
        let methods: Vec<String> = self.methods.iter().map(|m| m.name().to_owned()).collect();
        let authenticator = (!methods.is_empty()).then(|| {
            Arc::new(MethodsAuthenticator {
                methods: methods.join(", "),
                answers,
            }) as Arc<dyn Authenticator>
        });
        Ok(Offer {
            authmethods: methods,
            authid: self.authid.clone(),
            authrole: self.authrole.clone(),
            authextra,
            authenticator,
        })
    }
}

#[derive(Default)]
struct Answers {
    ticket: Option<Secret>,
    wampcra: Option<Secret>,
    cryptosign: Option<Arc<SigningKey>>,
    scram: Option<Mutex<ScramClient>>,
    /// The custom methods by name.
    custom: Vec<(&'static str, Arc<dyn Authenticator>)>,
}

/// Answers the router's CHALLENGE for whichever offered method it chose, and checks the
/// router's SCRAM signature in WELCOME.
struct MethodsAuthenticator {
    /// The methods offered, for messages.
    methods: String,
    answers: Answers,
}

fn refuse(method: &str, why: impl fmt::Display) -> WampError {
    WampError::with_message(error_uri::CANNOT_AUTHENTICATE, format!("{method}: {why}"))
}

/// Our refusal of the router's message (the error names the method already).
fn refused(e: AuthError) -> WampError {
    WampError::with_message(error_uri::CANNOT_AUTHENTICATE, e.to_string())
}

impl Authenticator for MethodsAuthenticator {
    fn authenticate(&self, method: &str, extra: &Dict) -> Result<(String, Dict), WampError> {
        let not_offered = || {
            refuse(
                method,
                format!(
                    "the router challenged for a method we did not offer (offered: {})",
                    self.methods
                ),
            )
        };
        let a = &self.answers;
        let signature = match method {
            "ticket" => a
                .ticket
                .as_ref()
                .ok_or_else(not_offered)?
                .expose()
                .to_owned(),
            "wampcra" => {
                let secret = a.wampcra.as_ref().ok_or_else(not_offered)?;
                wampcra::answer(secret.expose(), extra).map_err(refused)?
            }
            "cryptosign" => {
                let key = a.cryptosign.as_ref().ok_or_else(not_offered)?;
                key.answer(extra, None).map_err(refused)?
            }
            "scram" => {
                let scram = a.scram.as_ref().ok_or_else(not_offered)?;
                let mut scram = scram.lock().unwrap_or_else(|e| e.into_inner());
                return scram.answer(extra).map_err(refused);
            }
            _ => return Err(not_offered()),
        };
        Ok((signature, Dict::new()))
    }

    fn authenticate_async(&self, method: &str, extra: &Dict) -> AuthFuture {
        match self.answers.custom.iter().find(|(name, _)| *name == method) {
            Some((_, custom)) => custom.authenticate_async(method, extra),
            None => Box::pin(std::future::ready(self.authenticate(method, extra))),
        }
    }

    fn verify_welcome(&self, details: &SessionDetails) -> Result<(), WampError> {
        if let Some((_, custom)) = self
            .answers
            .custom
            .iter()
            .find(|(name, _)| Some(*name) == details.authmethod.as_deref())
        {
            return custom.verify_welcome(details);
        }
        if details.authmethod.as_deref() != Some("scram") {
            return Ok(());
        }
        let Some(scram) = &self.answers.scram else {
            return Err(refuse("scram", "the router used a method we did not offer"));
        };
        let scram = scram.lock().unwrap_or_else(|e| e.into_inner());
        scram.verify_welcome(&details.authextra).map_err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";

    #[test]
    fn debug_never_shows_secrets_or_keys() {
        let auth = Authentication::new()
            .authid("joe")
            .method(AuthMethod::ticket("t1cket"))
            .method(AuthMethod::wampcra("cr4secret"))
            .method(AuthMethod::scram("p4ssword"))
            .method(AuthMethod::cryptosign(CryptosignKey::hex(SEED)))
            .load_keys()
            .unwrap();
        let offer = auth.offer().unwrap();
        let text = format!("{auth:?} {:?} {:?}", offer.authextra, offer.authmethods);
        for secret in ["t1cket", "cr4secret", "p4ssword", SEED, &SEED[..16]] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("ticket") && text.contains("cryptosign"),
            "{text}"
        );
    }

    #[test]
    fn a_method_offered_again_replaces_its_settings_in_place() {
        let auth = Authentication::new()
            .method(AuthMethod::ticket("old"))
            .method(AuthMethod::wampcra("s"))
            .method(AuthMethod::ticket("new"));
        let names: Vec<_> = auth.methods().iter().map(AuthMethod::name).collect();
        assert_eq!(names, ["ticket", "wampcra"]);
        let join = auth.offer().unwrap();
        let (ticket, _) = join
            .authenticator
            .unwrap()
            .authenticate("ticket", &Dict::new())
            .unwrap();
        assert_eq!(ticket, "new");
    }

    #[test]
    fn bad_keys_name_the_setting_and_hide_the_content() {
        let bad_file = std::env::temp_dir().join(format!("wamp-bad-key-{}", std::process::id()));
        std::fs::write(&bad_file, "zzzz not a key zzzz\n").unwrap();
        let bad_file_setting = format!("cryptosign key file {}", bad_file.display());
        for (key, want) in [
            (CryptosignKey::file(&bad_file), bad_file_setting.as_str()),
            (CryptosignKey::hex("abcd"), "cryptosign hex seed"),
            (CryptosignKey::hex("zz".repeat(32)), "cryptosign hex seed"),
            (CryptosignKey::seed(vec![1u8; 31]), "cryptosign seed"),
            (
                CryptosignKey::file("/nonexistent/wamp-test.key"),
                "cryptosign key file /nonexistent/wamp-test.key",
            ),
        ] {
            let e = Authentication::new()
                .method(AuthMethod::cryptosign(key))
                .load_keys()
                .unwrap_err();
            assert!(e.starts_with(want), "{e}");
            assert!(!e.contains("zzzz"), "{e}");
        }
        let _ = std::fs::remove_file(&bad_file);
    }

    #[test]
    fn cryptosign_offers_its_public_key() {
        let auth = Authentication::new().method(AuthMethod::cryptosign(CryptosignKey::hex(SEED)));
        let join = auth.offer().unwrap();
        assert_eq!(
            join.authextra.get("pubkey"),
            Some(&Value::from(
                "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d"
            ))
        );
        assert_eq!(join.authmethods, ["cryptosign"]);
    }

    #[test]
    fn a_challenge_for_a_method_not_offered_is_refused_naming_it() {
        let join = Authentication::new()
            .method(AuthMethod::ticket("t"))
            .offer()
            .unwrap();
        let e = join
            .authenticator
            .unwrap()
            .authenticate("wampcra", &Dict::new())
            .unwrap_err();
        let text = format!("{e}");
        assert!(
            text.contains("wampcra") && text.contains("offered: ticket"),
            "{text}"
        );
    }

    #[test]
    fn scram_needs_an_authid() {
        let e = Authentication::new()
            .method(AuthMethod::scram("pw"))
            .offer()
            .err()
            .unwrap();
        assert!(e.contains("authid"), "{e}");
    }
}
