struct Greeter;

#[wamp::service(realm = "realm1")]
impl Greeter {
    #[register("com.example.hello")]
    async fn hello(&self) {}
}

fn main() {}
