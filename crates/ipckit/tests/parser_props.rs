//! Property tests of the parsers of user input that are not framing or addresses (those are
//! in `framing_props.rs`): System V keys and key specs, and signal names. Each is total (any
//! string gives a value or `InvalidInput`, never a panic) and what it prints parses back.

use ipckit::signal::Signal;
use ipckit::sysv::key::{Key, KeySpec};
use ipckit::ErrorKind;
use proptest::prelude::*;

/// Strings near the forms a person types, plus any string at all.
fn key_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| format!("{n:#x}")),
        "0x[0-9a-fA-F]{0,12}",
        "-?[0-9]{0,12}",
        // ftok: of paths that do not exist, so nothing is created or read.
        ("/nonexistent-ipckit-prop/[a-z]{0,8}", any::<i64>())
            .prop_map(|(p, id)| format!("ftok:{p}:{id}")),
        "ftok:[^:]{0,8}(:[^:]{0,4}){0,2}",
    ]
}

fn signal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(SIG)?[A-Z]{2,6}",
        "(SIG)?RTM(IN|AX)([+-][0-9]{1,3})?",
        "-?[0-9]{1,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn key_from_str_is_total_and_round_trips(text in key_text()) {
        match text.parse::<Key>() {
            Ok(k) => {
                let back: Key = k.to_string().parse().unwrap();
                prop_assert_eq!(back, k);
            }
            Err(e) => prop_assert!(
                matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound),
                "{text:?}: {e}"
            ),
        }
    }

    #[test]
    fn key_spec_from_str_is_total(text in key_text()) {
        match text.parse::<KeySpec>() {
            Ok(k) => {
                let back: KeySpec = k.to_string().parse().unwrap();
                prop_assert_eq!(back.to_string(), k.to_string());
            }
            Err(e) => prop_assert!(
                matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::NotFound),
                "{text:?}: {e}"
            ),
        }
    }

    #[test]
    fn signal_from_str_is_total_and_round_trips(text in signal_text()) {
        match text.parse::<Signal>() {
            Ok(s) => {
                prop_assert_eq!(s.to_string().parse::<Signal>().unwrap(), s);
                prop_assert_eq!(format!("{s:#}").parse::<Signal>().unwrap(), s);
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{:?}: {}", text, e),
        }
    }

    #[test]
    fn every_signal_number_prints_as_a_name_that_parses_back(n in 1i32..=64) {
        if let Ok(s) = Signal::from_raw(n) {
            prop_assert_eq!(s.to_string().parse::<Signal>().unwrap(), s);
        }
    }
}
