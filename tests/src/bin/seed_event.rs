//! `seed-event DATA_DIR`: writes the test summit into a data directory, for the browser test of
//! the static site (the events API is not what it tests).

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: seed-event DATA_DIR");
        std::process::exit(2);
    };
    ypad_tests::seed_summit(std::path::Path::new(&dir));
}
