//! The shipped SQL models are embedded in the binary (src/project/model_files.rs): rebuild
//! when any file under sql/ changes, which `include_dir!` alone does not tell cargo.

fn main() {
    println!("cargo:rerun-if-changed=sql");
}
