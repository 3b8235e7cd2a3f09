use wamp::Session;

#[wamp::on_ready]
async fn ready(session: Session, extra: u64) {
    let _ = (session, extra);
}

fn main() {}
