struct Greeter;

#[wamp::service]
impl Default for Greeter {
    fn default() -> Self {
        Greeter
    }
}

fn main() {}
