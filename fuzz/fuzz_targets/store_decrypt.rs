//! Fuzz target `store_decrypt`: the body is `kintsugi_service::fuzzing::store_decrypt`, which the corpus replay test also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kintsugi_service::fuzzing::store_decrypt(data));
