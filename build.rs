//! Build script: makes cargo rebuild when a file is added to `migrations/`, which
//! `include_dir!` embeds but cargo would not otherwise notice (it tracks only files it saw).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
