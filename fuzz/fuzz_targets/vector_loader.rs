//! The vector-file loader: any text is either refused with a message or yields a vector whose
//! every step has exactly one action.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((v, _profile)) = stk_vector_format::parse(text, std::path::Path::new(".")) {
            for s in &v.steps {
                assert!(s.action().is_ok());
            }
        }
    }
});
