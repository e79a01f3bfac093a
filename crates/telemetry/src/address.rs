//! IP addresses and CIDR prefixes as integers, the form the prefix table searches.
//! An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address it carries.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address family of a prefix or address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

/// A text that is not an IP address or a CIDR prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address: {text:?}")]
pub struct AddressError {
    pub text: String,
}

/// Parses an IP address, normalising IPv4-mapped IPv6 to IPv4 (a dual-stack listener records
/// IPv4 clients that way, and the provider lists publish them as IPv4).
pub fn parse_address(text: &str) -> Result<IpAddr, AddressError> {
    let trimmed = text.trim();
    trimmed
        .parse::<IpAddr>()
        .map(canonical)
        .map_err(|_| AddressError {
            text: text.to_owned(),
        })
}

/// The canonical form of an address: IPv4-mapped IPv6 becomes IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// A CIDR prefix with its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    pub family: Family,
    /// Network address; IPv4 in the low 32 bits.
    pub network: u128,
    pub len: u8,
}

impl Prefix {
    /// Parses `a.b.c.d/len`, `x:y::/len`, or a bare address (a host prefix). Host bits are
    /// cleared rather than rejected: published lists contain such entries.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let bad = || AddressError {
            text: text.to_owned(),
        };
        let trimmed = text.trim();
        let (addr, len) = match trimmed.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
            None => (trimmed, None),
        };
        match addr.parse::<IpAddr>().map_err(|_| bad())? {
            IpAddr::V4(v4) => {
                let len = len.unwrap_or(32);
                if len > 32 {
                    return Err(bad());
                }
                Ok(Self::v4(u32::from(v4), len))
            }
            IpAddr::V6(v6) => {
                let len = len.unwrap_or(128);
                if len > 128 {
                    return Err(bad());
                }
                let bits = u128::from(v6);
                // `::ffff:0:0/96` and longer is IPv4 space written in IPv6.
                if len >= 96 && v6.to_ipv4_mapped().is_some() {
                    return Ok(Self::v4(bits as u32, len - 96));
                }
                Ok(Self::v6(bits, len))
            }
        }
    }

    fn v4(bits: u32, len: u8) -> Self {
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        Self {
            family: Family::V4,
            network: u128::from(bits & mask),
            len,
        }
    }

    fn v6(bits: u128, len: u8) -> Self {
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (128 - len)
        };
        Self {
            family: Family::V6,
            network: bits & mask,
            len,
        }
    }

    /// The last address of the prefix.
    pub fn last(&self) -> u128 {
        let width = match self.family {
            Family::V4 => 32,
            Family::V6 => 128,
        };
        let host_bits = width - u32::from(self.len);
        if host_bits == 0 {
            self.network
        } else if host_bits == 128 {
            u128::MAX
        } else {
            self.network | ((1u128 << host_bits) - 1)
        }
    }

    /// Whether the (canonical) address lies in this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.family, canonical(ip)) {
            (Family::V4, IpAddr::V4(v4)) => {
                let x = u128::from(u32::from(v4));
                x >= self.network && x <= self.last()
            }
            (Family::V6, IpAddr::V6(v6)) => {
                let x = u128::from(v6);
                x >= self.network && x <= self.last()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.family {
            Family::V4 => write!(f, "{}/{}", Ipv4Addr::from(self.network as u32), self.len),
            Family::V6 => write!(f, "{}/{}", Ipv6Addr::from(self.network), self.len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_bits_are_cleared() {
        let p = Prefix::parse("10.1.2.3/8").unwrap();
        assert_eq!(p.to_string(), "10.0.0.0/8");
    }

    #[test]
    fn ipv4_mapped_addresses_are_ipv4() {
        assert_eq!(
            parse_address("::ffff:3.5.140.2").unwrap(),
            "3.5.140.2".parse::<IpAddr>().unwrap()
        );
        let p = Prefix::parse("::ffff:3.5.140.0/118").unwrap();
        assert_eq!(p.to_string(), "3.5.140.0/22");
    }

    #[test]
    fn bad_prefixes_are_rejected() {
        for bad in [
            "",
            "1.2.3.4/33",
            "::/129",
            "1.2.3/24",
            "banana",
            "1.2.3.4/x",
        ] {
            assert!(Prefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_space_has_the_last_address() {
        assert_eq!(Prefix::parse("::/0").unwrap().last(), u128::MAX);
        assert_eq!(
            Prefix::parse("0.0.0.0/0").unwrap().last(),
            u128::from(u32::MAX)
        );
    }
}
