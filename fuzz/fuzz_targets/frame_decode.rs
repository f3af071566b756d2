//! Fuzz target `frame_decode`: the body is `kintsugi_service::fuzzing::frame_decode`, which the corpus replay test also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kintsugi_service::fuzzing::frame_decode(data));
