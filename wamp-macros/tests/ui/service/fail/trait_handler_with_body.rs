// A handler of a #[service] trait is declared, not defined: implementations give the body.
#[wamp::service]
pub trait Echo: Send + Sync + 'static {
    #[register("com.echo.say")]
    async fn say(&self, word: String) -> String {
        word
    }
}

fn main() {}
