//! Fuzz target `pair_frame`: the body is `kintsugi_service::fuzzing::pair_frame`, which the corpus replay test also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kintsugi_service::fuzzing::pair_frame(data));
