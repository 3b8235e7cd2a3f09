use std::sync::Arc;

use wamp::{
    on_connect, on_connect_failure, on_disconnect, on_join, on_leave, on_ready, CloseDetails,
    Component, Failure, Session, SessionDetails,
};

#[on_connect]
async fn connected(url: String) {
    let _ = url;
}

#[on_join]
async fn joined(session: Session, details: SessionDetails) -> Result<(), String> {
    let _ = (session, details);
    Ok(())
}

#[on_ready]
async fn ready(session: Session) {
    let _ = session;
}

#[on_leave]
async fn left(session: Session) {
    let _ = session;
}

#[on_disconnect]
async fn disconnected() {}

#[on_connect_failure]
async fn failed(url: String, failure: Arc<Failure>) {
    let _ = (url, failure);
}

#[on_leave]
async fn left_with_details(_session: Session, details: CloseDetails) {
    let _ = details;
}

fn main() {
    let _ = Component::builder()
        .transport("ws://127.0.0.1:1/ws")
        .realm("realm1")
        .attach([
            connected::handler(),
            joined::handler(),
            ready::handler(),
            left::handler(),
            disconnected::handler(),
            failed::handler(),
            left_with_details::handler(),
        ])
        .build();
}
