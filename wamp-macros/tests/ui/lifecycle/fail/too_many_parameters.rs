use wamp::{ReadyDetails, Session};

#[wamp::on_ready]
async fn ready(session: Session, details: ReadyDetails, extra: u64) {
    let _ = (session, details, extra);
}

fn main() {}
