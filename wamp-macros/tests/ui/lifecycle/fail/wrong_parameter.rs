use wamp::SessionDetails;

#[wamp::on_join]
async fn joined(details: SessionDetails) {
    let _ = details;
}

fn main() {}
