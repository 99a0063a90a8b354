//! Every mechanism the benchmark knows, in one place and in report order: one line per
//! mechanism (`Variant => its MECHANISM`). The line also makes the mechanism a value of
//! [`Mech`], the `--only` enum that clap parses (names in `--help`, unknown names rejected
//! with the list of known ones).

use clap::builder::PossibleValue;
use serde::{Deserialize, Serialize};

use crate::mech;
use crate::scenario::Mechanism;

macro_rules! registry {
    ($($(#[$cfg:meta])* $variant:ident => $mechanism:path,)*) => {
        /// A mechanism by name, as `--only` takes it and the peer plan carries it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Mech {
            $(
                $(#[$cfg])*
                #[doc = concat!("See [`", stringify!($mechanism), "`].")]
                $variant,
            )*
        }

        impl Mech {
            /// Every mechanism, in report order.
            pub const ALL: &'static [Mech] = &[$($(#[$cfg])* Mech::$variant),*];

            /// What this mechanism is and its two implementations.
            pub fn mechanism(self) -> &'static Mechanism {
                match self {
                    $($(#[$cfg])* Mech::$variant => &$mechanism,)*
                }
            }
        }
    };
}

registry! {
    Pipe => mech::pipe::MECHANISM,
    Fifo => mech::fifo::MECHANISM,
    UnixStream => mech::unix_stream::MECHANISM,
    UnixSeqpacket => mech::unix_seqpacket::MECHANISM,
    UnixDgram => mech::unix_dgram::MECHANISM,
    Tcp => mech::tcp::MECHANISM,
    SysvMq => mech::sysv_mq::MECHANISM,
    PosixMq => mech::posix_mq::MECHANISM,
    SysvShm => mech::sysv_shm::MECHANISM,
    PosixShm => mech::posix_shm::MECHANISM,
    MmapFile => mech::mmap_file::MECHANISM,
    File => mech::file::MECHANISM,
    ShmRing => mech::shm_ring::MECHANISM,
    ShmRingZc => mech::shm_ring::MECHANISM_ZC,
    ShmRingFutex => mech::shm_ring::MECHANISM_FUTEX,
    Signal => mech::signal::MECHANISM,
    #[cfg(feature = "typed")] TypedShmRing => mech::typed::MECHANISM_SHM_RING,
    #[cfg(feature = "typed")] TypedUnixStream => mech::typed::MECHANISM_UNIX_STREAM,
    #[cfg(feature = "async")] AsyncUnixStream => mech::async_unix_stream::MECHANISM,
    #[cfg(feature = "async")] TypedAsyncUnixStream => mech::async_unix_stream::MECHANISM_TYPED,
}

impl Mech {
    /// The name on the command line and in the report (`"unix-dgram"`).
    pub fn name(self) -> &'static str {
        self.mechanism().name
    }

    /// The mechanism called `name`, if any.
    pub fn by_name(name: &str) -> Option<Mech> {
        Mech::ALL.iter().copied().find(|m| m.name() == name)
    }
}

impl clap::ValueEnum for Mech {
    fn value_variants<'a>() -> &'a [Self] {
        Mech::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

impl Serialize for Mech {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Mech {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mech, D::Error> {
        let name = String::deserialize(d)?;
        Mech::by_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown mechanism {name:?}")))
    }
}

/// The mechanisms named by `--only`, without repeats, in the order given (all when empty).
pub fn select(only: &[Mech]) -> Vec<Mech> {
    if only.is_empty() {
        return Mech::ALL.to_vec();
    }
    let mut out: Vec<Mech> = Vec::new();
    for &m in only {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for &m in Mech::ALL {
            assert_eq!(Mech::by_name(m.name()), Some(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("{:?}", m.name()));
            assert_eq!(serde_json::from_str::<Mech>(&json).unwrap(), m);
        }
        assert!(serde_json::from_str::<Mech>("\"nosuch\"").is_err());
    }

    #[test]
    fn select_keeps_order_and_drops_repeats() {
        assert_eq!(select(&[]), Mech::ALL);
        assert_eq!(
            select(&[Mech::Tcp, Mech::Pipe, Mech::Tcp]),
            [Mech::Tcp, Mech::Pipe]
        );
    }
}
