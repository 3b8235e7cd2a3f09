//! Embedding a component in an existing tokio application, Autobahn's web-application
//! pattern: a small HTTP service (axum) whose requests publish to WAMP through a component
//! that connects, and reconnects, in the background.
//!
//! ```sh
//! cargo run --example web_publisher                               # embeds our own router
//! cargo run --example web_publisher -- ws://127.0.0.1:8080/ws --realm realm1 --http-port 8000
//!
//! curl -i -X POST -H 'content-type: application/json' -d '{"page": "/"}' \
//!     http://127.0.0.1:8000/publish/com.example.web.hits
//! curl -i http://127.0.0.1:8000/health
//! curl http://127.0.0.1:8000/metrics
//! ```
//!
//! - `POST /publish/{topic}` publishes the JSON body as the one positional argument of an
//!   acknowledged publication to `{topic}` and answers `202 {"published": true}`; the router's
//!   refusal (an invalid URI, not authorized, ...) answers 400 with the error's text.
//! - While the component has no joined session, `POST /publish/...` answers
//!   `503 {"error": "not connected to the router"}` at once: a request never waits for a
//!   reconnect.
//! - `GET /health` answers `200 {"wamp": "ready"}` or `503 {"wamp": "not ready"}`.
//! - `GET /metrics` answers the client's metrics (`wamp_client_*`: calls, publications,
//!   events, reconnects, time to ready, ...; see `wamp_client::observe`) in Prometheus text
//!   format, from the recorder of `metrics-exporter-prometheus` that the example installs.
//!   Built without the `metrics` feature of the examples (`--no-default-features`), the route
//!   is not there (404).
//!
//! Arguments: the router URL (without one, our router, `wamp-router`, runs on the same tokio
//! runtime on a free port of 127.0.0.1), `--realm` (default `realm1`) and `--http-port` (default 0, a free
//! port). The bound address is printed as `listening on http://127.0.0.1:PORT`. Ctrl-C or
//! SIGTERM stops the HTTP server gracefully, then the component, whose session leaves
//! cleanly. Set `RUST_LOG=debug` to see the session's lifecycle.

use std::io::Write;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tracing_subscriber::EnvFilter;
use wamp_client::{
    Component, ComponentHandle, Payload, PublishError, PublishOptions, Session, SessionError,
};

/// How long a request waits for the router to acknowledge a publication.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// The command line.
struct Args {
    url: Option<String>,
    realm: String,
    http_port: u16,
}

fn parse_args() -> Result<Args, String> {
    const USAGE: &str = "usage: web_publisher [ROUTER_URL] [--realm REALM] [--http-port PORT]";
    let mut args = Args {
        url: None,
        realm: "realm1".into(),
        http_port: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--realm" => args.realm = value("--realm")?,
            "--http-port" => {
                let v = value("--http-port")?;
                args.http_port = v
                    .parse()
                    .map_err(|e| format!("--http-port {v}: {e}\n{USAGE}"))?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            f if f.starts_with('-') => return Err(format!("unknown option {f}\n{USAGE}")),
            _ if args.url.is_none() => args.url = Some(arg),
            _ => return Err(format!("unexpected argument {arg}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    let args = parse_args()?;
    // No URL: embed our own router for the example's lifetime, on this runtime.
    let local = match args.url {
        Some(_) => None,
        None => Some(
            wamp_router::Router::builder()
                .realm(&args.realm)
                .listen("ws://127.0.0.1:0/ws")?
                .start()
                .await?,
        ),
    };
    let url = match (&args.url, &local) {
        (Some(url), _) => url.clone(),
        (None, Some(router)) => router.urls().remove(0),
        (None, None) => unreachable!("a router is embedded when no URL is given"),
    };

    // The client's metrics go to a Prometheus recorder, rendered on each `GET /metrics`.
    #[cfg(feature = "metrics")]
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;

    // The component connects in the background and reconnects with backoff; the HTTP
    // handlers only look at its current session.
    let comp = Component::builder()
        .name("web")
        .transport(url.as_str())
        .realm(args.realm.as_str())
        .on_ready(|session: Session, _| async move {
            tracing::info!(session = session.id(), "WAMP session ready");
        })
        .build()?;
    let wamp = comp.start();

    let app = Router::new()
        .route("/publish/{topic}", post(publish))
        .route("/health", get(health));
    #[cfg(feature = "metrics")]
    let app = {
        // The recorder keeps histograms in buckets that want draining now and then.
        let upkeep = prometheus.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                upkeep.run_upkeep();
            }
        });
        app.route(
            "/metrics",
            get(move || async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    prometheus.render(),
                )
            }),
        )
    };
    let app = app.with_state(wamp.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.http_port)).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, router = %url, realm = %args.realm, "HTTP service started");

    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    tracing::info!("HTTP service stopped; stopping the component");
    let stopped = wamp.stop().await;
    if let Some(router) = local {
        router.stop().await;
    }
    served?;
    if let Err(e) = stopped {
        // A component that never reached the router ends with the reason; not our failure.
        tracing::warn!(error = %e, "the component ended with an error");
    }
    Ok(())
}

/// `POST /publish/{topic}`: publishes the JSON body (acknowledged) to `topic`.
async fn publish(
    State(wamp): State<ComponentHandle>,
    Path(topic): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    // Never wait for a reconnect inside a request.
    let Some(session) = wamp.session() else {
        return not_connected();
    };
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    let payload = match Payload::single(&body) {
        Ok(payload) => payload,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let published = tokio::time::timeout(
        PUBLISH_TIMEOUT,
        session.publish_with(&topic, payload, PublishOptions::acknowledged()),
    )
    .await;
    match published {
        Ok(Ok(publication)) => {
            tracing::debug!(%topic, ?publication, "published");
            (StatusCode::ACCEPTED, Json(json!({ "published": true }))).into_response()
        }
        // The session went away while the publication was in flight.
        Ok(Err(PublishError::Session(SessionError::NotJoined | SessionError::Lost(_)))) => {
            not_connected()
        }
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(_) => error(
            StatusCode::GATEWAY_TIMEOUT,
            format!("the router did not acknowledge within {PUBLISH_TIMEOUT:?}"),
        ),
    }
}

/// `GET /health`: whether the component's session is ready.
async fn health(State(wamp): State<ComponentHandle>) -> Response {
    if wamp.is_ready() {
        (StatusCode::OK, Json(json!({ "wamp": "ready" }))).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "wamp": "not ready" })),
        )
            .into_response()
    }
}

fn not_connected() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "not connected to the router",
    )
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
