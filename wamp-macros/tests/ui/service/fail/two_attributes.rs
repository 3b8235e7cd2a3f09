struct Greeter;

#[wamp::service]
impl Greeter {
    #[register("com.example.hello")]
    #[subscribe("com.example.hello")]
    async fn hello(&self) {}
}

fn main() {}
