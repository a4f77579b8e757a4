// Copies the C API headers (including the generated wasmtime/conf.h) to the
// folder CMake asks for, because cargo only hands `DEP_*` variables to build
// scripts, not to the CMake build that consumes the library.
use std::{env, fs, path::Path};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=NAOS_WASMTIME_INCLUDE_OUT");
    let include = env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api exports its include dir");
    if let Ok(out) = env::var("NAOS_WASMTIME_INCLUDE_OUT") {
        copy_dir(Path::new(&include), Path::new(&out));
    }
}
