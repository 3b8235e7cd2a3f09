#[wamp::on_disconnect]
fn disconnected(url: String, was_clean: bool) {
    let _ = (url, was_clean);
}

fn main() {}
