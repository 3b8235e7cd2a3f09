#[wamp::on_leave("com.example.left")]
async fn left() {}

fn main() {}
