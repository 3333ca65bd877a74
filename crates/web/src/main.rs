//! The browser entry point: everything lives in the library (`web::start`).

fn main() {
    web::start();
}
