//! Prints the gadget constraint table; with `--write`, splices it into `docs/gadgets.md` and
//! writes `docs/constraints.md`.
fn main() {
    let table = arkml::report::gadget_table();
    if std::env::args().any(|a| a == "--write") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gadgets.md");
        let doc = std::fs::read_to_string(path).expect("docs/gadgets.md");
        let new = arkml::report::splice(&doc).expect("markers in docs/gadgets.md");
        std::fs::write(path, new).expect("write docs/gadgets.md");
        eprintln!("wrote {path}");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/constraints.md");
        std::fs::write(path, arkml::report::constraints_doc()).expect("write docs/constraints.md");
        eprintln!("wrote {path}");
    } else {
        print!("{table}");
    }
}
