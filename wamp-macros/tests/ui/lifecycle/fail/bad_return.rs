use wamp::Session;

#[wamp::on_ready]
async fn ready(_session: Session) -> u64 {
    1
}

fn main() {
    let _ = ready::handler();
}
