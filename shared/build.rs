//! `sqlx::migrate!` embeds the migrations at compile time, and cargo does not watch that
//! directory on its own: without this, a new migration file leaves binaries with the old set.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
